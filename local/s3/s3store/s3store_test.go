package s3store_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/s3/s3store"
	"github.com/stepwise-dev/stepwise/statemachine"
)

func TestStore(t *testing.T) {
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
	st := s3store.New(c)

	for _, k := range []string{"p/b", "p/a", "q/c"} {
		if err := st.PutObject(ctx, "bkt", k, []byte("body of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := st.GetObject(ctx, "bkt", "p/a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "body of p/a" {
		t.Errorf("GetObject: %q", b)
	}
	if _, err := st.GetObject(ctx, "bkt", "p/missing"); err == nil || !strings.Contains(err.Error(), "s3://bkt/p/missing") {
		t.Errorf("missing object: error %v does not name s3://bkt/p/missing", err)
	}

	var got []statemachine.ObjectInfo
	if err := st.ListObjects(ctx, "bkt", "p/", func(o statemachine.ObjectInfo) error { got = append(got, o); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "p/a" || got[1].Key != "p/b" {
		t.Fatalf("ListObjects p/: %+v", got)
	}
	o := got[0]
	if o.Size != int64(len("body of p/a")) || !strings.HasPrefix(o.ETag, `"`) || o.LastModified.IsZero() || o.StorageClass != "STANDARD" {
		t.Errorf("ObjectInfo: %+v", o)
	}
}
