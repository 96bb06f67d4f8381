package stack

import (
	"context"
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
)

func readSteps(repo fs.FS) (*lambdalocal.Steps, error) {
	b, err := fs.ReadFile(repo, StepsFile)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	return lambdalocal.ParseSteps(StepsFile, b)
}

// TemplateVars returns the placeholder values of the export workflow for a
// stack with these options: each step's arn_placeholder → its local
// function ARN, and BucketName — the same names Terraform's templatefile
// gets.
func TemplateVars(steps *lambdalocal.Steps, prefix, region, accountID, bucket string) map[string]string {
	vars := steps.ArnVars(prefix, region, accountID)
	vars["BucketName"] = bucket
	return vars
}

// deploy creates the export state machine, or updates it to the current
// definition when it already exists in the store.
func deploy(ctx context.Context, eng *statemachine.Engine, opts Options, steps *lambdalocal.Steps) (string, error) {
	src, err := fs.ReadFile(opts.Repo, DefinitionFile)
	if err != nil {
		return "", fmt.Errorf("stack: %w", err)
	}
	def, err := statemachine.Render(src, TemplateVars(steps, opts.Prefix, opts.Region, opts.AccountID, opts.Bucket))
	if err != nil {
		return "", fmt.Errorf("stack: %s: %w", DefinitionFile, err)
	}
	name := opts.Prefix + "-export"
	role := "arn:aws:iam::" + opts.AccountID + ":role/" + name + "-role"
	arn := "arn:aws:states:" + opts.Region + ":" + opts.AccountID + ":stateMachine:" + name
	if sm, err := eng.DescribeStateMachine(ctx, arn); err == nil {
		if sm.Definition == string(def) {
			return sm.Arn, nil
		}
		d := string(def)
		if _, err := eng.UpdateStateMachine(ctx, statemachine.UpdateStateMachineInput{StateMachineArn: arn, Definition: &d}); err != nil {
			return "", fmt.Errorf("stack: update %s: %w", name, err)
		}
		return arn, nil
	}
	sm, err := eng.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: name, Definition: string(def), Type: "STANDARD", RoleArn: role})
	if err != nil {
		return "", fmt.Errorf("stack: deploy %s from %s: %w", name, DefinitionFile, err)
	}
	return sm.Arn, nil
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

func newTrigger(opts Options, eng *statemachine.Engine, smArn string, ack func(locals3.Event) error) (*trigger.Trigger, error) {
	pattern, err := fs.ReadFile(opts.Repo, TriggerFile)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	tin := trigger.Options{Pattern: pattern, Logger: opts.Logger, Ack: ack}
	if b, err := fs.ReadFile(opts.Repo, TriggerInput); err == nil {
		tr, err := trigger.ParseInputTransformer(b)
		if err != nil {
			return nil, fmt.Errorf("stack: %s: %w", TriggerInput, err)
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
	return trigger.New(tin)
}
