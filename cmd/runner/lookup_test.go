package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/rogpeppe/go-internal/testscript"
	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/statemachine"
)

func init() {
	// createsm [-deploy] NAME FILE: create state machine NAME with the
	// definition in FILE on the `runner up` serving the script's data
	// directory, through the SDK, as an AWS user would with
	// CreateStateMachine. With -deploy, FILE's placeholders are filled from
	// the steps/steps.json of the working directory as the stack fills
	// them, and a machine NAME that exists already is left as it is.
	scriptCmds["createsm"] = func(ts *testscript.TestScript, neg bool, args []string) {
		deploy := len(args) > 0 && args[0] == "-deploy"
		if deploy {
			args = args[1:]
		}
		if len(args) != 2 {
			ts.Fatalf("usage: createsm [-deploy] NAME FILE")
		}
		def, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		ep, err := stack.ReadEndpoints(ts.MkAbs(ts.Getenv("STEPWISE_DATA_DIR")))
		ts.Check(err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		t, err := localTarget(ctx, ep)
		ts.Check(err)
		if deploy {
			steps, err := lambdalocal.LoadSteps(filepath.Join(ts.MkAbs("."), "steps", "steps.json"))
			ts.Check(err)
			vars := stack.TemplateVars(steps, stack.DefaultPrefix, ep.Region, ep.AccountID, ep.Bucket)
			def, err = statemachine.Render(def, vars)
			ts.Check(err)
			arn := "arn:aws:states:" + ep.Region + ":" + ep.AccountID + ":stateMachine:" + args[0]
			_, err = t.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
			var missing *types.StateMachineDoesNotExist
			if !errors.As(err, &missing) {
				ts.Check(err)
				ts.Logf("%s is deployed already", args[0])
				return
			}
		}
		_, err = t.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name:       aws.String(args[0]),
			Definition: aws.String(string(def)),
			RoleArn:    aws.String("arn:aws:iam::" + ep.AccountID + ":role/" + args[0]),
		})
		if (err != nil) != neg {
			ts.Fatalf("create state machine %s: %v", args[0], err)
		}
	}
}
