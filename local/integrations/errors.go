package integrations

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Error names and causes, as Step Functions writes them.
//
// The name is the service, a dot and the error with the Exception suffix,
// which Step Functions adds when the service's code lacks it
// ("S3.NoSuchKeyException", "SNS.NotFoundException") and never doubles
// ("DynamoDB.ConditionalCheckFailedException"). The error is the modelled
// exception's name where the SDK has one (SQS's legacy query code
// "AWS.SimpleQueueService.NonExistentQueue" is the modelled
// QueueDoesNotExist), else the service's code.
//
// The cause is the service's message followed by the AWS SDK for Java's
// request details: v1's for the optimized integrations, as recorded for
// sns:publish,
//
//	Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: <id>; Proxy: null)
//
// and v2's for the AWS SDK integrations, as recorded for aws-sdk:sfn,
//
//	<message> (Service: Sfn, Status Code: 400, Request ID: <id>) (SDK Attempt Count: 1)
//
// with S3's extended request id after the request id.

// svc names one service in error names and causes.
type svc struct {
	name   string // the Error prefix: "SQS"
	javaV1 string // the SDK v1 service name in causes: "AmazonSQS"; "" for an AWS SDK integration
}

var (
	svcSQS      = svc{"SQS", "AmazonSQS"}
	svcSNS      = svc{"SNS", "AmazonSNS"}
	svcEvents   = svc{"EventBridge", "AmazonEventBridge"}
	svcDynamoDB = svc{"DynamoDB", "AmazonDynamoDBv2"}
	svcS3       = svc{"S3", ""}
)

// errorName is Error for a service error: s.name, a dot, the error with
// the Exception suffix.
func errorName(s svc, code string) string {
	if !strings.HasSuffix(code, "Exception") {
		code += "Exception"
	}
	return s.name + "." + code
}

// serviceError turns an SDK call's error into the task's failure.
func serviceError(s svc, err error) error {
	var ip smithy.InvalidParamsError
	if errors.As(err, &ip) {
		return paramError(s, "%s", ip.Error())
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		// No answer from the service (refused connection, timeout): the
		// SDK client's own failure, which Step Functions names after the
		// service as well.
		msg := err.Error()
		var op *net.OpError
		if errors.As(err, &op) {
			msg = op.Error() // "dial tcp 127.0.0.1:5000: connect: connection refused"
		}
		return &statemachine.TaskError{Name: errorName(s, "SdkClient"), Cause: "Unable to execute HTTP request: " + msg}
	}
	code := ae.ErrorCode()
	name := modelledName(err)
	if name == "" {
		name = code
	}
	status, reqID, hostID := 400, "", ""
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
		reqID = re.ServiceRequestID()
	}
	var hid interface{ ServiceHostID() string }
	if errors.As(err, &hid) {
		hostID = hid.ServiceHostID()
	}
	msg := ae.ErrorMessage()
	var cause string
	if s.javaV1 != "" {
		cause = fmt.Sprintf("%s (Service: %s; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)", msg, s.javaV1, status, code, reqID)
	} else {
		ext := ""
		if s == svcS3 {
			ext = ", Extended Request ID: " + hostID
		}
		cause = fmt.Sprintf("%s (Service: %s, Status Code: %d, Request ID: %s%s) (SDK Attempt Count: 1)", msg, s.name, status, reqID, ext)
	}
	return &statemachine.TaskError{Name: errorName(s, name), Cause: cause}
}

// modelledName is the type name of the SDK's modelled error inside err
// (types.QueueDoesNotExist → "QueueDoesNotExist"), or "" for an error the
// service model does not list (smithy.GenericAPIError).
func modelledName(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := e.(smithy.APIError); !ok {
			continue
		}
		if _, generic := e.(*smithy.GenericAPIError); generic {
			return ""
		}
		t := reflect.TypeOf(e)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return t.Name()
	}
	return ""
}

// paramError is a failure of the task's parameters found before any call
// (a member of the wrong type, a required member missing). The AWS SDK
// for Java sends such a request and the service refuses it; its error
// name is not documented, so this one is <Service>.ValidationException.
func paramError(s svc, format string, args ...any) error {
	return &statemachine.TaskError{Name: errorName(s, "Validation"), Cause: fmt.Sprintf(format, args...)}
}
