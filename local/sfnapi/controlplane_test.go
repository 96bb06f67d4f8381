package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// Machines of the control-plane tests (issue 17: what the AWS CLI and boto3
// saw differ from AWS).
const (
	passMachine = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	// waitingMapMachine is a Distributed Map whose children wait for a task
	// token: its Map Run stays RUNNING until the test answers them.
	waitingMapMachine = `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Fan","ItemsPath":"$.items","MaxConcurrency":1,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"A","States":{"A":{
			"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
			"Parameters":{"FunctionName":"stepwise-approve","Payload":{"Token.$":"$$.Task.Token"}},"End":true}}},"End":true}}}`
	testRole = "arn:aws:iam::123456789012:role/r"
	// inspectedPass exercises every JSONPath step TestState inspects.
	inspectedPass = `{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.x"},"ResultPath":"$.out","Next":"N"}`
)

// TestAWSCLIControlPlane drives the operations of issue 17 with the real
// AWS CLI and its default settings, through the endpoint form `runner up`
// prints for it (CLIEndpoint): tags given at creation are listed, an update
// with only a logging (or tracing) configuration is accepted and described,
// an Express execution is refused as AWS refuses it, UpdateMapRun is
// served, and StartSyncExecution and TestState (which the CLI sends to a
// "sync-" host prefix) reach the server, TestState with inspection data.
func TestAWSCLIControlPlane(t *testing.T) {
	e := newEnv(t)
	c := newCLI(t, CLIEndpoint(e.url), nil)

	// 1. Tags.
	created := c.ok("create-state-machine", "--name", "tagged", "--definition", passMachine, "--role-arn", testRole,
		"--tags", `[{"key":"team","value":"data"},{"key":"env","value":"dev"}]`)
	arn, _ := created["stateMachineArn"].(string)
	c.ok("tag-resource", "--resource-arn", arn, "--tags", `[{"key":"env","value":"prod"}]`)
	if got := jsonOf(t, c.ok("list-tags-for-resource", "--resource-arn", arn)["tags"]); got != `[{"key":"team","value":"data"},{"key":"env","value":"prod"}]` {
		t.Errorf("list-tags-for-resource = %s", got)
	}

	// 2. An update with only a logging configuration.
	c.ok("update-state-machine", "--state-machine-arn", arn, "--logging-configuration",
		`{"level":"ERROR","includeExecutionData":true,"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:123456789012:log-group:sfn:*"}}]}`)
	d := c.ok("describe-state-machine", "--state-machine-arn", arn)
	if got := jsonOf(t, d["loggingConfiguration"]); got != `{"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:123456789012:log-group:sfn:*"}}],"includeExecutionData":true,"level":"ERROR"}` {
		t.Errorf("describe-state-machine loggingConfiguration = %s", got)
	}

	// 3. Express executions are not described.
	exp := c.ok("create-state-machine", "--name", "fast", "--type", "EXPRESS", "--definition", passMachine, "--role-arn", testRole)
	expArn, _ := exp["stateMachineArn"].(string)
	start := c.ok("start-execution", "--state-machine-arn", expArn)
	if msg := c.fail("describe-execution", "--execution-arn", start["executionArn"].(string)); !strings.Contains(msg, "(InvalidArn)") ||
		!strings.Contains(msg, "Invalid Arn: 'Resource type not valid in this context: express'") {
		t.Errorf("describe-execution of an Express execution: %s", msg)
	}

	// 5. StartSyncExecution and TestState through the "sync-" prefix; 6.
	// TestState's inspection data.
	sync := c.ok("start-sync-execution", "--state-machine-arn", expArn, "--input", `{"a":1}`)
	if sync["status"] != "SUCCEEDED" || sync["output"] != `{"a":1}` {
		t.Errorf("start-sync-execution = %v", sync)
	}
	ts := c.ok("test-state", "--definition", inspectedPass, "--role-arn", testRole, "--input", `{"in":{"x":1}}`, "--inspection-level", "DEBUG")
	if got := jsonOf(t, ts["inspectionData"]); got != `{"afterInputPath":"{\"x\":1}","afterParameters":"{\"v\":1}","afterResultPath":"{\"in\":{\"x\":1},\"out\":{\"v\":1}}","afterResultSelector":"{\"v\":1}","input":"{\"in\":{\"x\":1}}"}` {
		t.Errorf("test-state inspectionData = %s", got)
	}

	// The documented alternative for the plain endpoint: botocore's setting
	// that turns host prefix injection off.
	off := newCLI(t, e.url, []string{"AWS_DISABLE_HOST_PREFIX_INJECTION=true"})
	if sync := off.ok("start-sync-execution", "--state-machine-arn", expArn); sync["status"] != "SUCCEEDED" {
		t.Errorf("start-sync-execution with AWS_DISABLE_HOST_PREFIX_INJECTION=true = %v", sync)
	}

	// 4. UpdateMapRun on a running Map Run.
	ctx := context.Background()
	sm, err := e.eng.CreateStateMachine(ctx, statemachineInput("fan", waitingMapMachine))
	if err != nil {
		t.Fatal(err)
	}
	ex := c.ok("start-execution", "--state-machine-arn", sm.Arn, "--input", `{"items":[{},{}]}`)
	exArn, _ := ex["executionArn"].(string)
	first := <-e.tokens // the run is RUNNING, its first child waits
	runs, err := e.eng.ListMapRuns(ctx, exArn)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns = %v, %v", runs, err)
	}
	c.ok("update-map-run", "--map-run-arn", runs[0].MapRunArn, "--max-concurrency", "5", "--tolerated-failure-count", "2")
	mr, err := e.eng.DescribeMapRun(ctx, runs[0].MapRunArn)
	if err != nil || mr.MaxConcurrency != 5 || mr.ToleratedFailureCount != 2 || mr.Status != "RUNNING" {
		t.Errorf("after update-map-run: %+v, %v", mr, err)
	}
	finishMapRun(t, e, exArn, first)
}

