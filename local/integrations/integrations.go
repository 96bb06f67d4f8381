package integrations

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Services are the endpoint names an [Invoker] knows, as `runner up
// --endpoint NAME=URL` takes them.
var Services = []string{"dynamodb", "events", "s3", "sns", "sqs"}

// envNames are the AWS_ENDPOINT_URL_<SERVICE> suffixes of the services:
// the SDKs' service ids, upper case, spaces as underscores.
var envNames = map[string]string{"dynamodb": "DYNAMODB", "events": "EVENTBRIDGE", "s3": "S3", "sns": "SNS", "sqs": "SQS"}

// operations are the integrations an [Invoker] runs, keyed by the
// resource's service and action as the engine gives them, with the
// patterns each supports (RequestResponse always).
var operations = map[string]struct {
	endpoint string
	token    bool // .waitForTaskToken supported
}{
	"sqs:sendMessage":             {"sqs", true},
	"sns:publish":                 {"sns", true},
	"events:putEvents":            {"events", true},
	"dynamodb:getItem":            {"dynamodb", false},
	"dynamodb:putItem":            {"dynamodb", false},
	"dynamodb:updateItem":         {"dynamodb", false},
	"dynamodb:deleteItem":         {"dynamodb", false},
	"aws-sdk:dynamodb:getItem":    {"dynamodb", true},
	"aws-sdk:dynamodb:putItem":    {"dynamodb", true},
	"aws-sdk:dynamodb:updateItem": {"dynamodb", true},
	"aws-sdk:dynamodb:deleteItem": {"dynamodb", true},
	"aws-sdk:dynamodb:query":      {"dynamodb", true},
	"aws-sdk:dynamodb:scan":       {"dynamodb", true},
	"aws-sdk:s3:getObject":        {"s3", true},
	"aws-sdk:s3:putObject":        {"s3", true},
	"aws-sdk:s3:headObject":       {"s3", true},
	"aws-sdk:s3:deleteObject":     {"s3", true},
	"aws-sdk:s3:listObjectsV2":    {"s3", true},
	"aws-sdk:s3:copyObject":       {"s3", true},
	"http:invoke":                 {"", false}, // calls the state's ApiEndpoint
}

// Config configures an [Invoker]. Every field is optional.
type Config struct {
	// Endpoints maps a service of [Services] to its endpoint URL.
	Endpoints map[string]string
	// S3 is the client for aws-sdk:s3 when Endpoints has no "s3": the
	// local stack's own S3.
	S3 *s3.Client
	// Region is the region the clients sign for; "us-east-1" by default.
	Region string
	// Credentials sign the requests to Endpoints; nil uses
	// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN when
	// set, else static test credentials (emulators accept any).
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests; nil uses a client with a 60 s timeout.
	HTTPClient *http.Client
	// Now is the clock of the Date header in SdkHttpMetadata when the
	// response has none; nil uses time.Now.
	Now func() time.Time
	// Connections are what the EventBridge connections of HTTP Tasks add
	// to their requests, by connection ARN or name (see
	// [LoadConnections]). Nil: a connection adds nothing, its ARN is only
	// checked for form; non-nil: an ARN it does not name fails the task
	// with Events.ConnectionResource.ResourceNotFound.
	Connections map[string]Connection
	// HTTPTaskTimeout is how long an HTTP Task waits for its answer; 0
	// is the 60 seconds of AWS.
	HTTPTaskTimeout time.Duration
}

// Invoker runs service integrations; it implements
// [statemachine.ServiceInvoker] and [statemachine.ServiceChecker]. It is
// safe for concurrent use.
type Invoker struct {
	cfg      Config
	sqs      *sqs.Client
	sns      *sns.Client
	events   *eventbridge.Client
	dynamodb *dynamodb.Client
	s3       *s3.Client
	// httpTask sends HTTP Tasks' requests: the task's timeout, redirects
	// not followed (a 3xx answer is the task's answer).
	httpTask    *http.Client
	httpTimeout string // for messages: "60s"
}

var (
	_ statemachine.ServiceInvoker = (*Invoker)(nil)
	_ statemachine.ServiceChecker = (*Invoker)(nil)
)

