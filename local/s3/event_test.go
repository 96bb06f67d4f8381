package s3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

func nextEvent(t *testing.T, srv *locals3.Server) locals3.Event {
	t.Helper()
	select {
	case ev := <-srv.Events():
		return ev
	case <-time.After(30 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("no event")
		return locals3.Event{}
	}
}

func TestObjectCreatedEvents(t *testing.T) {
	srv, c := start(t, locals3.Options{Region: "eu-west-1", Account: "111122223333"})
	ctx := context.Background()
	createBucket(t, c, "bkt")

	p := put(t, c, "bkt", "requests/a b+c.json", `{"x":1}`)
	ev := nextEvent(t, srv)
	if ev.Detail.Object.ETag != strings.Trim(aws.ToString(p.ETag), `"`) {
		t.Errorf("etag %q, PutObject returned %q", ev.Detail.Object.ETag, aws.ToString(p.ETag))
	}
	seq1 := ev.Detail.Object.Sequencer
	ev.ID, ev.Time, ev.Detail.RequestID, ev.Detail.Object.ETag, ev.Detail.Object.Sequencer = "ID", "TIME", "REQ", "ETAG", "SEQ"
	got, _ := json.Marshal(ev)
	want := `{"version":"0","id":"ID","detail-type":"Object Created","source":"aws.s3","account":"111122223333","time":"TIME","region":"eu-west-1",` +
		`"resources":["arn:aws:s3:::bkt"],"detail":{"version":"0","bucket":{"name":"bkt"},` +
		`"object":{"key":"requests/a+b%2Bc.json","size":7,"etag":"ETAG","sequencer":"SEQ"},` +
		`"request-id":"REQ","requester":"111122223333","source-ip-address":"127.0.0.1","reason":"PutObject"}}`
	if string(got) != want {
		t.Errorf("event JSON\n got %s\nwant %s", got, want)
	}

	if _, err := c.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("requests/copy.json"), CopySource: aws.String("bkt/requests/a%20b%2Bc.json")}); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, srv)
	if ev.Detail.Reason != "CopyObject" || ev.Detail.Object.Key != "requests/copy.json" || ev.Detail.Object.Size != 7 || ev.Detail.Object.ETag == "" {
		t.Errorf("copy event: %+v", ev.Detail)
	}
	if ev.Detail.Object.Sequencer <= seq1 {
		t.Errorf("sequencer %s not after %s", ev.Detail.Object.Sequencer, seq1)
	}

	mpu, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("requests/mpu")})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("requests/mpu"), UploadId: mpu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("abc"))})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("requests/mpu"), UploadId: mpu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: up.ETag, PartNumber: aws.Int32(1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, srv)
	if ev.Detail.Reason != "CompleteMultipartUpload" || ev.Detail.Object.Size != 3 || ev.Detail.Object.ETag != strings.Trim(aws.ToString(done.ETag), `"`) {
		t.Errorf("multipart event: %+v (complete returned etag %s)", ev.Detail, aws.ToString(done.ETag))
	}

	// Deletes and failed writes produce no event.
	if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("requests/mpu")}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "bkt", "last", "z")
	if ev := nextEvent(t, srv); ev.Detail.Object.Key != "last" {
		t.Errorf("after a delete: event for %q, want the next put (\"last\")", ev.Detail.Object.Key)
	}
}

func TestEncodeKey(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"requests/a.json", "requests/a.json"},
		{"red flower.jpg", "red+flower.jpg"},
		{"c++/x y", "c%2B%2B/x+y"},
		{"é:=?&", "%C3%A9%3A%3D%3F%26"},
	} {
		got := locals3.EncodeKey(tc.key)
		if got != tc.want {
			t.Errorf("EncodeKey(%q) = %q, want %q", tc.key, got, tc.want)
		}
		back, err := locals3.DecodeKey(got)
		if err != nil || back != tc.key {
			t.Errorf("DecodeKey(%q) = %q, %v", got, back, err)
		}
	}
}