// finishMapRun answers the token tasks of waitingMapMachine's children
// (first is the token already received) until the execution succeeds.
func finishMapRun(t *testing.T, e *env, exArn, first string) {
	t.Helper()
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.eng.WaitExecution(ctx, exArn)
	}()
	for token := first; ; {
		if err := e.eng.SendTaskSuccess(ctx, token, `{}`); err != nil {
			t.Fatal(err)
		}
		select {
		case token = <-e.tokens:
			continue
		case <-done:
		}
		break
	}
	if x, err := e.eng.DescribeExecution(ctx, exArn); err != nil || x.Status != "SUCCEEDED" {
		t.Fatalf("map execution: %+v %v", x, err)
	}
}

// jsonOf is v as compact JSON with sorted keys, for whole-value comparison.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// boto3ControlPlane drives issue 17's operations with boto3's default
// client settings through the CLIEndpoint form, and prints what it saw; a
// second client on the plain endpoint uses the documented alternative,
// Config(inject_host_prefix=False).
const boto3ControlPlane = `
import json, sys, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
c = boto3.client("stepfunctions", endpoint_url=sys.argv[1], region_name="eu-west-3",
                 aws_access_key_id="AKIDLOCAL", aws_secret_access_key="secret")
role, passm, tsdef = "arn:aws:iam::123456789012:role/r", sys.argv[2], sys.argv[3]
def err(f, **kw):
    try:
        f(**kw)
        return None
    except ClientError as e:
        return [e.response["Error"]["Code"], e.response["Error"]["Message"]]
out = {}
sm = c.create_state_machine(name="boto-tags", definition=passm, roleArn=role, tags=[{"key": "team", "value": "data"}])["stateMachineArn"]
c.tag_resource(resourceArn=sm, tags=[{"key": "k%d" % i, "value": "v"} for i in range(49)])
out["tooMany"] = err(c.tag_resource, resourceArn=sm, tags=[{"key": "one-more", "value": "x"}])
c.untag_resource(resourceArn=sm, tagKeys=["k%d" % i for i in range(49)])
out["tags"] = c.list_tags_for_resource(resourceArn=sm)["tags"]
out["reserved"] = err(c.tag_resource, resourceArn=sm, tags=[{"key": "aws:x", "value": "v"}])
v = c.publish_state_machine_version(stateMachineArn=sm)["stateMachineVersionArn"]
out["version"] = err(c.tag_resource, resourceArn=v, tags=[{"key": "a", "value": "b"}])
c.update_state_machine(stateMachineArn=sm, tracingConfiguration={"enabled": True})
d = c.describe_state_machine(stateMachineArn=sm)
out["tracing"], out["logging"] = d["tracingConfiguration"], d["loggingConfiguration"]
out["noUpdate"] = err(c.update_state_machine, stateMachineArn=sm)
out["badLogging"] = err(c.update_state_machine, stateMachineArn=sm, loggingConfiguration={"level": "ALL"})
ex = c.create_state_machine(name="boto-fast", type="EXPRESS", definition=passm, roleArn=role)["stateMachineArn"]
e1 = c.start_execution(stateMachineArn=ex)["executionArn"]
out["express"] = {"list": err(c.list_executions, stateMachineArn=ex), "history": err(c.get_execution_history, executionArn=e1),
                  "stop": err(c.stop_execution, executionArn=e1)}
out["sync"] = c.start_sync_execution(stateMachineArn=ex, input='{"a":1}')["output"]
plain = boto3.client("stepfunctions", endpoint_url=sys.argv[4], region_name="eu-west-3", aws_access_key_id="AKIDLOCAL",
                     aws_secret_access_key="secret", config=Config(inject_host_prefix=False))
out["syncNoPrefix"] = plain.start_sync_execution(stateMachineArn=ex, input='{"b":2}')["output"]
out["inspection"] = c.test_state(definition=tsdef, roleArn=role, input='{"in":{"x":1}}', inspectionLevel="TRACE")["inspectionData"]
print(json.dumps(out, sort_keys=True))
`

