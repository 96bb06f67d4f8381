package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// exportStateMachineName is the name Terraform and the local stack give the
// export state machine (<name_prefix>-export with the default prefix).
const exportStateMachineName = "stepwise-export"

// target is what a command talks to: the same SDK clients whether the
// endpoint is the embedded local stack, a running `runner up`, or AWS.
type target struct {
	kind     string // "local" (in-process), "local-server" (runner up), "aws", "endpoint"
	cfg      aws.Config
	sfn      *sfn.Client
	s3       *s3.Client
	bucket   string // export bucket, when known
	smArn    string // export state machine ARN, when known
	prefixes map[string]string
	close    func() error
}

func (t *target) Close() error {
	if t.close != nil {
		return t.close()
	}
	return nil
}

// withTarget is how every command that needs a target gets it: it opens
// the target the global flags choose (see [app.connect]), runs fn with it,
// and closes it when fn returns.
func (a *app) withTarget(ctx context.Context, fn func(t *target) error) error {
	t, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	return fn(t)
}

// connect opens the command's target. Local targets start the embedded
// stack in this process unless `runner up` serves the data directory.
func (a *app) connect(ctx context.Context) (*target, error) {
	if a.g.remote() {
		return a.connectRemote(ctx)
	}
	return a.connectLocal(ctx)
}

func (a *app) connectRemote(ctx context.Context) (*target, error) {
	var opts []func(*config.LoadOptions) error
	if a.g.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(a.g.profile))
	}
	if a.g.region != "" {
		opts = append(opts, config.WithRegion(a.g.region))
	}
	endpoint := a.g.endpointURL
	if endpoint != "" && !a.g.aws && a.g.profile == "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		// A local or emulated endpoint: no real credentials are needed.
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("stepwise", "stepwise", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if endpoint == "" {
			return nil, errors.New("no AWS region: pass --region or set AWS_REGION / a profile region")
		}
		cfg.Region = "us-east-1"
	}
	t := &target{kind: "aws", cfg: cfg}
	if endpoint != "" {
		// Emulators serve every operation on one host: no "sync-" prefix
		// for StartSyncExecution.
		t.sfn = sfn.NewFromConfig(cfg, sfnapi.ClientOptions(endpoint))
	} else {
		t.sfn = sfn.NewFromConfig(cfg)
	}
	t.s3 = objstore.NewS3Client(cfg, objstore.S3Options{Endpoint: endpoint})
	if endpoint != "" {
		t.kind = "endpoint"
	}
	if outs := savedOutputs(a); outs != nil && endpoint == "" {
		t.smArn = jsonString(outs["state_machine_arn"])
		t.bucket = jsonString(outs["bucket"])
		if p, ok := outs["prefixes"]; ok {
			json.Unmarshal(p, &t.prefixes)
		}
	}
	if a.g.bucket != "" {
		t.bucket = a.g.bucket
	}
	return t, nil
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// stateMachineArn resolves ref, else --state-machine (an ARN or a name),
// else --workflow, else the export state machine. A name that no state
// machine has is tried as a workflow name (see [app.workflowArn]).
func (a *app) stateMachineArn(ctx context.Context, t *target, ref string) (string, error) {
	if ref == "" {
		ref = a.g.stateMachine
	}
	if ref == "" && a.g.workflow != "" {
		return a.workflowArn(ctx, t, a.g.workflow)
	}
	if ref == "" && t.smArn != "" {
		return t.smArn, nil
	}
	if ref == "" {
		ref = exportStateMachineName
	}
	if strings.HasPrefix(ref, "arn:") {
		return ref, nil
	}
	return a.workflowArn(ctx, t, ref)
}

// executionArn resolves an execution ARN; or an execution name on the
// state machine --state-machine or --workflow names; or else an execution
// name or a workflow name looked up across every state machine (see
// [app.findExecution]).
func (a *app) executionArn(ctx context.Context, t *target, ref string) (string, error) {
	if strings.HasPrefix(ref, "arn:") {
		if !strings.Contains(ref, ":execution:") && !strings.Contains(ref, ":express:") {
			return "", usagef("%q is not an execution ARN", ref)
		}
		return ref, nil
	}
	if a.g.stateMachine == "" && a.g.workflow == "" {
		return a.findExecution(ctx, t, ref)
	}
	return a.executionArnOn(ctx, t, ref)
}

// executionArnOn resolves an execution ARN, or an execution name on the
// state machine the flags pick (the export one by default), without
// looking elsewhere: for approvals, which belong to exports.
func (a *app) executionArnOn(ctx context.Context, t *target, ref string) (string, error) {
	if strings.HasPrefix(ref, "arn:") {
		return a.executionArn(ctx, t, ref)
	}
	sm, err := a.stateMachineArn(ctx, t, "")
	if err != nil {
		return "", err
	}
	return executionOn(sm, ref), nil
}
