package integrations

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Error names and causes, as Step Functions writes them (AWS histories
// recorded by LocalStack's test suite, and the AWS SDK integration docs).
//
// The name is the service, a dot and the exception the AWS SDK for Java
// raised: the service's modelled exception when the error is one
// ("SQS.QueueDoesNotExistException", "SNS.NotFoundException",
// "DynamoDB.ConditionalCheckFailedException", "S3.NoSuchKeyException":
// the docs say the Exception suffix is always there), else the SDK's base
// exception of the service ("DynamoDB.AmazonDynamoDBException" for
// DynamoDB's ValidationException, "SQS.AmazonSQSException" for a missing
// parameter; "DynamoDb.DynamoDbException" in the AWS SDK integration).
// Here the modelled exceptions are those of aws-sdk-go-v2's service
// models, which are the same models.
//
// The cause is the service's message and the request details, in the
// SDK for Java v1's words for the optimized integrations,
//
//	Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: <id>; Proxy: null)
//
// and in v2's for the AWS SDK integration,
//
//	The specified key does not exist. (Service: S3, Status Code: 404, Request ID: <id>, Extended Request ID: <id2>)
//
// A request that got no answer is <Service>.SdkClientException, "Unable
// to execute HTTP request: <what failed>".

// svc names one service in error names and causes.
type svc struct {
	name   string // the Error prefix: "SQS"
	base   string // the SDK's base exception: "AmazonSQSException"
	javaV1 string // the SDK v1 service name in causes: "AmazonSQS"; "" for an AWS SDK integration
}

var (
	svcSQS      = svc{"SQS", "AmazonSQSException", "AmazonSQS"}
	svcSNS      = svc{"SNS", "AmazonSNSException", "AmazonSNS"}
	svcEvents   = svc{"EventBridge", "AmazonEventBridgeException", "AmazonEventBridge"}
	svcDynamoDB = svc{"DynamoDB", "AmazonDynamoDBException", "AmazonDynamoDBv2"}
	svcS3       = svc{"S3", "S3Exception", ""}
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
	status, reqID, hostID := 400, "", ""
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
		reqID = re.ServiceRequestID()
	}
	var code, msg string
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae):
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	case re != nil && status > 0:
		// An answer that is no service error (an emulator's 500 page):
		// the SDK's base exception, without an error code.
		code, msg = "null", http.StatusText(status)
	default:
		return &statemachine.TaskError{Name: errorName(s, "SdkClient"), Cause: "Unable to execute HTTP request: " + netCause(err)}
	}
	name := modelledName(err)
	if name == "" {
		name = s.base
	}
	var hid interface{ ServiceHostID() string }
	if errors.As(err, &hid) {
		hostID = hid.ServiceHostID()
	}
	var cause string
	switch {
	case s.javaV1 != "":
		cause = fmt.Sprintf("%s (Service: %s; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)", msg, s.javaV1, status, code, reqID)
	case s == svcS3:
		cause = fmt.Sprintf("%s (Service: S3, Status Code: %d, Request ID: %s, Extended Request ID: %s)", msg, status, reqID, hostID)
	default:
		cause = fmt.Sprintf("%s (Service: %s, Status Code: %d, Request ID: %s)", msg, s.name, status, reqID)
	}
	return &statemachine.TaskError{Name: errorName(s, name), Cause: cause}
}

// netCause says what failed when a request got no answer, as Java's
// HTTP client does for the common cases.
func netCause(err error) string {
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return dns.Name + ": Name or service not known"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error() // "dial tcp 127.0.0.1:5000: connect: connection refused"
	}
	return err.Error()
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
// (a member of the wrong type, a malformed attribute value). The name is
// the service's base exception, as for the errors the service itself
// returns for bad parameters; **not in the docs**: AWS may word these
// differently.
func paramError(s svc, format string, args ...any) error {
	return &statemachine.TaskError{Name: errorName(s, s.base), Cause: fmt.Sprintf(format, args...)}
}