func TestBoto3ControlPlane(t *testing.T) {
	py := needBoto3(t)
	e := newEnv(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "controlplane.py")
	os.WriteFile(script, []byte(boto3ControlPlane), 0o600)
	cmd := exec.Command(py, script, CLIEndpoint(e.url), passMachine, inspectedPass, e.url)
	cmd.Env = pythonEnv(dir, os.DevNull, os.DevNull) // the script passes its own dummy keys
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 script output %q: %v", out, err)
	}
	smArn := "arn:aws:states:us-east-1:123456789012:stateMachine:boto-tags"
	want := map[string]string{
		"tooMany":    `["TooManyTags","Too many tags: '` + smArn + `' would have 51 tags; a resource can have at most 50 (remove some with UntagResource)"]`,
		"tags":       `[{"key":"team","value":"data"}]`,
		"reserved":   `["ValidationException","Tag 1: key \"aws:x\" uses the prefix 'aws:', which is reserved for AWS; choose another key"]`,
		"version":    `["ResourceNotFound","Resource not found: '` + smArn + `:1'"]`,
		"tracing":    `{"enabled":true}`,
		"logging":    `{"includeExecutionData":false,"level":"OFF"}`,
		"noUpdate":   `["MissingRequiredParameter","Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified"]`,
		"badLogging": `["InvalidLoggingConfiguration","Invalid Logging Configuration: Must specify exactly one Log Destination."]`,
		"express": `{"history":["InvalidArn","Invalid Arn: 'Resource type not valid in this context: express'"],` +
			`"list":["StateMachineTypeNotSupported","This operation is not supported by this type of state machine"],` +
			`"stop":["InvalidArn","Invalid Arn: 'Resource type not valid in this context: express'"]}`,
		"sync":         `"{\"a\":1}"`,
		"syncNoPrefix": `"{\"b\":2}"`,
		"inspection":   `{"afterInputPath":"{\"x\":1}","afterParameters":"{\"v\":1}","afterResultPath":"{\"in\":{\"x\":1},\"out\":{\"v\":1}}","afterResultSelector":"{\"v\":1}","input":"{\"in\":{\"x\":1}}"}`,
	}
	for k, w := range want {
		if g := jsonOf(t, got[k]); g != w {
			t.Errorf("boto3 %s:\n got %s\nwant %s", k, g, w)
		}
	}
}

// needBoto3 returns python3's path, or skips the test when python3 or
// boto3 is missing.
func needBoto3(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("SKIPPED: python3 is not on PATH; the boto3 compatibility test needs python3 with boto3")
	}
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: boto3 is not importable (pip install boto3 to run the boto3 compatibility test): %s", strings.TrimSpace(string(out)))
	}
	return py
}

