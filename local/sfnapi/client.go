package sfnapi

import (
	"context"

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
