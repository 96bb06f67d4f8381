package steps_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"

	s3local "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/steps/merge"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

func mergeConcat(ctx context.Context, st objstore.Store, parts []objstore.ObjectInfo) (string, error) {
	return merge.Concat(ctx, st, bucket, "work/x/merged.csv", parts)
}

func tlsConfig(t testing.TB, srv *s3local.Server) *tls.Config {
	pem, err := os.ReadFile(srv.CACertFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool}
}
