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

// TestAWSCLI drives the API with the real AWS CLI: list-state-machines,
// start-execution, describe-execution, get-execution-history,
// send-task-success.
func TestAWSCLI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	aws := newCLI(t, e.url, nil).ok

	sm, err := e.eng.CreateStateMachine(ctx, statemachineInput("cli", approvalMachine))
	if err != nil {
		t.Fatal(err)
	}
	list := aws("list-state-machines")
	if sms, _ := list["stateMachines"].([]any); len(sms) != 1 || sms[0].(map[string]any)["name"] != "cli" {
		t.Fatalf("list-state-machines = %v", list)
	}
	start := aws("start-execution", "--state-machine-arn", sm.Arn, "--name", "cli-run", "--input", `{"N":1}`)
	arn, _ := start["executionArn"].(string)
	if !strings.HasSuffix(arn, ":execution:cli:cli-run") {
		t.Fatalf("start-execution = %v", start)
	}
	token := <-e.tokens
	if d := aws("describe-execution", "--execution-arn", arn); d["status"] != "RUNNING" {
		t.Errorf("describe-execution = %v", d)
	}
	h := aws("get-execution-history", "--execution-arn", arn)
	if evs, _ := h["events"].([]any); len(evs) < 3 || evs[0].(map[string]any)["type"] != "ExecutionStarted" {
		t.Errorf("get-execution-history = %v", h)
	}
	aws("send-task-success", "--task-token", token, "--task-output", `{"ok":true}`)
	if _, err := e.eng.WaitExecution(ctx, arn); err != nil {
		t.Fatal(err)
	}
	d := aws("describe-execution", "--execution-arn", arn)
	if d["status"] != "SUCCEEDED" || !strings.Contains(d["output"].(string), `"approval":{"ok":true}`) {
		t.Errorf("describe-execution after success = %v", d)
	}
}

// cli runs the real AWS CLI against a local endpoint.
type cli struct {
	t        *testing.T
	path     string
	endpoint string
	env      []string
}

// newCLI returns a CLI runner for endpoint, or skips the test when the AWS
// CLI is not installed. extraEnv is added to its environment.
func newCLI(t *testing.T, endpoint string, extraEnv []string) *cli {
	t.Helper()
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("SKIPPED: the AWS CLI (`aws`) is not on PATH; install it (pip install awscli) to run the CLI compatibility test")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config"), []byte("[default]\nregion = eu-west-3\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "credentials"), []byte("[default]\naws_access_key_id = AKIDLOCAL\naws_secret_access_key = secret\n"), 0o600)
	// AWS_CA_BUNDLE and real credentials deliberately absent.
	env := append(pythonEnv(dir, filepath.Join(dir, "config"), filepath.Join(dir, "credentials")), extraEnv...)
	return &cli{t: t, path: awsPath, endpoint: endpoint, env: env}
}

func (c *cli) run(args ...string) ([]byte, string, error) {
	cmd := exec.Command(c.path, append([]string{"stepfunctions", "--endpoint-url", c.endpoint, "--output", "json"}, args...)...)
	cmd.Env = c.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	return out, stderr.String(), err
}

// ok runs a command that must succeed and decodes its JSON output.
func (c *cli) ok(args ...string) map[string]any {
	c.t.Helper()
	out, stderr, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	var m map[string]any
	if len(strings.TrimSpace(string(out))) > 0 {
		if err := json.Unmarshal(out, &m); err != nil {
			c.t.Fatalf("aws %s: output %q: %v", args[0], out, err)
		}
	}
	return m
}

// fail runs a command that must fail and returns its error output.
func (c *cli) fail(args ...string) string {
	c.t.Helper()
	out, stderr, err := c.run(args...)
	if err == nil {
		c.t.Fatalf("aws %s succeeded, want an error: %s", strings.Join(args, " "), out)
	}
	return stderr
}

// pythonEnv is the environment for a Python AWS client (the CLI, boto3)
// under test: HOME in dir, the given config and credentials files, no
// instance metadata, no pager, none of this process's AWS settings (real
// credentials, profiles, CA bundles); only the Python interpreter's own
// settings are passed on.
func pythonEnv(dir, config, credentials string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + credentials,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "VIRTUAL_ENV"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
