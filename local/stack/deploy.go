package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/trigger"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/schedule"
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

// AliasName is the alias every deployed workflow gets, pointing at its
// newest published version, as Terraform's aws_sfn_alias "live"; the
// schedules start executions through it.
const AliasName = "live"

// Workflow is one workflow as the stack deployed it.
type Workflow struct {
	// Name is the workflow's name, <name> of statemachine/<name>.asl.json.
	Name string `json:"name"`
	// StateMachineName is <prefix>-<name>.
	StateMachineName string `json:"stateMachineName"`
	// Arn is the state machine's (unqualified) ARN; VersionArn its newest
	// published version; AliasArn the alias "live", which points at it.
	Arn        string `json:"arn"`
	VersionArn string `json:"versionArn"`
	AliasArn   string `json:"aliasArn"`
	// TriggerFile is the trigger's event pattern file, "" without one.
	TriggerFile string `json:"triggerFile,omitempty"`
	// Schedules are the workflow's schedules (enabled or not).
	Schedules []schedule.Schedule `json:"-"`
	// Changed reports whether this start created or updated the machine.
	Changed bool `json:"-"`
}

func readSteps(repo fs.FS) (*lambdalocal.Steps, error) {
	b, err := fs.ReadFile(repo, StepsFile)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	return lambdalocal.ParseSteps(StepsFile, b)
}

// loadProject reads and checks every workflow file of the repository; an
// invalid file stops the stack with every problem (a [workflow.Errors]).
func loadProject(repo fs.FS) (*workflow.Project, error) {
	proj, err := workflow.Load(repo)
	if err != nil {
		return nil, fmt.Errorf("stack: the workflow files have problems; fix them and start again:\n%w", err)
	}
	return proj, nil
}

// TemplateVars returns the placeholder values of the workflows for a
// stack with these options: each step's arn_placeholder → its local
// function ARN, each activity's → its local activity ARN, and BucketName —
// the same names Terraform's templatefile gets.
func TemplateVars(steps *lambdalocal.Steps, prefix, region, accountID, bucket string) map[string]string {
	vars := steps.ArnVars(prefix, region, accountID)
	for k, v := range steps.ActivityVars(prefix, region, accountID) {
		vars[k] = v
	}
	vars["BucketName"] = bucket
	return vars
}

// createActivities creates the activities of steps.json, <prefix>-<name>,
// as Terraform's aws_sfn_activity does on AWS. CreateActivity is
// idempotent, so an activity kept in the store from an earlier start
// stays as it is, with the tasks queued on it.
func createActivities(ctx context.Context, eng *statemachine.Engine, opts Options, steps *lambdalocal.Steps) ([]string, error) {
	var arns []string
	for _, name := range steps.ActivityNames() {
		a, err := eng.CreateActivity(ctx, opts.Prefix+"-"+name, nil)
		if err != nil {
			return nil, fmt.Errorf("stack: create activity %s-%s of %s: %w", opts.Prefix, name, StepsFile, err)
		}
		arns = append(arns, a.ActivityArn)
	}
	return arns, nil
}

// deployAll deploys every workflow of proj, in name order.
func deployAll(ctx context.Context, eng *statemachine.Engine, opts Options, proj *workflow.Project, steps *lambdalocal.Steps) ([]Workflow, error) {
	vars := TemplateVars(steps, opts.Prefix, opts.Region, opts.AccountID, opts.Bucket)
	var out []Workflow
	for _, w := range proj.Workflows {
		def, err := proj.Render(w, vars)
		if err != nil {
			return nil, fmt.Errorf("stack: %w", err)
		}
		d, err := deploy(ctx, eng, opts, w.StateMachineName(opts.Prefix), w.File, def)
		if err != nil {
			return nil, err
		}
		d.Name, d.TriggerFile, d.Schedules = w.Name, w.TriggerFile, w.Schedules
		out = append(out, d)
	}
	return out, nil
}