// New returns an invoker with a client for each configured endpoint. A
// malformed endpoint URL is an error naming the service.
func New(cfg Config) (*Invoker, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Credentials == nil {
		cfg.Credentials = envCredentials(os.Getenv)
	}
	eps := map[string]string{}
	for name, u := range cfg.Endpoints {
		name = Canonical(name)
		if err := checkURL(name, u); err != nil {
			return nil, err
		}
		eps[name] = u
	}
	cfg.Endpoints = eps
	if cfg.HTTPTaskTimeout <= 0 {
		cfg.HTTPTaskTimeout = 60 * time.Second
	}
	inv := &Invoker{cfg: cfg, s3: cfg.S3, httpTimeout: cfg.HTTPTaskTimeout.String(),
		httpTask: &http.Client{Timeout: cfg.HTTPTaskTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	// One attempt: a task's Retry is the place for retries. The optimized
	// integrations send what the state gives, as the Java SDK does, and
	// let the service refuse a missing member (SQS.AmazonSQSException
	// "The request must contain the parameter MessageBody.", as recorded)
	// rather than the Go SDK's own check.
	base := aws.Config{Region: cfg.Region, Credentials: cfg.Credentials, HTTPClient: cfg.HTTPClient, RetryMaxAttempts: 1}
	s3cfg := base
	base.APIOptions = append(base.APIOptions, withoutInputValidation)
	if u, ok := eps["sqs"]; ok {
		inv.sqs = sqs.NewFromConfig(base, func(o *sqs.Options) { o.BaseEndpoint = aws.String(u) })
	}
	if u, ok := eps["sns"]; ok {
		inv.sns = sns.NewFromConfig(base, func(o *sns.Options) { o.BaseEndpoint = aws.String(u) })
	}
	if u, ok := eps["events"]; ok {
		inv.events = eventbridge.NewFromConfig(base, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(u) })
	}
	if u, ok := eps["dynamodb"]; ok {
		inv.dynamodb = dynamodb.NewFromConfig(base, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(u) })
	}
	if u, ok := eps["s3"]; ok {
		inv.s3 = s3.NewFromConfig(s3cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(u); o.UsePathStyle = true })
	}
	return inv, nil
}

// withoutInputValidation takes the client-side check of required members
// off an SDK client's middleware stack.
func withoutInputValidation(st *middleware.Stack) error {
	_, _ = st.Initialize.Remove("OperationInputValidation")
	return nil
}

// Canonical returns the [Services] name for a service name as users write
// it ("eventbridge" is "events"; case does not matter).
func Canonical(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "eventbridge" {
		return "events"
	}
	return name
}

func checkURL(name, u string) error {
	known := false
	for _, s := range Services {
		known = known || s == name
	}
	if !known {
		return fmt.Errorf("integrations: unknown service %q for an endpoint; known: %s", name, strings.Join(Services, ", "))
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("integrations: the endpoint of %s, %q, is not an http(s) URL such as http://127.0.0.1:4566", name, u)
	}
	return nil
}

// ParseEndpoint parses a `--endpoint` flag value, SERVICE=URL.
func ParseEndpoint(s string) (service, u string, err error) {
	service, u, ok := strings.Cut(s, "=")
	service = Canonical(service)
	if !ok || service == "" || u == "" {
		return "", "", fmt.Errorf("want SERVICE=URL (for example sqs=http://127.0.0.1:5000), got %q", s)
	}
	if err := checkURL(service, u); err != nil {
		return "", "", err
	}
	return service, u, nil
}

// EndpointsFromEnv returns the endpoints the standard variables name:
// AWS_ENDPOINT_URL_<SERVICE> (SQS, SNS, EVENTBRIDGE, DYNAMODB) and, for
// the services without one, AWS_ENDPOINT_URL. S3 is left out: aws-sdk:s3
// uses the stack's own S3 unless `--endpoint s3=URL` says otherwise (the
// stack sets AWS_ENDPOINT_URL_S3 for its steps itself).
func EndpointsFromEnv(getenv func(string) string) map[string]string {
	out := map[string]string{}
	global := getenv("AWS_ENDPOINT_URL")
	for _, s := range Services {
		if s == "s3" {
			continue
		}
		if u := getenv("AWS_ENDPOINT_URL_" + envNames[s]); u != "" {
			out[s] = u
		} else if global != "" {
			out[s] = global
		}
	}
	return out
}