// TestSDKControlPlane drives issue 17's operations with aws-sdk-go-v2 and
// its default options (only the endpoint set, no ClientOptions), checking
// the typed errors the SDK maps AWS's error codes to.
func TestSDKControlPlane(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := sfn.New(sfn.Options{Region: "eu-west-3", BaseEndpoint: aws.String(e.url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")})
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return fmt.Sprint(err)
	}

	// 1. Tags, given at creation and added, replaced and removed later.
	created, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("sdk"), Definition: aws.String(passMachine),
		RoleArn: aws.String(testRole), Tags: []types.Tag{tag("a", "1"), tag("b", "2")}})
	if err != nil {
		t.Fatal(err)
	}
	arn := created.StateMachineArn
	listTags := func() string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, tg := range out.Tags {
			s = append(s, *tg.Key+"="+*tg.Value)
		}
		return strings.Join(s, ",")
	}
	if got := listTags(); got != "a=1,b=2" {
		t.Errorf("tags after create = %s", got)
	}
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{tag("b", "3"), tag("c", "")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"a", "missing"}}); err != nil {
		t.Fatal(err)
	}
	if got := listTags(); got != "b=3,c=" {
		t.Errorf("tags after tag and untag = %s", got)
	}
	// Creating the same machine again is idempotent and ignores new tags.
	if _, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("sdk"), Definition: aws.String(passMachine),
		RoleArn: aws.String(testRole), Tags: []types.Tag{tag("z", "9")}}); err != nil {
		t.Fatal(err)
	}
	if got := listTags(); got != "b=3,c=" {
		t.Errorf("tags after an idempotent create = %s", got)
	}
	var many []types.Tag
	for i := range 49 {
		many = append(many, tag(fmt.Sprintf("k%d", i), "v"))
	}
	_, err = c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: arn, Tags: many})
	var tooMany *types.TooManyTags
	if !errors.As(err, &tooMany) {
		t.Errorf("51 tags: %v, want TooManyTags", err)
	}
	for _, tc := range []struct {
		name string
		in   *sfn.TagResourceInput
		want string
	}{
		{"long key", &sfn.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{tag(strings.Repeat("k", 129), "v")}}, "ValidationException"},
		{"long value", &sfn.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{tag("k", strings.Repeat("v", 257))}}, "ValidationException"},
		{"reserved prefix", &sfn.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{tag("AWS:k", "v")}}, "ValidationException"},
		{"bad character", &sfn.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{tag("k", "a*b")}}, "ValidationException"},
		{"execution ARN", &sfn.TagResourceInput{ResourceArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:sdk:x"), Tags: []types.Tag{tag("k", "v")}}, "InvalidArn"},
		{"missing machine", &sfn.TagResourceInput{ResourceArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:nope"), Tags: []types.Tag{tag("k", "v")}}, "ResourceNotFound"},
	} {
		if _, err := c.TagResource(ctx, tc.in); code(err) != tc.want {
			t.Errorf("TagResource %s: %v, want %s", tc.name, err, tc.want)
		}
	}

	// 2. Updates with only a logging or only a tracing configuration.
	logGroup := "arn:aws:logs:us-east-1:123456789012:log-group:sfn:*"
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: arn, LoggingConfiguration: &types.LoggingConfiguration{
		Level: types.LogLevelAll, IncludeExecutionData: true,
		Destinations: []types.LogDestination{{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String(logGroup)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: arn, TracingConfiguration: &types.TracingConfiguration{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if l := d.LoggingConfiguration; l.Level != types.LogLevelAll || !l.IncludeExecutionData || len(l.Destinations) != 1 ||
		*l.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn != logGroup || !d.TracingConfiguration.Enabled {
		t.Errorf("DescribeStateMachine logging %+v tracing %+v", d.LoggingConfiguration, d.TracingConfiguration)
	}
	// The same setting again changes nothing: the revision stays.
	again, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: arn, TracingConfiguration: &types.TracingConfiguration{Enabled: true}})
	if err != nil || aws.ToString(again.RevisionId) != aws.ToString(d.RevisionId) || aws.ToString(up.RevisionId) == aws.ToString(d.RevisionId) {
		t.Errorf("revisions: after logging %s, after tracing %s, after the same tracing %s (%v)",
			aws.ToString(up.RevisionId), aws.ToString(d.RevisionId), aws.ToString(again.RevisionId), err)
	}
	_, err = c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: arn})
	var missing *types.MissingRequiredParameter
	if !errors.As(err, &missing) {
		t.Errorf("UpdateStateMachine with nothing to update: %v, want MissingRequiredParameter", err)
	}
	_, err = c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: arn, LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelError}})
	var badLog *types.InvalidLoggingConfiguration
	if !errors.As(err, &badLog) {
		t.Errorf("logging ERROR without a destination: %v, want InvalidLoggingConfiguration", err)
	}

	// 3. Express executions: listed, described, stopped and their history
	// read nowhere, as on AWS.
	exp, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("sdk-fast"), Type: types.StateMachineTypeExpress,
		Definition: aws.String(passMachine), RoleArn: aws.String(testRole)})
	if err != nil {
		t.Fatal(err)
	}
	started, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: exp.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	var notSupported *types.StateMachineTypeNotSupported
	if _, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: exp.StateMachineArn}); !errors.As(err, &notSupported) {
		t.Errorf("ListExecutions of an Express machine: %v, want StateMachineTypeNotSupported", err)
	}
	for name, call := range map[string]func() error{
		"DescribeExecution": func() error {
			_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
			return err
		},
		"GetExecutionHistory": func() error {
			_, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
			return err
		},
		"StopExecution": func() error {
			_, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: started.ExecutionArn})
			return err
		},
		"DescribeStateMachineForExecution": func() error {
			_, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: started.ExecutionArn})
			return err
		},
	} {
		var invalid *types.InvalidArn
		if err := call(); !errors.As(err, &invalid) || *invalid.Message != "Invalid Arn: 'Resource type not valid in this context: express'" {
			t.Errorf("%s of an Express execution: %v", name, err)
		}
	}

	// 4. UpdateMapRun.
	sm, err := e.eng.CreateStateMachine(ctx, statemachineInput("sdk-fan", waitingMapMachine))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &sm.Arn, Input: aws.String(`{"items":[{},{},{}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	first := <-e.tokens
	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("ListMapRuns = %+v, %v", runs, err)
	}
	runArn := runs.MapRuns[0].MapRunArn
	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: runArn, MaxConcurrency: aws.Int32(3),
		ToleratedFailurePercentage: aws.Float32(12.5), ToleratedFailureCount: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	mr, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runArn})
	if err != nil || mr.MaxConcurrency != 3 || mr.ToleratedFailurePercentage != 12.5 || mr.ToleratedFailureCount != 1 {
		t.Errorf("DescribeMapRun after UpdateMapRun = %+v, %v", mr, err)
	}
	for _, tc := range []struct {
		name string
		in   *sfn.UpdateMapRunInput
		want string
	}{
		{"nothing to update", &sfn.UpdateMapRunInput{MapRunArn: runArn}, "ValidationException"},
		{"negative concurrency", &sfn.UpdateMapRunInput{MapRunArn: runArn, MaxConcurrency: aws.Int32(-1)}, "ValidationException"},
		{"percentage over 100", &sfn.UpdateMapRunInput{MapRunArn: runArn, ToleratedFailurePercentage: aws.Float32(101)}, "ValidationException"},
		{"not a map run ARN", &sfn.UpdateMapRunInput{MapRunArn: arn, MaxConcurrency: aws.Int32(1)}, "InvalidArn"},
		{"missing map run", &sfn.UpdateMapRunInput{MapRunArn: aws.String(*runArn + "x"), MaxConcurrency: aws.Int32(1)}, "ResourceNotFound"},
	} {
		if _, err := c.UpdateMapRun(ctx, tc.in); code(err) != tc.want {
			t.Errorf("UpdateMapRun %s: %v, want %s", tc.name, err, tc.want)
		}
	}
	finishMapRun(t, e, *ex.ExecutionArn, first)
	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: runArn, MaxConcurrency: aws.Int32(1)}); code(err) != "ValidationException" {
		t.Errorf("UpdateMapRun of a finished run: %v, want ValidationException", err)
	}
}

// TestSDKTestStateInspection checks TestState's inspectionData through the
// Go SDK (with ClientOptions: TestState has the "sync-" host prefix) for
// a Task answered by a mock, with ResultSelector, Assign and variables, and
// for a JSONata Task; INFO has none.
func TestSDKTestStateInspection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, def, input, vars, mock, level string
		want                                map[string]string
	}{
		{name: "task", level: "DEBUG",
			def:   `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","InputPath":"$.req","Parameters":{"FunctionName":"f","Payload.$":"$"},"ResultSelector":{"n.$":"$.Payload.n"},"ResultPath":"$.res","Assign":{"last.$":"$.n"},"End":true}`,
			input: `{"req":{"n":2}}`, vars: `{"seen":1}`, mock: `{"Payload":{"n":4},"StatusCode":200}`,
			want: map[string]string{"input": `{"req":{"n":2}}`, "afterInputPath": `{"n":2}`, "afterParameters": `{"FunctionName":"f","Payload":{"n":2}}`,
				"result": `{"Payload":{"n":4},"StatusCode":200}`, "afterResultSelector": `{"n":4}`, "afterResultPath": `{"req":{"n":2},"res":{"n":4}}`,
				"variables": `{"last":4,"seen":1}`}},
		{name: "pass with result", level: "TRACE", def: `{"Type":"Pass","Result":{"r":1},"End":true}`, input: `{"a":1}`,
			want: map[string]string{"input": `{"a":1}`, "result": `{"r":1}`, "afterResultSelector": `{"r":1}`, "afterResultPath": `{"r":1}`}},
		{name: "choice", level: "DEBUG", def: `{"Type":"Choice","InputPath":"$.a","Choices":[{"Variable":"$.b","NumericEquals":1,"Next":"X"}]}`, input: `{"a":{"b":1}}`,
			want: map[string]string{"input": `{"a":{"b":1}}`, "afterInputPath": `{"b":1}`}},
		{name: "jsonata task", level: "DEBUG",
			def:   `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"f","Payload":"{% $states.input %}"},"Assign":{"got":"{% $states.result.n %}"},"End":true}`,
			input: `{"n":1}`, mock: `{"n":5}`,
			want: map[string]string{"input": `{"n":1}`, "afterArguments": `{"FunctionName":"f","Payload":{"n":1}}`, "result": `{"n":5}`, "variables": `{"got":5}`}},
		{name: "info", level: "INFO", def: `{"Type":"Pass","End":true}`, input: `{}`, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &sfn.TestStateInput{Definition: aws.String(tc.def), RoleArn: aws.String(testRole), Input: aws.String(tc.input),
				InspectionLevel: types.InspectionLevel(tc.level)}
			if tc.vars != "" {
				in.Variables = aws.String(tc.vars)
			}
			if tc.mock != "" {
				in.Mock = &types.MockInput{Result: aws.String(tc.mock)}
			}
			out, err := e.client.TestState(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != types.TestExecutionStatusSucceeded {
				t.Fatalf("status %s: %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
			}
			if tc.want == nil {
				if out.InspectionData != nil {
					t.Errorf("inspectionData at INFO: %+v", out.InspectionData)
				}
				return
			}
			d := out.InspectionData
			if d == nil {
				t.Fatal("no inspectionData")
			}
			got := map[string]string{}
			for k, v := range map[string]*string{"input": d.Input, "afterInputPath": d.AfterInputPath, "afterParameters": d.AfterParameters,
				"afterArguments": d.AfterArguments, "result": d.Result, "afterResultSelector": d.AfterResultSelector,
				"afterResultPath": d.AfterResultPath, "variables": d.Variables} {
				if v != nil {
					got[k] = *v
				}
			}
			if g, w := jsonOf(t, got), jsonOf(t, tc.want); g != w {
				t.Errorf("inspectionData\n got %s\nwant %s", g, w)
			}
		})
	}
}