// deploy creates the state machine name, or updates it to def when it
// exists with another definition; then it publishes the revision as a
// version (a no-op when that revision has one already) and points the
// alias "live" at it — what Terraform's publish = true and aws_sfn_alias
// do on AWS.
func deploy(ctx context.Context, eng *statemachine.Engine, opts Options, name, file string, def []byte) (Workflow, error) {
	role := "arn:aws:iam::" + opts.AccountID + ":role/" + name + "-role"
	arn := "arn:aws:states:" + opts.Region + ":" + opts.AccountID + ":stateMachine:" + name
	d := Workflow{StateMachineName: name, Arn: arn, AliasArn: arn + ":" + AliasName}
	if sm, err := eng.DescribeStateMachine(ctx, arn); err == nil {
		if sm.Definition != string(def) {
			s := string(def)
			if _, err := eng.UpdateStateMachine(ctx, statemachine.UpdateStateMachineInput{StateMachineArn: arn, Definition: &s}); err != nil {
				return d, fmt.Errorf("stack: update %s from %s: %w", name, file, err)
			}
			d.Changed = true
		}
	} else {
		if _, err := eng.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: name, Definition: string(def), Type: "STANDARD", RoleArn: role}); err != nil {
			return d, fmt.Errorf("stack: deploy %s from %s: %w", name, file, err)
		}
		d.Changed = true
	}
	v, err := eng.PublishStateMachineVersion(ctx, arn, "", "deployed from "+file)
	if err != nil {
		return d, fmt.Errorf("stack: publish a version of %s: %w", name, err)
	}
	d.VersionArn = v.Arn
	routing := []statemachine.RoutingConfig{{VersionArn: v.Arn, Weight: 100}}
	a, err := eng.DescribeStateMachineAlias(ctx, d.AliasArn)
	switch {
	case err != nil:
		_, err = eng.CreateStateMachineAlias(ctx, statemachine.CreateStateMachineAliasInput{
			Name: AliasName, Description: "The newest published version of " + name + ".", Routing: routing})
	case len(a.Routing) != 1 || a.Routing[0] != routing[0]:
		_, err = eng.UpdateStateMachineAlias(ctx, statemachine.UpdateStateMachineAliasInput{AliasArn: d.AliasArn, Routing: routing})
	}
	if err != nil {
		return d, fmt.Errorf("stack: point alias %s of %s at %s: %w", AliasName, name, v.Arn, err)
	}
	return d, nil
}

func ensureBucket(ctx context.Context, client *awss3.Client, bucket string) error {
	_, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("stack: create bucket %s: %w", bucket, err)
	}
	return nil
}

// durablePattern is one event pattern matching every event any of the
// workflows' triggers matches: the S3 outbox records exactly those events
// before it acknowledges a write. Nil when no workflow has a trigger.
func durablePattern(proj *workflow.Project) ([]byte, error) {
	var pats []json.RawMessage
	for _, w := range proj.Workflows {
		if w.Trigger != nil {
			var c bytes.Buffer
			if err := json.Compact(&c, w.Trigger); err != nil {
				return nil, fmt.Errorf("stack: %s: %w", w.TriggerFile, err)
			}
			pats = append(pats, c.Bytes())
		}
	}
	switch len(pats) {
	case 0:
		return nil, nil
	case 1:
		return pats[0], nil
	}
	return json.Marshal(map[string]any{"$or": pats})
}

// newTriggers returns one trigger per workflow with a trigger file,
// starting executions of its state machine (as the EventBridge rule's
// target does on AWS).
func newTriggers(opts Options, eng *statemachine.Engine, proj *workflow.Project, deployed []Workflow) ([]*trigger.Trigger, error) {
	var out []*trigger.Trigger
	for i, w := range proj.Workflows {
		if w.Trigger == nil {
			continue
		}
		smArn := deployed[i].Arn
		tin := trigger.Options{Pattern: w.Trigger, Logger: opts.Logger, Name: w.Name}
		if w.TriggerInput != nil {
			tr, err := trigger.ParseInputTransformer(w.TriggerInput)
			if err != nil {
				return nil, fmt.Errorf("stack: %s: %w", w.TriggerInputFile, err)
			}
			tin.Transformer = tr
		}
		tin.Start = func(ctx context.Context, name, input string) error {
			_, err := eng.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: smArn, Name: name, Input: input, InputSet: true})
			if errors.Is(err, statemachine.ErrExecutionAlreadyExists) {
				return fmt.Errorf("%w: %v", trigger.ErrDuplicate, err)
			}
			return err
		}
		t, err := trigger.New(tin)
		if err != nil {
			return nil, fmt.Errorf("stack: %s: %w", w.TriggerFile, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// serveTriggers hands every S3 event to every trigger until ctx is done.
func serveTriggers(ctx context.Context, s3 *locals3.Server, ts []*trigger.Trigger) {
	trigger.ServeAll(ctx, s3.Events(), s3.Ack, ts...)
}
