package objstore

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Options says where an S3 client sends its requests.
type S3Options struct {
	// Endpoint is the base URL of an S3-compatible server (the local
	// stack's S3, an emulator). Empty means AWS, or AWS_ENDPOINT_URL_S3 when
	// the configuration was loaded from the environment. An endpoint
	// implies path-style addressing: the local S3 serves every bucket on one
	// host and cannot resolve bucket.host names.
	Endpoint string
	// PathStyle selects path-style addressing without setting an endpoint
	// (for an endpoint the configuration itself names).
	PathStyle bool
}

// NewS3Client is the one place Stepwise builds S3 clients: the runner's
// (AWS, an endpoint, the local stack), the local stack's own (for the
// engine's ItemReader and ResultWriter) and the steps' ([NewSDKFromEnv]).
// cfg carries what differs between them and must be settled when loading
// it: region, credentials, and the HTTP client that trusts the local
// stack's TLS certificate (config.WithCustomCABundle, AWS_CA_BUNDLE or
// config.WithHTTPClient).
func NewS3Client(cfg aws.Config, o S3Options) *s3.Client {
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.Endpoint != "" || o.PathStyle
	})
}
