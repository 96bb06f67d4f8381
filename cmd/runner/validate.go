package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/jsonata"
	"github.com/stepwise-dev/stepwise/statemachine/validate"
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

func newValidateCmd() *command {
	return &command{
		name: "validate", args: "[<asl-file>...] [--type STANDARD|EXPRESS]",
		summary: "Check the workflow files (no argument: every statemachine/*.json workflow file and steps/steps.json of the checkout, as `runner up` and Terraform read them) or the ASL files given: every problem at once, with its file and JSON pointer; exit 1 if any.",
		examples: []string{
			"runner validate",
			"runner validate statemachine/export.asl.json",
			"runner validate my.asl.json --type EXPRESS --output json",
			"runner validate my.asl.json --aws   # ask AWS's ValidateStateMachineDefinition instead (AWS's wording, AWS's locations)",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			smType := fs.String("type", "STANDARD", "state machine type: STANDARD or EXPRESS")
			return func(ctx context.Context, args []string) error {
				if len(args) == 0 {
					if a.g.remote() {
						return usagef("with --aws or --endpoint-url, name the ASL files to validate")
					}
					return validateProject(a)
				}
				*smType = strings.ToUpper(*smType)
				if *smType != "STANDARD" && *smType != "EXPRESS" {
					return usagef("--type must be STANDARD or EXPRESS, not %q", *smType)
				}
				if a.g.remote() {
					return a.withTarget(ctx, func(t *target) error { return validateFiles(ctx, a, args, *smType, t) })
				}
				return validateFiles(ctx, a, args, *smType, nil)
			}
		},
	}
}

// validateProject checks every workflow file of the checkout and
// steps/steps.json with [workflow.Load], as `runner up` and Terraform
// read them, and prints every problem as "<file>: <json pointer>:
// <message>"; it fails (exit 1) if there is any.
func validateProject(a *app) error {
	repo, where, err := checkoutFiles()
	if err != nil {
		return err
	}
	proj, err := workflow.Load(repo)
	var problems workflow.Errors
	if err != nil && !errors.As(err, &problems) {
		return err
	}
	type result struct {
		Checkout   string          `json:"checkout"`
		Result     string          `json:"result"`
		Workflows  []string        `json:"workflows"`
		Steps      []string        `json:"steps"`
		Activities []string        `json:"activities"`
		Problems   workflow.Errors `json:"problems"`
	}
	r := result{Checkout: where, Result: "OK", Workflows: proj.Names(), Steps: []string{}, Activities: []string{}, Problems: problems}
	for _, s := range proj.Steps {
		r.Steps = append(r.Steps, s.Handler)
	}
	for _, a := range proj.Activities {
		r.Activities = append(r.Activities, a.Name)
	}
	if r.Problems == nil {
		r.Problems = workflow.Errors{}
	} else {
		r.Result = "FAIL"
	}
	err = a.emit(r, func(w io.Writer) {
		for _, p := range problems {
			fmt.Fprintln(w, p.Error())
		}
		if len(problems) == 0 {
			fmt.Fprintf(w, "%s: OK: %d workflows (%s), %d steps", where, len(r.Workflows), strings.Join(r.Workflows, ", "), len(r.Steps))
			if len(r.Activities) > 0 {
				fmt.Fprintf(w, ", %d activities (%s)", len(r.Activities), strings.Join(r.Activities, ", "))
			}
			fmt.Fprintln(w)
		}
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return &exitStatus{code: exitError, msg: fmt.Sprintf("%d problems in the workflow files of %s", len(problems), where)}
	}
	return nil
}

// validateFiles checks each ASL file, locally or, given a remote target,
// with that target's ValidateStateMachineDefinition, and prints every
// diagnostic; it fails (exit 1) if any file has errors.
func validateFiles(ctx context.Context, a *app, files []string, smType string, remote *target) error {
	type fileResult struct {
		File        string                `json:"file"`
		Result      string                `json:"result"`
		Diagnostics []validate.Diagnostic `json:"diagnostics"`
	}
	var results []fileResult
	failed := false
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		rendered := renderForValidation(data)
		var ds []validate.Diagnostic
		if remote != nil {
			ds, err = validateRemote(ctx, remote, string(rendered), smType)
			if err != nil {
				return err
			}
		} else {
			ds = validate.Report(rendered, validate.Options{Type: smType, CheckJSONata: checkJSONata, Source: data})
		}
		r := fileResult{File: file, Result: "OK", Diagnostics: ds}
		if r.Diagnostics == nil {
			r.Diagnostics = []validate.Diagnostic{}
		}
		if validate.HasErrors(ds) {
			r.Result, failed = "FAIL", true
		}
		results = append(results, r)
	}
	err := a.emit(results, func(w io.Writer) {
		for _, r := range results {
			if len(r.Diagnostics) == 0 {
				fmt.Fprintf(w, "%s: OK\n", r.File)
				continue
			}
			for _, d := range r.Diagnostics {
				fmt.Fprintln(w, formatDiagnostic(r.File, d))
			}
		}
	})
	if err != nil {
		return err
	}
	if failed {
		return &exitStatus{code: exitError}
	}
	return nil
}

// formatDiagnostic renders a diagnostic on one line, the way compilers do
// so that editors can jump to it:
//
//	file:line:col: ERROR /States/A/Nxt: Field 'Nxt' is not supported; did you mean 'Next'? [SCHEMA_VALIDATION_FAILED]
//
// Diagnostics from AWS (--aws) have no line and column and locations in
// AWS's notation.
func formatDiagnostic(file string, d validate.Diagnostic) string {
	where := file
	if d.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", file, d.Line, d.Column)
	}
	what := d.Message
	if d.Location != "" && !strings.Contains(d.Message, d.Location) {
		what = d.Location + ": " + d.Message
	}
	return fmt.Sprintf("%s: %s %s [%s]", where, d.Severity, what, d.Code)
}

func checkJSONata(expr string) error {
	_, err := jsonata.Compile(expr, jsonata.StepFunctions())
	return err
}

// renderForValidation fills ${...} placeholders (as Terraform and the local
// stack do) with values of the right shape, so that a workflow file can be
// validated as it will be deployed. Locations in the diagnostics stay
// valid: only string values change.
func renderForValidation(def []byte) []byte {
	names := statemachine.Placeholders(def)
	if len(names) == 0 {
		return def
	}
	vars := make(map[string]string, len(names))
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, "FunctionArn"):
			vars[n] = "arn:aws:lambda:us-east-1:123456789012:function:stepwise-" + strings.ToLower(strings.TrimSuffix(n, "FunctionArn"))
		case strings.HasSuffix(n, "Arn"):
			vars[n] = "arn:aws:states:us-east-1:123456789012:stateMachine:" + n
		default:
			vars[n] = strings.ToLower(n)
		}
	}
	out, err := statemachine.Render(def, vars)
	if err != nil {
		return def // validation then reports the placeholder text where it is wrong
	}
	return out
}

func validateRemote(ctx context.Context, t *target, def, smType string) ([]validate.Diagnostic, error) {
	out, err := t.sfn.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{
		Definition: aws.String(def),
		Type:       types.StateMachineType(smType),
	})
	if err != nil {
		return nil, fmt.Errorf("ValidateStateMachineDefinition: %w", err)
	}
	ds := make([]validate.Diagnostic, len(out.Diagnostics))
	for i, d := range out.Diagnostics {
		ds[i] = validate.Diagnostic{Severity: string(d.Severity), Code: aws.ToString(d.Code), Message: aws.ToString(d.Message), Location: aws.ToString(d.Location)}
	}
	return ds, nil
}
