package statemachine

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const resultDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":%q,"End":true}}}`

func passDef(result string) string {
	return strings.Replace(resultDef, "%q", `"`+result+`"`, 1)
}

func apiCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestVersionsAndAliases(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	h := newHarness(t, "", Options{Store: store})
	e := h.e
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "m", Definition: passDef("one"), RoleArn: "arn:aws:iam::123456789012:role/r", Publish: true, VersionDescription: "first"})
	if err != nil {
		t.Fatal(err)
	}
	v1 := sm.Arn + ":1"
	if sm.VersionArn != v1 {
		t.Fatalf("Create with Publish: VersionArn %q, want %q", sm.VersionArn, v1)
	}
	// The same revision publishes no second version.
	if v, err := e.PublishStateMachineVersion(ctx, sm.Arn, "", ""); err != nil || v.Arn != v1 {
		t.Fatalf("publish again: %v %v", v, err)
	}
	def2 := passDef("two")
	up, err := e.UpdateStateMachine(ctx, UpdateStateMachineInput{StateMachineArn: sm.Arn, Definition: &def2, Publish: true})
	if err != nil || up.VersionArn != sm.Arn+":2" {
		t.Fatalf("update with publish: %v %v", up, err)
	}
	v2 := up.VersionArn
	if _, err := e.PublishStateMachineVersion(ctx, sm.Arn, "not-the-revision", ""); apiCode(err) != "ConflictException" {
		t.Fatalf("publish with a stale revision id: %v", err)
	}
	if d, err := e.DescribeStateMachine(ctx, v1); err != nil || d.Definition != passDef("one") || d.Description != "first" {
		t.Fatalf("describe version 1: %+v %v", d, err)
	}
	if _, err := e.UpdateStateMachine(ctx, UpdateStateMachineInput{StateMachineArn: v1, Definition: &def2}); apiCode(err) != "ValidationException" {
		t.Fatalf("update of a version: %v", err)
	}
	if vs, _ := e.ListStateMachineVersions(ctx, sm.Arn); len(vs) != 2 || vs[0].Arn != v2 || vs[1].Arn != v1 {
		t.Fatalf("versions, newest first: %v", vs)
	}
	if ms, _ := e.ListStateMachines(ctx); len(ms) != 1 {
		t.Fatalf("ListStateMachines lists versions: %v", ms)
	}

	// Routing rules.
	for _, bad := range [][]RoutingConfig{
		{{VersionArn: v1, Weight: 50}},
		{{VersionArn: v1, Weight: 50}, {VersionArn: v1, Weight: 50}},
		{{VersionArn: sm.Arn + ":9", Weight: 100}},
		{{VersionArn: v1, Weight: 40}, {VersionArn: v2, Weight: 40}, {VersionArn: v2, Weight: 20}},
	} {
		if _, err := e.CreateStateMachineAlias(ctx, CreateStateMachineAliasInput{Name: "bad", Routing: bad}); err == nil {
			t.Errorf("alias with routing %v accepted", bad)
		}
	}
	if _, err := e.CreateStateMachineAlias(ctx, CreateStateMachineAliasInput{Name: "123", Routing: []RoutingConfig{{VersionArn: v1, Weight: 100}}}); apiCode(err) != "ValidationException" {
		t.Errorf("an all-digit alias name (a version's ARN) accepted: %v", err)
	}
	prod, err := e.CreateStateMachineAlias(ctx, CreateStateMachineAliasInput{Name: "prod", Routing: []RoutingConfig{{VersionArn: v1, Weight: 100}}})
	if err != nil || prod.AliasArn != sm.Arn+":prod" {
		t.Fatalf("create alias: %v %v", prod, err)
	}

	// Executions through the machine, a version and the alias.
	run := func(target, name string) *Execution {
		t.Helper()
		x, err := e.StartExecution(ctx, StartExecutionInput{StateMachineArn: target, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return h.wait(x.ExecutionArn)
	}
	latest, byVersion, byAlias := run(sm.Arn, "latest"), run(v1, "v1"), run(prod.AliasArn, "prod")
	for _, tt := range []struct {
		x                  *Execution
		output, ver, alias string
	}{{latest, `"two"`, "", ""}, {byVersion, `"one"`, v1, ""}, {byAlias, `"one"`, v1, prod.AliasArn}} {
		if tt.x.ExecutionArn != "arn:aws:states:us-east-1:123456789012:execution:m:"+tt.x.Name || tt.x.StateMachineArn != sm.Arn ||
			strOrNil(tt.x.Output) != tt.output || tt.x.StateMachineVersionArn != tt.ver || tt.x.StateMachineAliasArn != tt.alias {
			t.Errorf("%s: %+v (output %s)", tt.x.Name, tt.x, strOrNil(tt.x.Output))
		}
	}
	evs, _ := e.GetExecutionHistory(ctx, byAlias.ExecutionArn)
	if d := evs[0].Details.(*ExecutionStartedEventDetails); d.StateMachineAliasArn != prod.AliasArn || d.StateMachineVersionArn != v1 {
		t.Errorf("ExecutionStarted details %+v", d)
	}
	for target, want := range map[string]int{sm.Arn: 3, v1: 2, prod.AliasArn: 1, v2: 0} {
		if xs, err := e.ListExecutions(ctx, ListExecutionsInput{StateMachineArn: target}); err != nil || len(xs) != want {
			t.Errorf("ListExecutions(%s): %d executions (%v), want %d", target, len(xs), err, want)
		}
	}

	// A weighted alias sends executions to both versions.
	if _, err := e.UpdateStateMachineAlias(ctx, UpdateStateMachineAliasInput{AliasArn: prod.AliasArn, Routing: []RoutingConfig{{VersionArn: v1, Weight: 50}, {VersionArn: v2, Weight: 50}}}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i := range 40 {
		x := run(prod.AliasArn, "w"+strings.Repeat("x", i))
		seen[x.StateMachineVersionArn]++
	}
	if seen[v1] == 0 || seen[v2] == 0 || seen[v1]+seen[v2] != 40 {
		t.Errorf("50/50 alias routed %v", seen)
	}

	// A version an alias routes to cannot be deleted.
	if err := e.DeleteStateMachineVersion(ctx, v2); apiCode(err) != "ConflictException" {
		t.Fatalf("delete a routed version: %v", err)
	}

	// Everything survives a restart.
	h2 := newHarness(t, "", Options{Store: store})
	if a, err := h2.e.DescribeStateMachineAlias(ctx, prod.AliasArn); err != nil || len(a.Routing) != 2 {
		t.Fatalf("alias after restart: %+v %v", a, err)
	}
	if x, err := h2.e.DescribeExecution(ctx, byAlias.ExecutionArn); err != nil || x.StateMachineAliasArn != prod.AliasArn || x.StateMachineVersionArn != v1 {
		t.Fatalf("execution after restart: %+v %v", x, err)
	}
	if _, err := h2.e.UpdateStateMachineAlias(ctx, UpdateStateMachineAliasInput{AliasArn: prod.AliasArn, Routing: []RoutingConfig{{VersionArn: v1, Weight: 100}}}); err != nil {
		t.Fatal(err)
	}
	if err := h2.e.DeleteStateMachineVersion(ctx, v2); err != nil {
		t.Fatal(err)
	}
	// Numbers are never reused: the next version is 3.
	def3 := passDef("three")
	if up, err := h2.e.UpdateStateMachine(ctx, UpdateStateMachineInput{StateMachineArn: sm.Arn, Definition: &def3, Publish: true}); err != nil || up.VersionArn != sm.Arn+":3" {
		t.Fatalf("publish after deleting version 2: %v %v", up, err)
	}
	// Deleting the machine deletes its versions and aliases.
	if err := h2.e.DeleteStateMachine(ctx, sm.Arn); err != nil {
		t.Fatal(err)
	}
	if _, err := h2.e.DescribeStateMachine(ctx, v1); apiCode(err) != "StateMachineDoesNotExist" {
		t.Errorf("version after DeleteStateMachine: %v", err)
	}
	if _, err := h2.e.DescribeStateMachineAlias(ctx, prod.AliasArn); apiCode(err) != "ResourceNotFound" {
		t.Errorf("alias after DeleteStateMachine: %v", err)
	}
}
