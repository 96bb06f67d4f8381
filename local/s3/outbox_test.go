package s3_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

// TestDurableEventsRedelivered: an event that matches DurableEvents and
// was not acknowledged is delivered again by the next Start (same
// sequencer, so the trigger derives the same execution name), an
// acknowledged one is not, and events outside the pattern are delivered
// once but never recorded.
func TestDurableEventsRedelivered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	opts := locals3.Options{Dir: dir, DurableEvents: []byte(`{"detail":{"object":{"key":[{"prefix":"requests/"}]}}}`)}
	next := func(srv *locals3.Server) locals3.Event {
		t.Helper()
		select {
		case ev := <-srv.Events():
			return ev
		case <-ctx.Done():
			t.Fatal("no event")
		}
		return locals3.Event{}
	}

	srv, err := locals3.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"requests/a.json", "other/x", "requests/b.json"} {
		if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: strings.NewReader("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	a, x, b := next(srv), next(srv), next(srv)
	if a.Detail.Object.Key != "requests/a.json" || x.Detail.Object.Key != "other/x" || b.Detail.Object.Key != "requests/b.json" {
		t.Fatalf("events %s %s %s", a.Detail.Object.Key, x.Detail.Object.Key, b.Detail.Object.Key)
	}
	if err := srv.Ack(b); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if got := records(t, dir); got != 1 {
		t.Fatalf("%d outbox records after one unacknowledged event, want 1", got)
	}

	// a was never acknowledged: it comes again, and only it.
	srv, err = locals3.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	again := next(srv)
	if again.Detail.Object.Key != "requests/a.json" || again.Detail.Object.Sequencer != a.Detail.Object.Sequencer || again.ID != a.ID {
		t.Fatalf("redelivered %+v, want the recorded event %+v", again.Detail.Object, a.Detail.Object)
	}
	if err := srv.Ack(again); err != nil {
		t.Fatal(err)
	}
	if err := srv.Ack(again); err != nil { // twice is harmless
		t.Fatal(err)
	}
	if got := records(t, dir); got != 0 {
		t.Fatalf("%d outbox records after acknowledging all, want 0", got)
	}
}

func records(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			n++
		}
	}
	return n
}
