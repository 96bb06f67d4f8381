package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stepwise-dev/stepwise/local/stack"
)

// lookupConcurrency bounds the Step Functions calls a lookup makes at once
// (one per state machine): enough to be quick on an account with a few
// dozen machines, few enough to stay far below the API's rate limits.
const lookupConcurrency = 8

// machine is one state machine the target lists.
type machine struct {
	name, arn string
	express   bool
}

// machines lists every state machine of the target, sorted by name.
func machines(ctx context.Context, t *target) ([]machine, error) {
	var out []machine
	p := sfn.NewListStateMachinesPaginator(t.sfn, &sfn.ListStateMachinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list state machines: %w", err)
		}
		for _, sm := range page.StateMachines {
			out = append(out, machine{name: aws.ToString(sm.Name), arn: aws.ToString(sm.StateMachineArn), express: sm.Type == types.StateMachineTypeExpress})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// namePrefix is the prefix the workflows of this target are deployed
// under (<prefix>-<workflow>): Terraform's name_prefix as the export state
// machine's name shows it, else the default.
func namePrefix(t *target) string {
	if t != nil && t.smArn != "" {
		name := t.smArn[strings.LastIndex(t.smArn, ":")+1:]
		if p, ok := strings.CutSuffix(name, "-export"); ok && p != "" {
			return p
		}
	}
	return stack.DefaultPrefix
}

// workflowName is the workflow a state machine deploys: its name without
// the prefix, or the whole name for a machine that is not a workflow's.
func workflowName(t *target, smName string) string {
	if w, ok := strings.CutPrefix(smName, namePrefix(t)+"-"); ok && w != "" {
		return w
	}
	return smName
}

// savedWorkflowArns returns workflow name → state machine ARN from the
// saved Terraform outputs, when the target is the deployment they describe.
func (a *app) savedWorkflowArns(t *target) map[string]string {
	if t.kind != "aws" {
		return nil
	}
	outs := savedOutputs(a)
	if outs == nil {
		return nil
	}
	var wfs map[string]struct {
		StateMachineArn string `json:"state_machine_arn"`
	}
	if json.Unmarshal(outs["workflows"], &wfs) != nil {
		return nil
	}
	arns := map[string]string{}
	for name, w := range wfs {
		if w.StateMachineArn != "" {
			arns[name] = w.StateMachineArn
		}
	}
	return arns
}

// workflowArn resolves a workflow name (or a state machine name or ARN) to
// a state machine ARN: the machine <prefix>-<name>, else the machine called
// exactly name, else the one machine of any prefix ending in -<name>. An
// unknown name is an error that lists the workflows there are.
func (a *app) workflowArn(ctx context.Context, t *target, name string) (string, error) {
	if strings.HasPrefix(name, "arn:") {
		return name, nil
	}
	if arn := a.savedWorkflowArns(t)[name]; arn != "" {
		return arn, nil
	}
	ms, err := machines(ctx, t)
	if err != nil {
		return "", err
	}
	m, err := pickWorkflow(t, ms, name)
	if err != nil {
		return "", err
	}
	return m.arn, nil
}

// pickWorkflow finds workflow name among ms (see [app.workflowArn]).
func pickWorkflow(t *target, ms []machine, name string) (machine, error) {
	full := namePrefix(t) + "-" + name
	for _, m := range ms {
		if m.name == full {
			return m, nil
		}
	}
	for _, m := range ms {
		if m.name == name {
			return m, nil
		}
	}
	var suffixed []machine
	for _, m := range ms {
		if strings.HasSuffix(m.name, "-"+name) {
			suffixed = append(suffixed, m)
		}
	}
	switch len(suffixed) {
	case 1:
		return suffixed[0], nil
	case 0:
		return machine{}, unknownWorkflow(t, ms, name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "workflow %q is ambiguous: %d state machines end in -%s:", name, len(suffixed), name)
	for _, m := range suffixed {
		b.WriteString("\n  " + m.arn)
	}
	b.WriteString("\npass one of these ARNs (--state-machine ARN, or `runner start ARN`)")
	return machine{}, errors.New(b.String())
}

// unknownWorkflow is the error for a workflow name no machine has.
func unknownWorkflow(t *target, ms []machine, name string) error {
	if len(ms) == 0 {
		return fmt.Errorf("no workflow %q: there are no state machines here (run `runner up`, or deploy with `runner deploy`)", name)
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = workflowName(t, m.name)
	}
	sort.Strings(names)
	return fmt.Errorf("no workflow %q (no state machine %s); the workflows there are: %s (see `runner workflows`; a new workflow is deployed by `runner up` or `runner deploy`)",
		name, namePrefix(t)+"-"+name, strings.Join(names, ", "))
}

// executionOn is the ARN execution name would have on state machine smArn.
func executionOn(smArn, name string) string {
	// arn:aws:states:<region>:<account>:stateMachine:<machine> → ...:execution:<machine>:<name>
	return strings.Replace(smArn, ":stateMachine:", ":execution:", 1) + ":" + name
}

// findExecution resolves ref, which is not an ARN, across every state
// machine of the target: an execution of that name on any standard
// machine, or else the latest execution of the workflow of that name. It
// asks each machine in parallel (at most [lookupConcurrency] calls at
// once). Several matches are an error listing them and how to pick one;
// none is an error naming the machines searched.
func (a *app) findExecution(ctx context.Context, t *target, ref string) (string, error) {
	ms, err := machines(ctx, t)
	if err != nil {
		return "", err
	}
	found, errs := describeOnEach(ctx, t, ms, ref)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
	default:
		return "", a.ambiguousExecution(t, ref, found)
	}
	if wf, err := pickWorkflow(t, ms, ref); err == nil {
		return latestExecution(ctx, t, wf, ref)
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("execution %q: %w", ref, errors.Join(errs...))
	}
	var searched []string
	for _, m := range ms {
		if !m.express {
			searched = append(searched, m.name)
		}
	}
	if len(searched) == 0 {
		return "", fmt.Errorf("no execution or workflow %q: there are no state machines here (run `runner up`, or deploy with `runner deploy`)", ref)
	}
	return "", fmt.Errorf("no execution named %q on any of the %d state machines searched (%s), and no workflow of that name: check the name with `runner list`, or pass the execution ARN",
		ref, len(searched), strings.Join(searched, ", "))
}

// describeOnEach asks every standard machine of ms whether it has an
// execution named name; it returns the ARNs of those that do, in the order
// of ms, and the errors other than "no such execution".
func describeOnEach(ctx context.Context, t *target, ms []machine, name string) (found []string, errs []error) {
	hit := make([]bool, len(ms))
	fail := make([]error, len(ms))
	sem := make(chan struct{}, lookupConcurrency)
	var wg sync.WaitGroup
	for i, m := range ms {
		if m.express {
			continue // express executions are not described by name
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := t.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionOn(m.arn, name))})
			var missing *types.ExecutionDoesNotExist
			switch {
			case err == nil:
				hit[i] = true
			case !errors.As(err, &missing):
				fail[i] = fmt.Errorf("%s: %w", m.name, err)
			}
		}()
	}
	wg.Wait()
	for i, m := range ms {
		if hit[i] {
			found = append(found, executionOn(m.arn, name))
		}
		if fail[i] != nil {
			errs = append(errs, fail[i])
		}
	}
	return found, errs
}

// latestExecution is the newest execution of workflow wf, which ref named.
func latestExecution(ctx context.Context, t *target, wf machine, ref string) (string, error) {
	out, err := t.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(wf.arn), MaxResults: 1})
	if err != nil {
		return "", fmt.Errorf("list executions of %s: %w", wf.name, err)
	}
	if len(out.Executions) == 0 {
		return "", fmt.Errorf("workflow %q (%s) has no executions yet: start one with `runner start %s`", ref, wf.name, ref)
	}
	return aws.ToString(out.Executions[0].ExecutionArn), nil
}

// ambiguousExecution is the error for an execution name that several
// machines have.
func (a *app) ambiguousExecution(t *target, ref string, arns []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "execution name %q is ambiguous: %d state machines have an execution of that name:", ref, len(arns))
	var picks []string
	for _, arn := range arns {
		b.WriteString("\n  " + arn)
		parts := strings.Split(arn, ":")
		if len(parts) >= 8 {
			picks = append(picks, "--workflow "+workflowName(t, parts[6]))
		}
	}
	fmt.Fprintf(&b, "\npass one of these ARNs instead of the name, or add %s", strings.Join(picks, " or "))
	return errors.New(b.String())
}
