package objstore

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestNewS3Client(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1"}
	tests := []struct {
		name      string
		o         S3Options
		endpoint  string
		pathStyle bool
	}{
		{"AWS", S3Options{}, "", false},
		{"local stack", S3Options{Endpoint: "https://127.0.0.1:4566"}, "https://127.0.0.1:4566", true},
		{"endpoint from the environment", S3Options{PathStyle: true}, "", true},
	}
	for _, tc := range tests {
		o := NewS3Client(cfg, tc.o).Options()
		if aws.ToString(o.BaseEndpoint) != tc.endpoint || o.UsePathStyle != tc.pathStyle || o.Region != "eu-west-1" {
			t.Errorf("%s: BaseEndpoint %q, UsePathStyle %v, Region %q; want %q, %v, eu-west-1", tc.name, aws.ToString(o.BaseEndpoint), o.UsePathStyle, o.Region, tc.endpoint, tc.pathStyle)
		}
	}
}

func TestPathStyleFromEnv(t *testing.T) {
	tests := []struct {
		pathStyle, endpoint string
		want                bool
	}{
		{"", "", false},
		{"", "http://127.0.0.1:9000", true},
		{"false", "http://127.0.0.1:9000", false},
		{"true", "", true},
	}
	for _, tc := range tests {
		env := map[string]string{"STEPWISE_S3_PATH_STYLE": tc.pathStyle, "AWS_ENDPOINT_URL_S3": tc.endpoint}
		if got := pathStyleFromEnv(func(k string) string { return env[k] }); got != tc.want {
			t.Errorf("STEPWISE_S3_PATH_STYLE=%q AWS_ENDPOINT_URL_S3=%q: path style %v, want %v", tc.pathStyle, tc.endpoint, got, tc.want)
		}
	}
}