// TestCLIEndpointWithGoSDK: the endpoint form printed for the AWS CLI also
// works with the Go SDK: with default options for the operations without a
// host prefix, and with ClientOptions for StartSyncExecution and TestState
// too (the Go SDK drops the URL's user name and prefixes the host itself,
// so it needs the prefix off).
func TestCLIEndpointWithGoSDK(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ep := CLIEndpoint(e.url)
	if want := strings.Replace(e.url, "http://", "http://stepwise@", 1); ep != want {
		t.Fatalf("CLIEndpoint(%s) = %s, want %s", e.url, ep, want)
	}
	if got := CLIEndpoint(ep); got != ep {
		t.Errorf("CLIEndpoint of an endpoint with a user name = %s, want it unchanged", got)
	}
	creds := credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")
	plain := sfn.New(sfn.Options{Region: "eu-west-3", BaseEndpoint: aws.String(ep), Credentials: creds})
	created, err := plain.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fast"), Type: types.StateMachineTypeExpress,
		Definition: aws.String(passMachine), RoleArn: aws.String(testRole)})
	if err != nil {
		t.Fatal(err)
	}
	withOpts := sfn.New(sfn.Options{Region: "eu-west-3", Credentials: creds}, ClientOptions(ep))
	out, err := withOpts.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: created.StateMachineArn, Input: aws.String(`{"a":1}`)})
	if err != nil || aws.ToString(out.Output) != `{"a":1}` {
		t.Errorf("StartSyncExecution through %s: %+v, %v", ep, out, err)
	}
}
