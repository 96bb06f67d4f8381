package approval

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepwise-dev/stepwise/steps/export"
)

type fakeSFN struct{ sent []*sfn.SendTaskSuccessInput }

func (f *fakeSFN) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.sent = append(f.sent, in)
	return &sfn.SendTaskSuccessOutput{}, nil
}

type fakeS3 struct{ objects map[string]string }

func (f fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	body, ok := f.objects[*in.Key]
	if !ok {
		return nil, &s3types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader(body))}, nil
}

func (f fakeS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out := &s3.ListObjectsV2Output{}
	for k, v := range f.objects {
		if strings.HasPrefix(k, *in.Prefix) {
			out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(v)))})
		}
	}
	return out, nil
}

func TestSend(t *testing.T) {
	api := &fakeSFN{}
	if err := Send(context.Background(), api, "tok", export.Decision{Decision: "maybe"}); err == nil || len(api.sent) != 0 {
		t.Fatalf("decision maybe: err %v, sent %d", err, len(api.sent))
	}
	if err := Send(context.Background(), api, "tok", export.Decision{Decision: "reject", Approver: "ada", Comment: `<b>"no"</b>`}); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(api.sent[0].Output); got != `{"decision":"reject","approver":"ada","comment":"\u003cb\u003e\"no\"\u003c/b\u003e"}` || aws.ToString(api.sent[0].TaskToken) != "tok" {
		t.Errorf("sent %s with token %s", got, aws.ToString(api.sent[0].TaskToken))
	}
}

// TestReadAndList: a missing record is ErrNoRecord; records that are not
// approval records are skipped with the reason and never hide the others.
func TestReadAndList(t *testing.T) {
	s := fakeS3{objects: map[string]string{
		"approvals/pending/a.json":   `{"taskToken":"t1","execution":"a","rows":3}`,
		"approvals/pending/b.json":   `not json`,
		"approvals/pending/c.json":   `{"execution":"c"}`,
		"approvals/pending/big.json": strings.Repeat(" ", 200) + `{"taskToken":"t","execution":"big"}`,
	}}
	ctx := context.Background()
	if _, err := Read(ctx, s, "bkt", Key(DefaultPrefix, "arn:aws:states:us-east-1:1:execution:m:zzz"), 1<<20); !errors.Is(err, ErrNoRecord) {
		t.Errorf("missing record: %v", err)
	}
	rec, err := Read(ctx, s, "bkt", Key(DefaultPrefix, "a"), 1<<20)
	if err != nil || rec.TaskToken != "t1" || rec.Rows != 3 {
		t.Fatalf("read a: %+v %v", rec, err)
	}
	list, skipped, err := List(ctx, s, "bkt", DefaultPrefix, 100)
	if err != nil || len(list) != 1 || list[0].Execution != "a" || len(skipped) != 3 {
		t.Fatalf("list: %+v skipped %+v err %v", list, skipped, err)
	}
}
