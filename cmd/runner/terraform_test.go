package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// The tests in this file drive `runner deploy|plan|destroy|outputs` through
// run() with TERRAFORM_BIN pointing at testdata/faketf/terraform, a shell
// script that answers like terraform 1.11 and logs every call (argv,
// working directory, TF_* environment). They check the command lines the
// runner has terraform-exec build, without running Terraform.

// tfCall is one recorded invocation of the fake terraform.
type tfCall struct {
	Dir  string
	Args []string
	Env  map[string]string
}

// sub is the Terraform subcommand (init, plan, ...).
func (c tfCall) sub() string {
	if len(c.Args) == 0 {
		return ""
	}
	return c.Args[0]
}

func (c tfCall) has(arg string) bool { return slices.Contains(c.Args, arg) }

// flag returns the value of a -name=value argument.
func (c tfCall) flag(name string) (string, bool) {
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// vars returns the values of the "-var VALUE" argument pairs, in order.
func (c tfCall) vars() []string {
	var vs []string
	for i := 0; i+1 < len(c.Args); i++ {
		if c.Args[i] == "-var" {
			vs = append(vs, c.Args[i+1])
			i++
		}
	}
	return vs
}

func (c tfCall) last() string { return c.Args[len(c.Args)-1] }

// fakeTF is the fake terraform installed for one test.
type fakeTF struct {
	bin     string
	log     string
	outputs string // file the fake prints for `output -json`
}

// sampleOutputs is what `terraform output -json` prints for a deployment.
const sampleOutputs = `{
  "alarm_topic_arn": {
    "sensitive": true,
    "type": "string",
    "value": "arn:aws:sns:eu-west-1:123456789012:stepwise-alarms"
  },
  "bucket": {
    "sensitive": false,
    "type": "string",
    "value": "stepwise-exports-123456789012"
  },
  "function_names": {
    "sensitive": false,
    "type": [
      "map",
      "string"
    ],
    "value": {
      "export": "stepwise-export",
      "merge": "stepwise-merge"
    }
  },
  "region": {
    "sensitive": false,
    "type": "string",
    "value": "eu-west-1"
  },
  "state_machine_arn": {
    "sensitive": false,
    "type": "string",
    "value": "arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-export"
  }
}
`

// newFakeTF copies the fake terraform into a temporary directory, makes it
// executable and points TERRAFORM_BIN at it. The FAKETF_* knobs start at
// their defaults (terraform 1.11.4, plan with changes, nothing fails).
func newFakeTF(t *testing.T) *fakeTF {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "faketf", "terraform"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &fakeTF{
		bin:     filepath.Join(dir, "terraform"),
		log:     filepath.Join(dir, "calls.log"),
		outputs: filepath.Join(dir, "outputs.json"),
	}
	if err := os.WriteFile(f.bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.outputs, []byte(sampleOutputs), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TERRAFORM_BIN", f.bin)
	t.Setenv("FAKETF_LOG", f.log)
	t.Setenv("FAKETF_OUTPUTS", f.outputs)
	t.Setenv("FAKETF_VERSION", "")
	t.Setenv("FAKETF_PLAN_EXIT", "")
	t.Setenv("FAKETF_FAIL", "")
	return f
}

// calls reads the log of every invocation so far.
func (f *fakeTF) calls(t *testing.T) []tfCall {
	t.Helper()
	file, err := os.Open(f.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var calls []tfCall
	sc := bufio.NewScanner(file)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "call" {
			calls = append(calls, tfCall{Env: map[string]string{}})
			continue
		}
		if len(calls) == 0 {
			t.Fatalf("%s:%d: %q before the first call line", f.log, n, line)
		}
		c := &calls[len(calls)-1]
		kind, val, _ := strings.Cut(line, " ")
		switch kind {
		case "dir":
			c.Dir = val
		case "arg":
			c.Args = append(c.Args, val)
		case "env":
			k, v, _ := strings.Cut(val, "=")
			c.Env[k] = v
		default:
			// A continuation line of a multi-line environment value.
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return calls
}

func subs(calls []tfCall) []string {
	s := make([]string, len(calls))
	for i, c := range calls {
		s[i] = c.sub()
	}
	return s
}

// tfModule makes a directory that passes the runner's "is this the
// Stepwise module" check (it has a versions.tf).
func tfModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "versions.tf"), []byte("terraform {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Resolve symlinks (e.g. a /tmp link) the way the fake's `pwd -P` does.
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runCLI runs the runner in-process with stdin as given (a non-terminal).
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestTerraformCommandLines(t *testing.T) {
	wantVars := []string{"region=eu-west-1", "alarm_email=ops@example.com", "tags={team=\"data\", env=\"prod\"}"}
	varArgs := []string{
		"--var", wantVars[0], "--var-file", "prod.tfvars", "--var", wantVars[1],
		"--var-file", "secrets.tfvars", "--var", wantVars[2],
	}

	for _, tc := range []struct {
		name      string
		args      []string
		planExit  string // FAKETF_PLAN_EXIT
		wantCode  int
		wantSubs  []string
		destroy   bool
		wantSaved bool   // terraform-outputs.json exists afterwards
		wantErr   string // in stderr
	}{
		{
			name: "deploy", args: append([]string{"deploy", "--yes"}, varArgs...),
			wantSubs:  []string{"version", "init", "plan", "show", "apply", "output"},
			wantSaved: true,
		},
		{
			name: "deploy no changes", args: []string{"deploy", "--yes"}, planExit: "0",
			wantSubs:  []string{"version", "init", "plan", "show", "output"},
			wantSaved: true, wantErr: "No changes.",
		},
		{
			name: "deploy without --yes on a non-terminal", args: append([]string{"deploy"}, varArgs...),
			wantCode: exitUsage,
			wantSubs: []string{"version", "init", "plan", "show"},
			wantErr:  "not a terminal: pass --yes to apply without asking",
		},
		{
			name: "plan", args: append([]string{"plan"}, varArgs...),
			wantSubs: []string{"version", "init", "plan", "show"},
		},
		{
			name: "plan no changes", args: []string{"plan"}, planExit: "0",
			wantSubs: []string{"version", "init", "plan", "show"}, wantErr: "No changes.",
		},
		{
			name: "destroy", args: append([]string{"destroy", "--yes"}, varArgs...), destroy: true,
			wantSubs: []string{"version", "init", "plan", "show", "apply"},
		},
		{
			name: "destroy with nothing to destroy", args: []string{"destroy", "--yes"}, destroy: true, planExit: "0",
			wantSubs: []string{"version", "init", "plan", "show"}, wantErr: "No changes.",
		},
		{
			name: "destroy without --yes on a non-terminal", args: []string{"destroy"}, destroy: true,
			wantCode: exitUsage,
			wantSubs: []string{"version", "init", "plan", "show"},
			wantErr:  "pass --yes",
		},
		{
			name: "outputs", args: []string{"outputs"},
			wantSubs: []string{"version", "output"}, wantSaved: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeTF(t)
			t.Setenv("FAKETF_PLAN_EXIT", tc.planExit)
			// --var-file names are relative to the user's directory.
			t.Chdir(t.TempDir())
			wd, err := os.Getwd()
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"prod.tfvars", "secrets.tfvars"} {
				if err := os.WriteFile(name, []byte("# "+name+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("TF_VAR_owner", "platform-team") // the user's own TF_VAR_ passes through
			mod := tfModule(t)
			dataDir := filepath.Join(t.TempDir(), "data")
			saved := filepath.Join(dataDir, "terraform-outputs.json")
			if tc.destroy {
				// A previous deploy saved outputs; destroy must drop them only once applied.
				if err := os.MkdirAll(dataDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(saved, []byte(`{"bucket":"old"}`), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append(append([]string(nil), tc.args...), "--dir", mod, "--data-dir", dataDir)
			code, _, stderr := runCLI(t, "", args...)
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			if tc.wantErr != "" && !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr does not say %q:\n%s", tc.wantErr, stderr)
			}
			calls := fake.calls(t)
			if got := subs(calls); !reflect.DeepEqual(got, tc.wantSubs) {
				t.Fatalf("terraform subcommands %q, want %q", got, tc.wantSubs)
			}

			for i, c := range calls {
				// Every call runs in the module directory, non-interactively
				// as far as terraform-exec marks it, with the user's TF_VAR_.
				if c.Dir != mod {
					t.Errorf("call %d (%s) ran in %s, want %s", i, c.sub(), c.Dir, mod)
				}
				if c.Env["TF_IN_AUTOMATION"] != "1" {
					t.Errorf("call %d (%s): TF_IN_AUTOMATION=%q, want 1", i, c.sub(), c.Env["TF_IN_AUTOMATION"])
				}
				if c.Env["TF_VAR_owner"] != "platform-team" {
					t.Errorf("call %d (%s): TF_VAR_owner=%q, want the caller's value", i, c.sub(), c.Env["TF_VAR_owner"])
				}
				if c.sub() != "version" && c.sub() != "output" && !c.has("-no-color") {
					t.Errorf("call %d: %q lacks -no-color", i, c.Args)
				}
			}
			if v := calls[0]; !reflect.DeepEqual(v.Args, []string{"version", "-json"}) {
				t.Errorf("first call %q, want version -json", v.Args)
			}

			var plannedTo string
			for _, c := range calls {
				switch c.sub() {
				case "init":
					for _, want := range []string{"-input=false", "-upgrade=false", "-backend=true"} {
						if !c.has(want) {
							t.Errorf("init %q lacks %s", c.Args, want)
						}
					}
				case "plan":
					// The plan goes to a file in a private directory of
					// its own, outside the module.
					out, ok := c.flag("out")
					if !ok || !filepath.IsAbs(out) || filepath.Base(out) != "stepwise.tfplan" || strings.HasPrefix(out, mod+string(filepath.Separator)) {
						t.Errorf("plan %q: -out=%q, want an absolute .../stepwise.tfplan outside %s", c.Args, out, mod)
					}
					plannedTo = out
					if !c.has("-input=false") || !c.has("-detailed-exitcode") {
						t.Errorf("plan %q lacks -input=false or -detailed-exitcode", c.Args)
					}
					if c.has("-destroy") != tc.destroy {
						t.Errorf("plan %q: -destroy present = %v, want %v", c.Args, c.has("-destroy"), tc.destroy)
					}
					var wantV, wantVF []string
					if slices.Contains(tc.args, "--var") {
						wantV, wantVF = wantVars, []string{filepath.Join(wd, "prod.tfvars"), filepath.Join(wd, "secrets.tfvars")}
					}
					if got := c.vars(); !reflect.DeepEqual(got, wantV) {
						t.Errorf("plan -var values %q, want %q", got, wantV)
					}
					var gotVF []string
					for _, a := range c.Args {
						if v, ok := strings.CutPrefix(a, "-var-file="); ok {
							gotVF = append(gotVF, v)
						}
					}
					if !reflect.DeepEqual(gotVF, wantVF) {
						t.Errorf("plan -var-file values %q, want %q", gotVF, wantVF)
					}
				case "show":
					if c.last() != plannedTo || plannedTo == "" {
						t.Errorf("show %q does not show the plan file %q", c.Args, plannedTo)
					}
				case "apply":
					// Exactly the saved plan: the plan file is the one
					// positional argument, and nothing re-plans (no vars,
					// no -destroy: those are in the plan).
					if c.last() != plannedTo || plannedTo == "" {
						t.Errorf("apply %q does not apply the plan file %q", c.Args, plannedTo)
					}
					for _, a := range c.Args[1 : len(c.Args)-1] {
						if !strings.HasPrefix(a, "-") {
							t.Errorf("apply %q has a second positional argument %q", c.Args, a)
						}
					}
					if len(c.vars()) > 0 || c.has("-destroy") {
						t.Errorf("apply %q re-specifies planning options instead of using the plan", c.Args)
					}
					if _, ok := c.flag("var-file"); ok {
						t.Errorf("apply %q passes -var-file with a saved plan", c.Args)
					}
				case "output":
					if !c.has("-json") {
						t.Errorf("output %q lacks -json", c.Args)
					}
				}
			}
			if plannedTo != "" {
				if _, err := os.Stat(filepath.Dir(plannedTo)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the plan directory %s is left behind (stat: %v)", filepath.Dir(plannedTo), err)
				}
			}
			if entries, err := os.ReadDir(mod); err != nil || len(entries) != 1 {
				t.Errorf("the module directory holds %q (%v), want only versions.tf", dirNames(entries), err)
			}

			_, err = os.Stat(saved)
			switch {
			case tc.wantSaved && err != nil:
				t.Errorf("outputs not saved: %v", err)
			case !tc.wantSaved && tc.destroy && tc.wantCode == exitOK && err == nil:
				t.Errorf("destroy left the old outputs in %s", saved)
			case !tc.wantSaved && tc.destroy && tc.wantCode != exitOK && err != nil:
				t.Errorf("destroy that did not apply removed the outputs: %v", err)
			case !tc.wantSaved && !tc.destroy && err == nil:
				t.Errorf("%s wrote %s", tc.args[0], saved)
			}
		})
	}
}

// Ctrl-C during apply interrupts Terraform (SIGINT, so it can release
// the state lock), reports "interrupted", and saves no outputs.
func TestTerraformInterruptedApply(t *testing.T) {
	fake := newFakeTF(t)
	ready := filepath.Join(t.TempDir(), "ready")
	if out, err := exec.Command("mkfifo", ready).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: cannot make a FIFO to synchronise with the fake terraform: %v %s", err, out)
	}
	t.Setenv("FAKETF_BLOCK", "apply")
	t.Setenv("FAKETF_READY", ready)
	dataDir := t.TempDir()
	mod := tfModule(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var stdout, stderr strings.Builder
		code := run(ctx, []string{"deploy", "--yes", "--dir", mod, "--data-dir", dataDir}, strings.NewReader(""), &stdout, &stderr)
		done <- result{code, stderr.String()}
		// Unblock the reader below if terraform never reached apply.
		if f, err := os.OpenFile(ready, os.O_WRONLY, 0); err == nil {
			f.WriteString("runner returned\n")
			f.Close()
		}
	}()
	f, err := os.Open(ready) // blocks until a writer opens the FIFO
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(f).ReadString('\n')
	f.Close()
	if line != "apply\n" {
		r := <-done
		t.Fatalf("the fake terraform never reached apply (got %q); exit %d, stderr:\n%s", line, r.code, r.stderr)
	}
	cancel()
	r := <-done
	if r.code != exitError || !strings.Contains(r.stderr, "runner deploy: interrupted") {
		t.Errorf("exit %d, want %d with 'interrupted'; stderr:\n%s", r.code, exitError, r.stderr)
	}
	log, err := os.ReadFile(fake.log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "\nsignal INT\n") {
		t.Error("terraform apply did not get SIGINT")
	}
	if got := subs(fake.calls(t)); !reflect.DeepEqual(got, []string{"version", "init", "plan", "show", "apply"}) {
		t.Errorf("terraform subcommands %q", got)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "terraform-outputs.json")); err == nil {
		t.Error("an interrupted deploy saved outputs")
	}
}

// Stdin from the null device (cron, CI, nohup) is no terminal: nobody can
// answer, so deploy refuses to apply and says to pass --yes.
func TestTerraformConfirmDevNull(t *testing.T) {
	fake := newFakeTF(t)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"deploy", "--dir", tfModule(t), "--data-dir", t.TempDir()}, null, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "pass --yes") {
		t.Errorf("exit %d, want %d with 'pass --yes'; stderr:\n%s", code, exitUsage, stderr.String())
	}
	if strings.Contains(stderr.String(), "[y/N]") {
		t.Errorf("asked a question nobody can answer:\n%s", stderr.String())
	}
	if slices.Contains(subs(fake.calls(t)), "apply") {
		t.Error("applied without --yes")
	}
}

// The plan is shown to the user once, on stderr, and stdout stays free for
// --output json results.
func TestTerraformPlanShownOnce(t *testing.T) {
	newFakeTF(t)
	mod := tfModule(t)
	code, stdout, stderr := runCLI(t, "", "plan", "--dir", mod, "--data-dir", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	const shown = "Terraform will perform the following actions (from fake plan destroy=false)"
	if n := strings.Count(stderr, shown); n != 1 {
		t.Errorf("the plan is shown %d times on stderr, want once:\n%s", n, stderr)
	}
	if stdout != "" {
		t.Errorf("plan wrote to stdout: %q", stdout)
	}
}

func TestTerraformOutputs(t *testing.T) {
	var want map[string]tfexec.OutputMeta
	if err := json.Unmarshal([]byte(sampleOutputs), &want); err != nil {
		t.Fatal(err)
	}
	checkValues := func(t *testing.T, where string, got map[string]json.RawMessage) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d outputs, want %d: %s", where, len(got), len(want), got)
		}
		for k, m := range want {
			if !jsonEqual(t, got[k], m.Value) {
				t.Errorf("%s: %s = %s, want %s", where, k, got[k], m.Value)
			}
		}
	}

	t.Run("text", func(t *testing.T) {
		newFakeTF(t)
		dataDir := filepath.Join(t.TempDir(), "fresh", "data")
		code, stdout, stderr := runCLI(t, "", "outputs", "--dir", tfModule(t), "--data-dir", dataDir)
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		// One line per output, values compact, sensitive ones hidden
		// as terraform output hides them.
		if strings.Contains(stderr, "stepwise-alarms") {
			t.Errorf("the sensitive output is echoed on stderr:\n%s", stderr)
		}
		wantText := `alarm_topic_arn = <sensitive>
bucket = "stepwise-exports-123456789012"
function_names = {"export":"stepwise-export","merge":"stepwise-merge"}
region = "eu-west-1"
state_machine_arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-export"
`
		if stdout != wantText {
			t.Errorf("stdout:\n%s\nwant:\n%s", stdout, wantText)
		}
		data, err := os.ReadFile(filepath.Join(dataDir, "terraform-outputs.json"))
		if err != nil {
			t.Fatal(err)
		}
		var saved map[string]json.RawMessage
		if err := json.Unmarshal(data, &saved); err != nil {
			t.Fatalf("terraform-outputs.json is not a JSON object: %v\n%s", err, data)
		}
		checkValues(t, "terraform-outputs.json", saved)
		// The saved file is what --aws commands read back.
		a := &app{}
		a.g.dataDir = dataDir
		if got := jsonString(savedOutputs(a)["state_machine_arn"]); got != "arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-export" {
			t.Errorf("savedOutputs state_machine_arn = %q", got)
		}
	})

	t.Run("json", func(t *testing.T) {
		newFakeTF(t)
		code, stdout, stderr := runCLI(t, "", "outputs", "--output", "json", "--dir", tfModule(t), "--data-dir", t.TempDir())
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
		}
		checkValues(t, "stdout", got)
		if strings.Contains(stderr, "stepwise-alarms") {
			t.Errorf("the sensitive output is echoed on stderr:\n%s", stderr)
		}
	})
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// Failures stop early with a message that says what to do, and nothing is
// applied.
func TestTerraformErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T, fake *fakeTF) (dir string)
		args     []string
		wantCode int
		wantErr  []string
		wantSubs []string
	}{
		{
			name: "old terraform",
			setup: func(t *testing.T, _ *fakeTF) string {
				t.Setenv("FAKETF_VERSION", "1.5.0")
				return tfModule(t)
			},
			args: []string{"deploy", "--yes"}, wantCode: exitError,
			wantErr:  []string{"is version 1.5.0; Stepwise needs 1.6.0 or newer"},
			wantSubs: []string{"version"},
		},
		{
			name: "no terraform anywhere",
			setup: func(t *testing.T, _ *fakeTF) string {
				t.Setenv("TERRAFORM_BIN", "")
				t.Setenv("PATH", t.TempDir())
				return tfModule(t)
			},
			args: []string{"plan"}, wantCode: exitError,
			wantErr: []string{"no Terraform CLI found", "TERRAFORM_BIN", "never downloads"},
		},
		{
			name: "TERRAFORM_BIN names a missing file",
			setup: func(t *testing.T, _ *fakeTF) string {
				t.Setenv("TERRAFORM_BIN", filepath.Join(t.TempDir(), "terraform"))
				return tfModule(t)
			},
			args: []string{"outputs"}, wantCode: exitError,
			wantErr: []string{"TERRAFORM_BIN=", "no such file"},
		},
		{
			name:  "not the module",
			setup: func(t *testing.T, _ *fakeTF) string { return t.TempDir() },
			args:  []string{"deploy", "--yes"}, wantCode: exitError,
			wantErr: []string{"does not look like the Stepwise Terraform module", "use --dir"},
		},
		{
			name:  "var without a value",
			setup: func(t *testing.T, _ *fakeTF) string { return tfModule(t) },
			args:  []string{"deploy", "--yes", "--var", "region"}, wantCode: exitUsage,
			wantErr:  []string{`--var "region": want NAME=VALUE`},
			wantSubs: []string{"version"},
		},
		{
			name: "TF_WORKSPACE set",
			setup: func(t *testing.T, _ *fakeTF) string {
				t.Setenv("TF_WORKSPACE", "prod")
				return tfModule(t)
			},
			args: []string{"deploy", "--yes"}, wantCode: exitError,
			wantErr: []string{"TF_WORKSPACE=prod is set", "workspace select prod"},
		},
		{
			name:  "missing var file",
			setup: func(t *testing.T, _ *fakeTF) string { return tfModule(t) },
			args:  []string{"plan", "--var-file", "no-such.tfvars"}, wantCode: exitError,
			wantErr:  []string{"--var-file no-such.tfvars: ", "no such file"},
			wantSubs: []string{"version"},
		},
		{
			name: "init fails",
			setup: func(t *testing.T, _ *fakeTF) string {
				t.Setenv("FAKETF_FAIL", "init")
				return tfModule(t)
			},
			args: []string{"deploy", "--yes"}, wantCode: exitError,
			wantErr:  []string{"terraform init in ", "fake terraform was told to fail init"},
			wantSubs: []string{"version", "init"},
		},
		{
			name: "plan fails",
			setup: func(t *testing.T, _ *fakeTF) string {
				t.Setenv("FAKETF_FAIL", "plan")
				return tfModule(t)
			},
			args: []string{"deploy", "--yes"}, wantCode: exitError,
			wantErr:  []string{"terraform plan: ", "fake terraform was told to fail plan"},
			wantSubs: []string{"version", "init", "plan"},
		},
		{
			name: "apply fails",
			setup: func(t *testing.T, _ *fakeTF) string {
				t.Setenv("FAKETF_FAIL", "apply")
				return tfModule(t)
			},
			args: []string{"deploy", "--yes"}, wantCode: exitError,
			wantErr:  []string{"terraform apply: ", "fake terraform was told to fail apply"},
			wantSubs: []string{"version", "init", "plan", "show", "apply"},
		},
		{
			name:  "positional argument",
			setup: func(t *testing.T, _ *fakeTF) string { return tfModule(t) },
			args:  []string{"outputs", "extra"}, wantCode: exitUsage,
			wantErr: []string{`unexpected argument "extra"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeTF(t)
			dir := tc.setup(t, fake)
			dataDir := t.TempDir()
			args := append(append([]string(nil), tc.args...), "--dir", dir, "--data-dir", dataDir)
			code, _, stderr := runCLI(t, "", args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d", code, tc.wantCode)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			if got := subs(fake.calls(t)); !reflect.DeepEqual(got, tc.wantSubs) && (len(got) > 0 || len(tc.wantSubs) > 0) {
				t.Errorf("terraform subcommands %q, want %q", got, tc.wantSubs)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "terraform-outputs.json")); err == nil {
				t.Errorf("a failed %s saved outputs", tc.args[0])
			}
		})
	}
}

// --dir, --var-file and TERRAFORM_BIN may be relative to the current
// directory; Terraform still runs in the module directory, and gets absolute
// paths.
func TestTerraformRelativePaths(t *testing.T) {
	fake := newFakeTF(t)
	mod := tfModule(t)
	t.Chdir(filepath.Dir(mod))
	rel, err := filepath.Rel(filepath.Dir(mod), fake.bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TERRAFORM_BIN", rel)
	if err := os.WriteFile("dev.tfvars", []byte("region = \"eu-west-1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "", "deploy", "--yes", "--dir", filepath.Base(mod), "--data-dir", "data", "--var-file", "dev.tfvars")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	calls := fake.calls(t)
	if len(calls) == 0 {
		t.Fatal("terraform never ran")
	}
	for _, c := range calls {
		if c.Dir != mod {
			t.Errorf("%s ran in %s, want %s", c.sub(), c.Dir, mod)
		}
		if c.sub() == "plan" {
			if out, _ := c.flag("out"); !filepath.IsAbs(out) {
				t.Errorf("plan -out=%s is not absolute", out)
			}
			if vf, _ := c.flag("var-file"); vf != filepath.Join(filepath.Dir(mod), "dev.tfvars") {
				t.Errorf("plan -var-file=%s, want %s", vf, filepath.Join(filepath.Dir(mod), "dev.tfvars"))
			}
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(mod), "data", "terraform-outputs.json")); err != nil {
		t.Errorf("outputs not saved under the relative --data-dir: %v", err)
	}
}

// realTerraform finds an installed terraform or tofu, or skips the test
// loudly.
func realTerraform(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TERRAFORM_BIN"); p != "" {
		return p
	}
	for _, name := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("SKIPPED: neither terraform nor tofu is on PATH and TERRAFORM_BIN is unset, so the real-Terraform checks " +
		"(version, fmt -check -recursive on terraform/, a provider-free deploy/outputs/destroy) did not run; " +
		"install terraform >= " + minTerraform + " or build OpenTofu (see .ci/run) to run them")
	return ""
}

// With a real Terraform: it is new enough, and every file under terraform/
// is formatted (terraform fmt -check -recursive), both through terraform-exec
// as the runner uses it.
func TestRealTerraformVersionAndFormat(t *testing.T) {
	bin := realTerraform(t)
	dir, err := filepath.Abs(filepath.Join("..", "..", "terraform"))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := tfexec.NewTerraform(dir, bin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, _, err := tf.Version(ctx, true)
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	t.Logf("%s is version %s", bin, v)
	if v.LessThan(mustVersion(minTerraform)) {
		t.Errorf("%s is version %s, older than the %s the runner requires", bin, v, minTerraform)
	}
	ok, files, err := tf.FormatCheck(ctx, tfexec.Recursive(true))
	if err != nil {
		t.Fatalf("%s fmt -check -recursive: %v", bin, err)
	}
	if !ok {
		t.Errorf("terraform fmt -check -recursive %s: not formatted: %q (run terraform fmt -recursive terraform)", dir, files)
	}
}

// With a real Terraform and a module that needs no provider plugins (so it
// works offline): runner plan, deploy, outputs and destroy all succeed, and
// deploy saves the real outputs. Slow, so only with STEPWISE_TERRAFORM_E2E=1.
func TestRealTerraformDeployCycle(t *testing.T) {
	if os.Getenv("STEPWISE_TERRAFORM_E2E") == "" {
		t.Skip("SKIPPED: set STEPWISE_TERRAFORM_E2E=1 to run runner plan/deploy/outputs/destroy with the real terraform " +
			"on a provider-free module (about 20 terraform runs, several seconds)")
	}
	bin := realTerraform(t)
	t.Setenv("TERRAFORM_BIN", bin)
	t.Setenv("TF_CLI_CONFIG_FILE", filepath.Join(t.TempDir(), "none.tfrc")) // no user CLI config, no plugin cache
	mod := tfModule(t)
	const mainTF = `variable "region" {
  type = string
}

variable "names" {
  type    = list(string)
  default = []
}

resource "terraform_data" "marker" {
  input = "${var.region}:${join(",", var.names)}"
}

output "region" {
  value = var.region
}

output "marker" {
  value = terraform_data.marker.output
}
`
	if err := os.WriteFile(filepath.Join(mod, "main.tf"), []byte(mainTF), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "extra.tfvars"), []byte("names = [\"a\", \"b\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	common := []string{"--dir", mod, "--data-dir", dataDir, "--var", "region=eu-west-1", "--var-file", filepath.Join(mod, "extra.tfvars")}
	step := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, "", args...)
		if code != wantCode {
			t.Fatalf("runner %q: exit %d, want %d; stderr:\n%s", args, code, wantCode, stderr)
		}
		return stdout, stderr
	}

	_, stderr := step(exitOK, append([]string{"plan"}, common...)...)
	if n := strings.Count(stderr, "terraform_data.marker will be created"); n != 1 {
		t.Errorf("plan shows the resource to create %d times, want once:\n%s", n, stderr)
	}
	step(exitUsage, append([]string{"deploy"}, common...)...) // no terminal, no --yes
	if _, err := os.Stat(filepath.Join(mod, "terraform.tfstate")); err == nil {
		t.Fatal("deploy without --yes applied")
	}
	step(exitOK, append([]string{"deploy", "--yes"}, common...)...)
	stdout, _ := step(exitOK, "outputs", "--output", "json", "--dir", mod, "--data-dir", dataDir)
	var outs map[string]string
	if err := json.Unmarshal([]byte(stdout), &outs); err != nil {
		t.Fatalf("outputs --output json: %v\n%s", err, stdout)
	}
	if want := map[string]string{"region": "eu-west-1", "marker": "eu-west-1:a,b"}; !reflect.DeepEqual(outs, want) {
		t.Errorf("outputs %v, want %v", outs, want)
	}
	_, stderr = step(exitOK, append([]string{"deploy", "--yes"}, common...)...)
	if !strings.Contains(stderr, "No changes.") {
		t.Errorf("a second deploy is not a no-op:\n%s", stderr)
	}
	step(exitOK, append([]string{"destroy", "--yes"}, common...)...)
	if _, err := os.Stat(filepath.Join(dataDir, "terraform-outputs.json")); err == nil {
		t.Error("destroy left terraform-outputs.json behind")
	}
	_, stderr = step(exitOK, append([]string{"plan"}, common...)...)
	if !strings.Contains(stderr, "will be created") {
		t.Errorf("after destroy, plan does not recreate the resource:\n%s", stderr)
	}
}

// TestTerraformConfirmHelper is not a test: TestTerraformConfirmOnTerminal
// runs the test binary as a runner whose stdin is a pseudo-terminal.
func TestTerraformConfirmHelper(t *testing.T) {
	args := os.Getenv("STEPWISE_TEST_RUNNER_ARGS")
	if args == "" {
		return
	}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
}

// On a terminal, deploy asks before applying: "y" applies the saved plan,
// anything else (or just Enter) applies nothing. script(1) gives the runner
// a pseudo-terminal as stdin and types the answer into it.
func TestTerraformConfirmOnTerminal(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("SKIPPED: script(1) from util-linux is not installed; the interactive confirmation of deploy is untested")
	}
	for _, tc := range []struct {
		answer    string
		wantCode  int
		wantApply bool
	}{
		{"y\n", exitOK, true},
		{"yes\n", exitOK, true},
		{"n\n", exitError, false},
		{"\n", exitError, false},
	} {
		t.Run(fmt.Sprintf("answer %q", tc.answer), func(t *testing.T) {
			fake := newFakeTF(t)
			mod := tfModule(t)
			t.Setenv("STEPWISE_TEST_RUNNER_ARGS", strings.Join([]string{"deploy", "--dir", mod, "--data-dir", t.TempDir()}, "\x1f"))
			self := "'" + strings.ReplaceAll(os.Args[0], "'", `'\''`) + "'"
			cmd := exec.Command(scriptBin, "-q", "-e", "-c", self+" -test.run=^TestTerraformConfirmHelper$", "/dev/null")
			cmd.Stdin = strings.NewReader(tc.answer)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode {
				t.Errorf("answer %q: exit %d, want %d; terminal:\n%s", tc.answer, code, tc.wantCode, out)
			}
			if !strings.Contains(string(out), "Apply this plan? [y/N]") {
				t.Errorf("answer %q: no question on the terminal:\n%s", tc.answer, out)
			}
			applied := slices.Contains(subs(fake.calls(t)), "apply")
			if applied != tc.wantApply {
				t.Errorf("answer %q: applied = %v, want %v; terminal:\n%s", tc.answer, applied, tc.wantApply, out)
			}
			if !tc.wantApply && !strings.Contains(string(out), "not applied") {
				t.Errorf("answer %q: the refusal is not reported:\n%s", tc.answer, out)
			}
		})
	}
}
