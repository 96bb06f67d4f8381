package objstore_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

func TestSDKOnLocalS3(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := locals3.Start(ctx, locals3.Options{Dir: t.TempDir(), DisableEvents: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	st := objstore.NewSDK(c)

	for _, k := range []string{"p/b", "p/a", "q/c"} {
		if _, err := st.Put(ctx, "bkt", k, strings.NewReader("body of "+k), ""); err != nil {
			t.Fatal(err)
		}
	}
	rc, _, err := st.Get(ctx, "bkt", "p/a", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "body of p/a" {
		t.Errorf("Get: %q", b)
	}
	if _, _, err := st.Get(ctx, "bkt", "p/missing", 0, -1); err == nil || !strings.Contains(err.Error(), "s3://bkt/p/missing") {
		t.Errorf("missing object: error %v does not name s3://bkt/p/missing", err)
	}

	got, err := st.List(ctx, "bkt", "p/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "p/a" || got[1].Key != "p/b" {
		t.Fatalf("List p/: %+v", got)
	}
	o := got[0]
	if o.Size != int64(len("body of p/a")) || !strings.HasPrefix(o.ETag, `"`) || o.LastModified.IsZero() || o.StorageClass != "STANDARD" {
		t.Errorf("ObjectInfo: %+v", o)
	}
}
