package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-exec/tfexec"
)

// minTerraform is the oldest Terraform (or OpenTofu) the configuration
// supports: terraform test and the validation features it uses need 1.6.
const minTerraform = "1.6.0"

// tfFlags are the flags shared by deploy, plan, destroy and outputs.
type tfFlags struct {
	dir      string
	vars     multiFlag
	varFiles multiFlag
	yes      bool
}

func (f *tfFlags) register(fs *flag.FlagSet, withYes bool) {
	fs.StringVar(&f.dir, "dir", "terraform", "Terraform root module directory")
	fs.Var(&f.vars, "var", "a Terraform variable, NAME=VALUE (repeatable)")
	fs.Var(&f.varFiles, "var-file", "a Terraform .tfvars file (repeatable)")
	if withYes {
		fs.BoolVar(&f.yes, "yes", false, "apply the plan without asking")
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// tfMode is what a Terraform command does with the plan it makes.
type tfMode int

const (
	tfPlan    tfMode = iota // plan and show, apply nothing (runner plan)
	tfApply                 // plan, show, apply that plan (runner deploy)
	tfDestroy               // plan the destruction, show, apply it (runner destroy)
)

// applies reports whether the mode applies its plan (and so asks first, or takes --yes).
func (m tfMode) applies() bool { return m != tfPlan }

func newDeployCmd() *command {
	return newTerraformCmd("deploy", "Deploy the workflow to AWS: terraform init, plan to a file, show it, apply that plan, save the outputs.", tfApply,
		"runner build && runner deploy --var region=eu-west-1", "runner deploy --var region=eu-west-1 --yes")
}

func newPlanCmd() *command {
	return newTerraformCmd("plan", "Show what 'runner deploy' would change (terraform plan), without applying.", tfPlan,
		"runner plan --var region=eu-west-1")
}

func newDestroyCmd() *command {
	return newTerraformCmd("destroy", "Remove the deployment: plan the destruction to a file, show it, apply it.", tfDestroy,
		"runner destroy --var region=eu-west-1")
}

// newTerraformCmd is deploy, plan or destroy: init, then plan in mode.
func newTerraformCmd(name, summary string, mode tfMode, examples ...string) *command {
	return &command{
		name: name, args: "[--dir DIR] [--var NAME=VALUE ...] [--var-file FILE ...]" + map[bool]string{true: " [--yes]"}[mode.applies()],
		summary: summary, examples: examples,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var f tfFlags
			f.register(fs, mode.applies())
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				tf, err := newTerraform(ctx, f.dir, a.stderr)
				if err != nil {
					return err
				}
				return runTerraform(ctx, a, tf, f, mode)
			}
		},
	}
}

func newOutputsCmd() *command {
	return &command{
		name: "outputs", args: "[--dir DIR]",
		summary:  "Print the deployment's Terraform outputs and save them for --aws commands.",
		examples: []string{"runner outputs --output json"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var f tfFlags
			f.register(fs, false)
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				tf, err := newTerraform(ctx, f.dir, a.stderr)
				if err != nil {
					return err
				}
				metas, err := saveOutputs(ctx, a, tf)
				if err != nil {
					return err
				}
				return a.emit(outputValues(metas), func(w io.Writer) { printOutputs(w, metas) })
			}
		},
	}
}

// terraformBinary finds the Terraform CLI: $TERRAFORM_BIN (a path, or a
// name looked up on PATH), then terraform, then tofu on PATH. The result is
// absolute, because Terraform runs in the module directory, where a relative
// path would name another file. It never downloads one.
func terraformBinary() (string, error) {
	if p := os.Getenv("TERRAFORM_BIN"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("TERRAFORM_BIN=%s: %w", p, err)
		}
		return filepath.Abs(found)
	}
	for _, name := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(name); err == nil {
			return filepath.Abs(p)
		}
	}
	return "", errors.New("no Terraform CLI found: install terraform (>= " + minTerraform + ") or OpenTofu and put it on PATH, or set TERRAFORM_BIN; runner never downloads one")
}

