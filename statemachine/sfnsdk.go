package statemachine

import (
	"fmt"
	"strings"
)

// serviceErrorName is the Error of a failed service call: the service's
// name, a dot and the error code with the Exception suffix, which the AWS
// SDK integration docs say is always there, also for codes that lack it
// ("S3.BucketAlreadyExistsException") and never twice
// ("Sfn.ValidationException").
func serviceErrorName(service, code string) string {
	if !strings.HasSuffix(code, "Exception") {
		code += "Exception"
	}
	return service + "." + code
}

// sdkSfnError is the failure of an arn:aws:states:::aws-sdk:sfn:* task
// whose call the Step Functions API rejected: Sfn.<Code>Exception, and
// the message in the AWS SDK for Java v2's shape, as recorded for
// sendTaskFailure with a bad token:
//
//	<message> (Service: Sfn, Status Code: 400, Request ID: <id>) (SDK Attempt Count: 1)
//
// The optimized states:startExecution integration words its errors
// differently (StepFunctions.<Code>Exception, SDK v1's shape).
func (e *Engine) sdkSfnError(ae *APIError) *TaskError {
	msg := ae.Message
	if ae.Code == "InvalidToken" {
		// AWS words a malformed token this way in the SDK integration.
		msg = "Invalid Token: 'Invalid token'"
	}
	return &TaskError{Name: serviceErrorName("Sfn", ae.Code),
		Cause: fmt.Sprintf("%s (Service: Sfn, Status Code: 400, Request ID: %s) (SDK Attempt Count: 1)", msg, e.opts.NewUUID())}
}

// describeMore adds the DescribeExecution members the aws-sdk:sfn
// describeExecution result carries beyond the basic ones, PascalCase as
// the SDK integration writes every member name.
func describeMore(d *Execution, out map[string]any) {
	if d.StopDate != nil {
		out["StopDate"] = d.StopDate.UTC().Format(isoMillis)
	}
	if d.Error != nil {
		out["Error"] = *d.Error
	}
	if d.Cause != nil {
		out["Cause"] = *d.Cause
	}
	out["RedriveCount"] = float64(d.RedriveCount)
	if d.RedriveStatus != "" {
		out["RedriveStatus"] = d.RedriveStatus
	}
	if d.RedriveStatusReason != "" {
		out["RedriveStatusReason"] = d.RedriveStatusReason
	}
	if d.MapRunArn != "" {
		out["MapRunArn"] = d.MapRunArn
	}
	if d.StateMachineVersionArn != "" {
		out["StateMachineVersionArn"] = d.StateMachineVersionArn
	}
	if d.StateMachineAliasArn != "" {
		out["StateMachineAliasArn"] = d.StateMachineAliasArn
	}
}
