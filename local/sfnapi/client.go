package sfnapi

import (
	"context"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ClientOptions configures an aws-sdk-go-v2 Step Functions client for a
// local endpoint such as "http://127.0.0.1:8083": it sets BaseEndpoint and
// turns off the "sync-" host prefix that the SDK otherwise puts in front of
// the host for StartSyncExecution and TestState (sync-127.0.0.1 does not
// resolve). Use it as sfn.NewFromConfig(cfg, sfnapi.ClientOptions(url)).
func ClientOptions(endpoint string) func(*sfn.Options) {
	return func(o *sfn.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("StepwiseNoHostPrefix",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
				}), middleware.Before)
		})
	}
}

// CLIEndpoint returns the form of a local endpoint URL that the AWS CLI and
// boto3 reach for every operation with their default settings:
// "http://127.0.0.1:8083" becomes "http://stepwise@127.0.0.1:8083".
//
// StartSyncExecution and TestState carry the "sync-" host prefix in the
// service model. botocore writes it in front of the URL's authority, so
// with a user name in the URL it lands there ("sync-stepwise@127.0.0.1"),
// the host stays 127.0.0.1 and the server ignores the name (requests are
// signed with SigV4, never with the URL's user). Without one the host
// becomes "sync-127.0.0.1", which does not resolve. Other SDKs (Go,
// JavaScript, Java) put the prefix in front of the host itself and ignore
// the user name: they need host prefix injection turned off, see
// [ClientOptions] for Go. An endpoint that already has a user name, or is
// not a URL, is returned unchanged.
func CLIEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.User != nil {
		return endpoint
	}
	u.User = url.User("stepwise")
	return u.String()
}