func newTerraform(ctx context.Context, dir string, stderr io.Writer) (*tfexec.Terraform, error) {
	// terraform-exec drops TF_WORKSPACE from Terraform's environment, so
	// the runner would silently use the selected workspace instead.
	if ws := os.Getenv("TF_WORKSPACE"); ws != "" {
		return nil, fmt.Errorf("TF_WORKSPACE=%s is set, but the runner cannot pass it to Terraform: select the workspace with 'terraform -chdir=%s workspace select %s' and unset TF_WORKSPACE", ws, dir, ws)
	}
	bin, err := terraformBinary()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, "versions.tf")); err != nil {
		return nil, fmt.Errorf("%s does not look like the Stepwise Terraform module (no versions.tf); use --dir", dir)
	}
	tf, err := tfexec.NewTerraform(abs, bin)
	if err != nil {
		return nil, err
	}
	v, _, err := tf.Version(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("%s version: %w", bin, err)
	}
	if v.LessThan(mustVersion(minTerraform)) {
		return nil, fmt.Errorf("%s is version %s; Stepwise needs %s or newer", bin, v, minTerraform)
	}
	// Terraform's diagnostics go to the user as they come. Its standard
	// output is streamed only by streamed(), for commands whose progress
	// the user wants to follow (init, apply); the runner prints the results
	// of show and output itself, so they are not echoed (output -json would
	// echo sensitive values).
	tf.SetStderr(stderr)
	return tf, nil
}