func envCredentials(getenv func(string) string) aws.CredentialsProvider {
	if ak, sk := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); ak != "" && sk != "" {
		return credentials.NewStaticCredentialsProvider(ak, sk, getenv("AWS_SESSION_TOKEN"))
	}
	return credentials.NewStaticCredentialsProvider("test", "test", "")
}

// operation splits a service-integration resource
// (arn:aws:states:::sqs:sendMessage.waitForTaskToken) into the key of
// operations and its pattern suffix; ok is false for a resource that is
// not of that form (a Lambda function or activity ARN).
func operation(resource string) (key, suffix string, ok bool) {
	rest, ok := strings.CutPrefix(resource, "arn:aws:states:::")
	if !ok {
		return "", "", false
	}
	for _, s := range []string{".waitForTaskToken", ".sync:2", ".sync"} {
		if r, ok := strings.CutSuffix(rest, s); ok {
			return r, s, true
		}
	}
	return rest, "", true
}

// CheckService implements [statemachine.ServiceChecker]: it reports why
// the Task state called state cannot run resource here, before an
// execution starts.
func (inv *Invoker) CheckService(state, resource string) error {
	key, suffix, ok := operation(resource)
	if !ok {
		return nil
	}
	op, known := operations[key]
	if !known {
		return fmt.Errorf("the state '%s' calls %s, which the local stack does not run (it runs %s); mock it with a MockConfigFile (runner up --mock-config FILE) or change the state", state, resource, supportedList())
	}
	if suffix != "" && !(suffix == ".waitForTaskToken" && op.token) {
		return fmt.Errorf("the state '%s' calls %s, but %s does not support the %s pattern", state, resource, key, strings.TrimPrefix(suffix, "."))
	}
	if op.endpoint == "" || inv.client(op.endpoint) {
		return nil
	}
	return fmt.Errorf("the state '%s' calls %s, but no %s endpoint is configured: start the stack with `runner up --endpoint %s=URL` or set %s", state, resource, op.endpoint, op.endpoint, "AWS_ENDPOINT_URL_"+envNames[op.endpoint])
}

func supportedList() string {
	var ks []string
	for k := range operations {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// client reports whether the service has a client.
func (inv *Invoker) client(service string) bool {
	switch service {
	case "sqs":
		return inv.sqs != nil
	case "sns":
		return inv.sns != nil
	case "events":
		return inv.events != nil
	case "dynamodb":
		return inv.dynamodb != nil
	case "s3":
		return inv.s3 != nil
	}
	return false
}

// InvokeService implements [statemachine.ServiceInvoker].
func (inv *Invoker) InvokeService(ctx context.Context, req statemachine.ServiceRequest) (any, error) {
	if err := inv.CheckService("", req.Resource); err != nil {
		msg := strings.Replace(err.Error(), "the state '' calls", "the task calls", 1)
		return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: msg}
	}
	params, _ := req.Input.(map[string]any)
	if params == nil {
		params = map[string]any{}
	}
	switch req.Service + ":" + req.Action {
	case "sqs:sendMessage":
		return inv.sendMessage(ctx, params)
	case "sns:publish":
		return inv.publish(ctx, params)
	case "events:putEvents":
		return inv.putEvents(ctx, params)
	case "dynamodb:getItem", "dynamodb:putItem", "dynamodb:updateItem", "dynamodb:deleteItem":
		return inv.dynamo(ctx, req.Action, params, false)
	case "aws-sdk:dynamodb:getItem", "aws-sdk:dynamodb:putItem", "aws-sdk:dynamodb:updateItem", "aws-sdk:dynamodb:deleteItem",
		"aws-sdk:dynamodb:query", "aws-sdk:dynamodb:scan":
		return inv.dynamo(ctx, req.Action, params, true)
	case "aws-sdk:s3:getObject", "aws-sdk:s3:putObject", "aws-sdk:s3:headObject", "aws-sdk:s3:deleteObject",
		"aws-sdk:s3:listObjectsV2", "aws-sdk:s3:copyObject":
		return inv.s3Call(ctx, req.Action, params)
	case "http:invoke":
		return inv.invokeHTTP(ctx, req, params)
	}
	return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("The resource '%s' is not supported by the local stack", req.Resource)}
}
