package sfnapi

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// boto3Script drives the server with boto3 (another SDK, Python, written
// by AWS): a machine published as a version, an alias to it, a token task
// started through the alias, its history read with a paginator in pages
// of 2 once the test says the task waits for its token.
const boto3Script = `
import json, sys, time, boto3
c = boto3.client("stepfunctions", endpoint_url=sys.argv[1], region_name="eu-west-3",
                 aws_access_key_id="AKIDLOCAL", aws_secret_access_key="secret")
sm = c.create_state_machine(name="boto", definition=sys.argv[2], roleArn="arn:aws:iam::123456789012:role/r", publish=True)
alias = c.create_state_machine_alias(name="live", routingConfiguration=[{"stateMachineVersionArn": sm["stateMachineVersionArn"], "weight": 100}])
ex = c.start_execution(stateMachineArn=alias["stateMachineAliasArn"], name="boto-run", input=json.dumps({"N": 2}))
sys.stdin.readline()  # the test says when the execution waits for its token
events = []
for page in c.get_paginator("get_execution_history").paginate(executionArn=ex["executionArn"], PaginationConfig={"PageSize": 2}):
    events += page["events"]
d = c.describe_execution(executionArn=ex["executionArn"])
print(json.dumps({"executionArn": ex["executionArn"], "status": d["status"], "aliasArn": d.get("stateMachineAliasArn"),
                  "versionArn": d.get("stateMachineVersionArn"), "types": [e["type"] for e in events],
                  "aliases": [a["stateMachineAliasArn"] for a in c.list_state_machine_aliases(stateMachineArn=sm["stateMachineArn"])["stateMachineAliases"]]}))
`

func TestBoto3(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("SKIPPED: python3 is not on PATH; the boto3 compatibility test needs python3 with boto3")
	}
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: boto3 is not importable (pip install boto3 to run the boto3 compatibility test): %s", strings.TrimSpace(string(out)))
	}
	e := newEnv(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "drive.py")
	os.WriteFile(script, []byte(boto3Script), 0o600)
	cmd := exec.Command(py, script, e.url, approvalMachine)
	cmd.Env = pythonEnv(dir, os.DevNull, os.DevNull) // the script passes its own dummy keys
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The execution reaches its token task: the function got the token.
	token := <-e.tokens
	stdin.Write([]byte("go\n"))
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, stderr.String())
	}
	out := []byte(stdout.String())
	var got struct {
		ExecutionArn, Status, AliasArn, VersionArn string
		Types, Aliases                             []string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 script output %q: %v", out, err)
	}
	smArn := "arn:aws:states:us-east-1:123456789012:stateMachine:boto"
	if got.Status != "RUNNING" || got.AliasArn != smArn+":live" || got.VersionArn != smArn+":1" ||
		len(got.Aliases) != 1 || got.Aliases[0] != smArn+":live" {
		t.Errorf("boto3 saw %+v", got)
	}
	if len(got.Types) < 3 || got.Types[0] != "ExecutionStarted" {
		t.Errorf("history through the paginator: %v", got.Types)
	}
	// Answer the token from Go.
	if err := e.eng.SendTaskSuccess(context.Background(), token, `{"ok":true}`); err != nil {
		t.Fatal(err)
	}
	if x, err := e.eng.WaitExecution(context.Background(), got.ExecutionArn); err != nil || x.Status != "SUCCEEDED" {
		t.Fatalf("after SendTaskSuccess: %v %v", x, err)
	}
}