// tfVarOptions turns --var and --var-file into plan options. A --var-file
// is relative to the current directory, as on any command line, so it is
// made absolute: Terraform itself runs in the module directory.
func tfVarOptions(f tfFlags) (plan []tfexec.PlanOption, err error) {
	for _, v := range f.vars {
		if !strings.Contains(v, "=") {
			return nil, usagef("--var %q: want NAME=VALUE", v)
		}
		plan = append(plan, tfexec.Var(v))
	}
	for _, vf := range f.varFiles {
		abs, err := filepath.Abs(vf)
		if err != nil {
			return nil, fmt.Errorf("--var-file %s: %w", vf, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("--var-file %s: %w", vf, err)
		}
		plan = append(plan, tfexec.VarFile(abs))
	}
	return plan, nil
}

// runTerraform runs init, then plan to a file; shows the plan; and, for
// deploy and destroy, applies exactly that plan once confirmed.
func runTerraform(ctx context.Context, a *app, tf *tfexec.Terraform, f tfFlags, mode tfMode) error {
	opts, err := tfVarOptions(f)
	if err != nil {
		return err
	}
	if err := streamed(tf, a.stderr, func() error { return tf.Init(ctx, tfexec.Upgrade(false)) }); err != nil {
		return fmt.Errorf("terraform init in %s: %w", tf.WorkingDir(), err)
	}
	// The plan file lives in a private directory of its own: it holds
	// variable values (maybe secrets), and two runners planning at the same
	// time must each apply their own plan.
	planDir, err := os.MkdirTemp("", "stepwise-plan-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(planDir)
	planFile := filepath.Join(planDir, "stepwise.tfplan")
	opts = append(opts, tfexec.Out(planFile), tfexec.Destroy(mode == tfDestroy))
	// The plan's own report is not streamed: the saved plan is shown
	// below, once, and that is exactly what apply will do.
	fmt.Fprintf(a.stderr, "Planning in %s ...\n", tf.WorkingDir())
	changes, err := tf.Plan(ctx, opts...)
	if err != nil {
		return fmt.Errorf("terraform plan: %w", err)
	}
	shown, err := tf.ShowPlanFileRaw(ctx, planFile)
	if err != nil {
		return fmt.Errorf("terraform show: %w", err)
	}
	fmt.Fprintln(a.stderr, shown)
	if !changes {
		fmt.Fprintln(a.stderr, "No changes.")
		switch mode {
		case tfApply:
			_, err := saveOutputs(ctx, a, tf)
			return err
		case tfDestroy:
			// Nothing left to destroy: the saved outputs name nothing.
			os.Remove(outputsFile(a))
		}
		return nil
	}
	if !mode.applies() {
		return nil
	}
	if !f.yes {
		ok, err := confirm(a, "Apply this plan?")
		if err != nil {
			return err
		}
		if !ok {
			return &exitStatus{code: exitError, msg: "not applied"}
		}
	}
	if err := streamed(tf, a.stderr, func() error { return tf.Apply(ctx, tfexec.DirOrPlan(planFile)) }); err != nil {
		return fmt.Errorf("terraform apply: %w", err)
	}
	if mode == tfDestroy {
		os.Remove(outputsFile(a))
		return nil
	}
	_, err = saveOutputs(ctx, a, tf)
	return err
}

// confirm asks a yes/no question on the terminal. Without a terminal it
// refuses, so that nothing is applied unattended by accident.
func confirm(a *app, question string) (bool, error) {
	if !isTerminal(a.stdin) {
		return false, &exitStatus{code: exitUsage, msg: "not a terminal: pass --yes to apply without asking"}
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// streamed runs one Terraform command with its standard output copied to
// w as it comes.
func streamed(tf *tfexec.Terraform, w io.Writer, fn func() error) error {
	tf.SetStdout(w)
	defer tf.SetStdout(nil)
	return fn()
}

func outputsFile(a *app) string { return filepath.Join(a.g.dataDir, "terraform-outputs.json") }

// saveOutputs reads terraform output and saves the values as JSON in the
// data directory, where --aws commands find the state machine and bucket.
func saveOutputs(ctx context.Context, a *app, tf *tfexec.Terraform) (map[string]tfexec.OutputMeta, error) {
	metas, err := tf.Output(ctx)
	if err != nil {
		return nil, fmt.Errorf("terraform output: %w", err)
	}
	data, err := json.MarshalIndent(outputValues(metas), "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(a.g.dataDir, 0o755); err != nil {
		return nil, err
	}
	if err := writeOutput(outputsFile(a), append(data, '\n'), nil); err != nil {
		return nil, err
	}
	return metas, nil
}

// outputValues keeps the values of Terraform outputs.
func outputValues(metas map[string]tfexec.OutputMeta) map[string]json.RawMessage {
	outs := make(map[string]json.RawMessage, len(metas))
	for k, m := range metas {
		outs[k] = m.Value
	}
	return outs
}

// printOutputs writes one "name = value" line per output, sorted by name,
// with the value as compact JSON, and sensitive values hidden as terraform
// output hides them.
func printOutputs(w io.Writer, metas map[string]tfexec.OutputMeta) {
	keys := make([]string, 0, len(metas))
	for k := range metas {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := metas[k]
		value := "<sensitive>"
		if !m.Sensitive {
			var buf bytes.Buffer
			if err := json.Compact(&buf, m.Value); err != nil {
				buf.Reset()
				buf.Write(m.Value)
			}
			value = buf.String()
		}
		fmt.Fprintf(w, "%s = %s\n", k, value)
	}
}

// savedOutputs loads the outputs saved by deploy/outputs, or nil.
func savedOutputs(a *app) map[string]json.RawMessage {
	data, err := os.ReadFile(outputsFile(a))
	if err != nil {
		return nil
	}
	var outs map[string]json.RawMessage
	if json.Unmarshal(data, &outs) != nil {
		return nil
	}
	return outs
}

// isTerminal reports whether r is a terminal: a character device other
// than the null device (cron, CI and nohup give commands /dev/null, which
// is a character device too, and nobody can answer a question there).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(st, null) {
		return false
	}
	return true
}

func mustVersion(s string) *version.Version { return version.Must(version.NewVersion(s)) }
