package approval

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// New returns the approval step: the decision page as a Lambda function
// URL handler. The state machine never calls it; approvers' browsers do,
// through the function URL Terraform creates. The page (its key from
// STEPWISE_APPROVAL_KEY_PARAMETER or STEPWISE_APPROVAL_KEY_FILE, and a
// Step Functions client from the default AWS configuration) is built on
// the first request and kept for the life of the execution environment.
func New(env *stepkit.Env) func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	var mu sync.Mutex
	var page *Page
	return func(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		mu.Lock()
		if page == nil {
			p, err := pageFromEnv(ctx, env)
			if err != nil {
				mu.Unlock()
				// Fail the invocation: the function URL answers 502 and the
				// error is in the function's log, not on the page.
				return events.LambdaFunctionURLResponse{}, err
			}
			page = p
		}
		p := page
		mu.Unlock()
		return p.FunctionURL(ctx, req)
	}
}

func pageFromEnv(ctx context.Context, env *stepkit.Env) (*Page, error) {
	key, err := KeyFromEnv(ctx)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("approval: no signing key: set %s (the SSM parameter Terraform creates) or %s", EnvKeyParameter, EnvKeyFile)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("approval: AWS configuration: %w", err)
	}
	return &Page{Key: key, Store: env.Store, Bucket: env.Bucket, Prefixes: env.Prefixes, Tasks: sfn.NewFromConfig(cfg), Now: env.Now, Log: env.Logger(ctx, "approval", "")}, nil
}

// FunctionURL serves one Lambda function URL request (payload format 2.0)
// with the page. With AuthType AWS_IAM the caller's IAM principal is
// recorded as the approver.
func (p *Page) FunctionURL(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return events.LambdaFunctionURLResponse{StatusCode: http.StatusBadRequest, Body: "the request body is not base64"}, nil
		}
		body = b
	}
	path := req.RawPath
	if path == "" {
		path = "/"
	}
	target := path
	if req.RawQueryString != "" {
		target += "?" + req.RawQueryString
	}
	method := req.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return events.LambdaFunctionURLResponse{StatusCode: http.StatusBadRequest, Body: "bad request"}, nil
	}
	for k, v := range req.Headers {
		r.Header.Set(k, v)
	}
	if a := req.RequestContext.Authorizer; a != nil && a.IAM != nil && a.IAM.UserARN != "" {
		r = r.WithContext(WithPrincipal(ctx, a.IAM.UserARN))
	}
	w := &responseBuffer{header: http.Header{}}
	p.ServeHTTP(w, r)
	resp := events.LambdaFunctionURLResponse{StatusCode: w.status, Headers: map[string]string{}, Body: w.body.String()}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for k, v := range w.header {
		resp.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return resp, nil
}

// responseBuffer is the http.ResponseWriter a function URL response is
// built from.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseBuffer) Header() http.Header { return w.header }

func (w *responseBuffer) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

func (w *responseBuffer) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
