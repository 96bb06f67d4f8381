package s3_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

// TestNewClientWithCABundle checks that a user's AWS_CA_BUNDLE neither
// breaks trust in the local certificate nor makes NewClient panic.
func TestNewClientWithCABundle(t *testing.T) {
	dir := t.TempDir()
	srv, c := start(t, locals3.Options{Dir: filepath.Join(dir, "s3"), TLS: true, DisableEvents: true})
	createBucket(t, c, "bkt")
	put(t, c, "bkt", "k", "v")

	// Another valid bundle: a second server's certificate.
	other, _ := start(t, locals3.Options{Dir: filepath.Join(dir, "other"), TLS: true, DisableEvents: true})
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)

	for _, tc := range []struct {
		bundle  string
		wantErr string
	}{
		{srv.CACertFile(), ""},
		{other.CACertFile(), ""},
		{garbage, "local s3: client config"},
		{filepath.Join(dir, "missing.pem"), "local s3: client config"},
	} {
		t.Setenv("AWS_CA_BUNDLE", tc.bundle)
		c, err := srv.NewClient(context.Background())
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("AWS_CA_BUNDLE=%s: error %v, want %q", tc.bundle, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("AWS_CA_BUNDLE=%s: %v", tc.bundle, err)
			continue
		}
		if got := get(t, c, "bkt", "k", ""); got != "v" {
			t.Errorf("AWS_CA_BUNDLE=%s: got %q", tc.bundle, got)
		}
	}
}

func TestCertificateReusedAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	srv, _ := start(t, locals3.Options{Dir: dir, TLS: true, DisableEvents: true})
	first, err := os.ReadFile(srv.CACertFile())
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	srv2, c := start(t, locals3.Options{Dir: dir, TLS: true, DisableEvents: true})
	second, _ := os.ReadFile(srv2.CACertFile())
	if string(first) != string(second) {
		t.Error("a new certificate was made although the old one is valid")
	}
	createBucket(t, c, "bkt")
	env := strings.Join(srv2.Env(), " ")
	for _, want := range []string{"AWS_ENDPOINT_URL_S3=https://127.0.0.1:", "AWS_CA_BUNDLE=" + srv2.CACertFile(), "AWS_ACCESS_KEY_ID=", "AWS_REGION=us-east-1"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env() = %s, lacks %s", env, want)
		}
	}
}
