package statemachine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// checkingServices is a ServiceInvoker and ServiceChecker that refuses
// one resource and records what it was asked.
type checkingServices struct {
	asked  []string
	refuse string
}

func (c *checkingServices) InvokeService(context.Context, statemachine.ServiceRequest) (any, error) {
	return map[string]any{}, nil
}

func (c *checkingServices) CheckService(state, resource string) error {
	c.asked = append(c.asked, state+" "+resource)
	if resource == c.refuse {
		return fmt.Errorf("no endpoint for %s", state)
	}
	return nil
}

// TestStartChecksServiceTasks: StartExecution asks the ServiceChecker
// about every service-integration Task, in Parallel branches and Map item
// processors too, never about Lambda, Step Functions or activity tasks,
// and refuses to start with a ValidationException when it objects.
func TestStartChecksServiceTasks(t *testing.T) {
	ctx := context.Background()
	svc := &checkingServices{refuse: "arn:aws:states:::sns:publish"}
	e, err := statemachine.New(statemachine.Options{Services: svc})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	def := `{"StartAt":"Q","States":{
	  "Q":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{},"Next":"P"},
	  "P":{"Type":"Parallel","Next":"M","Branches":[{"StartAt":"L","States":{
	    "L":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"Next":"S"},
	    "S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"x"},"Next":"A"},
	    "A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a","End":true}}}]},
	  "M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"N","States":{
	    "N":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{},"End":true}}}}}}`
	sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: "m", Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn})
	var ae *statemachine.APIError
	if !errors.As(err, &ae) || ae.Code != "ValidationException" || ae.Message != "no endpoint for N" {
		t.Fatalf("StartExecution: %v, want ValidationException: no endpoint for N", err)
	}
	if got := strings.Join(svc.asked, "; "); got != "Q arn:aws:states:::sqs:sendMessage; N arn:aws:states:::sns:publish" {
		t.Errorf("asked about %s", got)
	}
	if xs, _ := e.ListExecutions(ctx, statemachine.ListExecutionsInput{StateMachineArn: sm.Arn}); len(xs) != 0 {
		t.Errorf("a refused start left executions: %v", xs)
	}
}
