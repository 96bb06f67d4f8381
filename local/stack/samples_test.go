package stack

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// sampleOutcomes is what each sample request in testdata/export does when
// put under requests/ on a fresh local stack (see testdata/export/README.md).
// Every sample must be listed.
var sampleOutcomes = map[string]struct {
	status  types.ExecutionStatus // final status; RUNNING: waits for approval
	errName string                // the execution's error, when FAILED
	cause   string                // a part of its cause
}{
	"request-orders-de.json":     {status: types.ExecutionStatusRunning},
	"request-parquet.json":       {status: types.ExecutionStatusSucceeded},
	"request-invalid-where.json": {status: types.ExecutionStatusFailed, errName: "InvalidExportRequest", cause: "/where"},
}

// TestSampleRequests puts every sample export request of testdata/export
// under requests/ on a local stack running the real steps, as a user would,
// and checks each outcome: the valid ones export (or wait for approval),
// the invalid one fails with its documented error.
func TestSampleRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the export workflow on a local stack; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	samples, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "export", "request-*.json"))
	if len(samples) == 0 {
		t.Fatal("no samples in testdata/export")
	}
	for _, s := range samples {
		if _, ok := sampleOutcomes[filepath.Base(s)]; !ok {
			t.Fatalf("%s: no expected outcome in sampleOutcomes", s)
		}
	}

	// The steps build their S3 clients from the environment, as on Lambda.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s3Addr := l.Addr().String()
	l.Close()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": "http://" + s3Addr, "AWS_ACCESS_KEY_ID": locals3.DefaultAccessKey,
		"AWS_SECRET_ACCESS_KEY": locals3.DefaultSecretKey, "AWS_REGION": DefaultRegion, "AWS_EC2_METADATA_DISABLED": "true",
		"STEPWISE_S3_PATH_STYLE": "true", "STEPWISE_BUCKET": DefaultBucket, "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_CA_BUNDLE": "",
	} {
		t.Setenv(k, v)
	}
	env, err := stepkit.FromOS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env.Log = t.Output()
	st, err := Open(ctx, Options{DataDir: t.TempDir(), Repo: repo, S3Addr: s3Addr, Steps: steps.New(env), NoProcessEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s3c, err := newS3Client(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, body []byte) {
		t.Helper()
		if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(st.Endpoints.Bucket), Key: aws.String(key), Body: strings.NewReader(string(body))}); err != nil {
			t.Fatal(err)
		}
	}
	// The sources the samples name.
	orders, err := os.ReadFile(filepath.Join("..", "..", "testdata", "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	put("uploads/orders.csv", orders)
	put("uploads/daily/2026-07-01.csv", []byte("order_id;country;total\n1;DE;10.5\n2;FR;20\n"))

	keys := map[string]string{} // request key → sample
	for _, s := range samples {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		key := "requests/" + filepath.Base(s)
		keys[key] = filepath.Base(s)
		put(key, b)
	}

	c := sfnClient(st.Endpoints.StepFunctions)
	for {
		list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(st.Endpoints.StateMachineArn)})
		if err != nil {
			t.Fatal(err)
		}
		settled := 0
		var report []string
		for _, x := range list.Executions {
			d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
			if err != nil {
				t.Fatal(err)
			}
			var in struct{ Request struct{ Key string } }
			json.Unmarshal([]byte(aws.ToString(d.Input)), &in)
			sample, ok := keys[in.Request.Key]
			if !ok {
				t.Fatalf("execution %s for an unknown object %q", aws.ToString(x.Name), in.Request.Key)
			}
			want := sampleOutcomes[sample]
			got := d.Status
			if got == types.ExecutionStatusRunning && want.status == types.ExecutionStatusRunning {
				// Waiting for approval: the pending record is there.
				if _, err := s3c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(st.Endpoints.Bucket),
					Key: aws.String("approvals/pending/" + aws.ToString(x.Name) + ".json")}); err == nil {
					settled++
				}
				continue
			}
			if got == types.ExecutionStatusRunning {
				continue
			}
			settled++
			if got != want.status || aws.ToString(d.Error) != want.errName || !strings.Contains(aws.ToString(d.Cause), want.cause) {
				report = append(report, sample+": "+string(got)+" "+aws.ToString(d.Error)+" "+aws.ToString(d.Cause))
			}
		}
		for _, r := range report {
			t.Errorf("%s; want %+v", r, sampleOutcomes[strings.SplitN(r, ":", 2)[0]])
		}
		if len(report) > 0 {
			return
		}
		if settled == len(samples) && len(list.Executions) == len(samples) {
			return
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("after 2 minutes %d of %d sample requests settled (%d executions)", settled, len(samples), len(list.Executions))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
