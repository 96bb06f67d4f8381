package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/stepwise-dev/stepwise/local/stack"
)

func init() {
	// createsm NAME FILE: create state machine NAME with the definition in
	// FILE on the `runner up` serving the script's data directory, through
	// the SDK, as an AWS user would with CreateStateMachine.
	scriptCmds["createsm"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: createsm NAME FILE")
		}
		def, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		ep, err := stack.ReadEndpoints(ts.MkAbs(ts.Getenv("STEPWISE_DATA_DIR")))
		ts.Check(err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		t, err := localTarget(ctx, ep)
		ts.Check(err)
		_, err = t.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name:       aws.String(args[0]),
			Definition: aws.String(string(def)),
			RoleArn:    aws.String("arn:aws:iam::" + ep.AccountID + ":role/" + args[0]),
		})
		if (err != nil) != neg {
			ts.Fatalf("create state machine %s: %v", args[0], err)
		}
	}

	// stackenv: from the endpoints of the `runner up` serving the script's
	// data directory, set SFN_ENDPOINT (its Step Functions API) and
	// ACTIVITY (the ARN of its first activity, "" without one).
	scriptCmds["stackenv"] = func(ts *testscript.TestScript, neg bool, args []string) {
		ep, err := stack.ReadEndpoints(ts.MkAbs(ts.Getenv("STEPWISE_DATA_DIR")))
		ts.Check(err)
		ts.Setenv("SFN_ENDPOINT", ep.StepFunctions)
		activity := ""
		if len(ep.Activities) > 0 {
			activity = ep.Activities[0]
		}
		ts.Setenv("ACTIVITY", activity)
	}
}
