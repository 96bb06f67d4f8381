package statemachine_test

import (
	"context"
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// ExampleEngine runs a two-state machine in memory and prints its result
// and history.
func ExampleEngine() {
	ctx := context.Background()
	e, _ := statemachine.New(statemachine.Options{})
	defer e.Close()
	sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: "hello", Definition: `{
	  "StartAt": "Greet",
	  "States": {
	    "Greet": {"Type": "Pass", "Parameters": {"msg.$": "States.Format('hello {}', $.who)"}, "Next": "Done"},
	    "Done":  {"Type": "Succeed", "OutputPath": "$.msg"}}}`})
	if err != nil {
		fmt.Println(err)
		return
	}
	x, _ := e.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn, Input: `{"who":"world"}`, InputSet: true})
	x, _ = e.WaitExecution(ctx, x.ExecutionArn)
	fmt.Println(x.Status, *x.Output)
	events, _ := e.GetExecutionHistory(ctx, x.ExecutionArn)
	for _, ev := range events {
		fmt.Println(ev.ID, ev.PreviousEventID, ev.Type)
	}
	// Output:
	// SUCCEEDED "hello world"
	// 1 0 ExecutionStarted
	// 2 0 PassStateEntered
	// 3 2 PassStateExited
	// 4 3 SucceedStateEntered
	// 5 4 SucceedStateExited
	// 6 5 ExecutionSucceeded
}
