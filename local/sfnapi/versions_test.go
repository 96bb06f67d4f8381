package sfnapi

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestSDKVersionsAndAliases publishes versions, routes an alias to one of
// them and runs executions through the machine, the version and the alias,
// all with the aws-sdk-go-v2 client.
func TestSDKVersionsAndAliases(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	def := func(result string) *string {
		return aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + result + `","End":true}}}`)
	}
	created, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("versioned"), Definition: def("one"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Publish: true, VersionDescription: aws.String("first"),
	})
	if err != nil {
		t.Fatal(err)
	}
	smArn := aws.ToString(created.StateMachineArn)
	v1 := aws.ToString(created.StateMachineVersionArn)
	if v1 != smArn+":1" {
		t.Fatalf("CreateStateMachine(publish) version %q", v1)
	}
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: &smArn, Definition: def("two")})
	if err != nil || up.StateMachineVersionArn != nil {
		t.Fatalf("UpdateStateMachine without publish: %v %v", up, err)
	}
	pub, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: &smArn, RevisionId: up.RevisionId, Description: aws.String("second")})
	if err != nil || aws.ToString(pub.StateMachineVersionArn) != smArn+":2" {
		t.Fatalf("PublishStateMachineVersion: %v %v", pub, err)
	}
	v2 := aws.ToString(pub.StateMachineVersionArn)
	_, err = c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: &smArn, RevisionId: aws.String("stale")})
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("publish with a stale revision id: %v, want ConflictException", err)
	}
	vs, err := c.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: &smArn})
	if err != nil || len(vs.StateMachineVersions) != 2 || aws.ToString(vs.StateMachineVersions[0].StateMachineVersionArn) != v2 {
		t.Fatalf("ListStateMachineVersions: %+v %v", vs, err)
	}
	dv, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: &v1})
	if err != nil || aws.ToString(dv.Definition) != aws.ToString(def("one")) || aws.ToString(dv.Description) != "first" {
		t.Fatalf("DescribeStateMachine(version 1): %+v %v", dv, err)
	}

	alias, err := c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{
		Name:                 aws.String("prod"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: &v1, Weight: 100}},
	})
	if err != nil {
		t.Fatal(err)
	}
	aliasArn := aws.ToString(alias.StateMachineAliasArn)
	if aliasArn != smArn+":prod" {
		t.Fatalf("alias ARN %q", aliasArn)
	}
	_, err = c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{
		Name:                 aws.String("half"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: &v1, Weight: 50}},
	})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("alias with weights adding up to 50: %v, want ValidationException", err)
	}

	start := func(target string) *sfn.DescribeExecutionOutput {
		t.Helper()
		x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &target})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.eng.WaitExecution(ctx, aws.ToString(x.ExecutionArn)); err != nil {
			t.Fatal(err)
		}
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tt := range []struct{ target, output, version, alias string }{
		{smArn, `"two"`, "", ""},
		{v1, `"one"`, v1, ""},
		{aliasArn, `"one"`, v1, aliasArn},
	} {
		d := start(tt.target)
		if aws.ToString(d.StateMachineArn) != smArn || aws.ToString(d.Output) != tt.output ||
			aws.ToString(d.StateMachineVersionArn) != tt.version || aws.ToString(d.StateMachineAliasArn) != tt.alias {
			t.Errorf("started through %s: stateMachineArn %s output %s version %q alias %q", tt.target,
				aws.ToString(d.StateMachineArn), aws.ToString(d.Output), aws.ToString(d.StateMachineVersionArn), aws.ToString(d.StateMachineAliasArn))
		}
	}
	byAlias, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: &aliasArn})
	if err != nil || len(byAlias.Executions) != 1 || aws.ToString(byAlias.Executions[0].StateMachineAliasArn) != aliasArn {
		t.Fatalf("ListExecutions(alias): %+v %v", byAlias, err)
	}

	// Re-point the alias; the version it left can go, the one it uses cannot.
	if _, err := c.UpdateStateMachineAlias(ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: &aliasArn,
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: &v2, Weight: 100}}}); err != nil {
		t.Fatal(err)
	}
	if d := start(aliasArn); aws.ToString(d.Output) != `"two"` {
		t.Errorf("after re-pointing the alias: output %s", aws.ToString(d.Output))
	}
	if _, err := c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: &v2}); !errors.As(err, &conflict) {
		t.Errorf("delete the alias's version: %v, want ConflictException", err)
	}
	if _, err := c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: &v1}); err != nil {
		t.Fatal(err)
	}
	da, err := c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: &aliasArn})
	if err != nil || len(da.RoutingConfiguration) != 1 || aws.ToString(da.RoutingConfiguration[0].StateMachineVersionArn) != v2 {
		t.Fatalf("DescribeStateMachineAlias: %+v %v", da, err)
	}
	la, err := c.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: &smArn})
	if err != nil || len(la.StateMachineAliases) != 1 {
		t.Fatalf("ListStateMachineAliases: %+v %v", la, err)
	}
	if _, err := c.DeleteStateMachineAlias(ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: &aliasArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: &aliasArn})
	var rnf *types.ResourceNotFound
	if !errors.As(err, &rnf) {
		t.Errorf("DescribeStateMachineAlias after delete: %v, want ResourceNotFound", err)
	}
}
