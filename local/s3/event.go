package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/versity/versitygw/backend"
	"github.com/versity/versitygw/s3response"

	"github.com/stepwise-dev/stepwise/local/eventpattern"
)

// Event is an S3 "Object Created" event in the exact JSON shape Amazon S3
// sends to Amazon EventBridge (json.Marshal it to get that document).
type Event struct {
	Version    string      `json:"version"`     // always "0"
	ID         string      `json:"id"`          // a random UUID per event
	DetailType string      `json:"detail-type"` // "Object Created"
	Source     string      `json:"source"`      // "aws.s3"
	Account    string      `json:"account"`     // the bucket owner's account id
	Time       string      `json:"time"`        // RFC 3339, seconds, UTC
	Region     string      `json:"region"`
	Resources  []string    `json:"resources"` // the bucket ARN
	Detail     EventDetail `json:"detail"`
}

// EventDetail is the "detail" member of an [Event].
type EventDetail struct {
	Version         string      `json:"version"` // always "0"
	Bucket          EventBucket `json:"bucket"`
	Object          EventObject `json:"object"`
	RequestID       string      `json:"request-id"`
	Requester       string      `json:"requester"`
	SourceIPAddress string      `json:"source-ip-address"`
	// Reason is the API that created the object: "PutObject",
	// "CopyObject" or "CompleteMultipartUpload".
	Reason string `json:"reason"`
}

// EventBucket names the bucket of an [Event].
type EventBucket struct {
	Name string `json:"name"`
}

// EventObject describes the created object of an [Event].
type EventObject struct {
	// Key is URL-encoded as S3 encodes keys in notifications: form
	// encoding ("a b+c" becomes "a+b%2Bc") with "/" left as is.
	Key  string `json:"key"`
	Size int64  `json:"size"`
	// ETag is the object's entity tag without quotes.
	ETag string `json:"etag"`
	// VersionID is set only for objects in versioned buckets.
	VersionID string `json:"version-id,omitempty"`
	// Sequencer orders events for the same key: a later write of a key
	// has a greater sequencer (compare as hex numbers of equal length).
	Sequencer string `json:"sequencer"`
}

// EncodeKey URL-encodes an object key the way S3 writes keys into event
// notifications.
func EncodeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}

// DecodeKey reverses [EncodeKey]: it turns an event's object key back into
// the key to pass to GetObject.
func DecodeKey(encoded string) (string, error) {
	k, err := url.QueryUnescape(encoded)
	if err != nil {
		return "", fmt.Errorf("s3 event key %q: %w", encoded, err)
	}
	return k, nil
}

// notifier builds events; it is safe for concurrent use.
type notifier struct {
	region, account string
	send            func(Event)
	now             func() time.Time

	mu      sync.Mutex
	lastSeq uint64
}

func newNotifier(region, account string, send func(Event)) *notifier {
	return &notifier{region: region, account: account, send: send, now: time.Now}
}

// sequencer returns a strictly increasing 16-digit hex number. It is based
// on the wall clock so that it keeps increasing across restarts of the
// server (VersityGW's own counter restarts at 1), which the trigger relies
// on to tell a new write of a key from a redelivery of an old one.
func (n *notifier) sequencer() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := uint64(n.now().UnixNano())
	if s <= n.lastSeq {
		s = n.lastSeq + 1
	}
	n.lastSeq = s
	return fmt.Sprintf("%016x", s)
}

func (n *notifier) event(bucket, key, reason string, size int64, etag, versionID string) Event {
	return Event{
		Version:    "0",
		ID:         newUUID(),
		DetailType: "Object Created",
		Source:     "aws.s3",
		Account:    n.account,
		Time:       n.now().UTC().Format("2006-01-02T15:04:05Z"),
		Region:     n.region,
		Resources:  []string{"arn:aws:s3:::" + bucket},
		Detail: EventDetail{
			Version: "0",
			Bucket:  EventBucket{Name: bucket},
			Object: EventObject{
				Key:       EncodeKey(key),
				Size:      size,
				ETag:      strings.Trim(etag, `"`),
				VersionID: versionID,
				Sequencer: n.sequencer(),
			},
			RequestID:       strings.ToUpper(randomHex(8)),
			Requester:       n.account,
			SourceIPAddress: "127.0.0.1",
			Reason:          reason,
		},
	}
}

// notifyingBackend wraps the POSIX backend and reports every object it
// creates. Wrapping the backend (rather than VersityGW's event senders)
// gives the real size and ETag for copies and completed multipart uploads,
// and sends the event before the client sees the response. With a durable
// outbox, events that match its pattern are on disk (object included)
// before the client sees the response; if that fails, the write fails.
type notifyingBackend struct {
	backend.Backend
	notify *notifier

	root    string                // bucket root, to fsync created objects
	outbox  *outbox               // nil: events are not recorded
	durable *eventpattern.Pattern // events recorded in the outbox
}

func (b *notifyingBackend) created(ctx context.Context, bucket, key *string, reason string) error {
	if bucket == nil || key == nil {
		return nil
	}
	var size int64
	var etag, version string
	head, err := b.Backend.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: bucket, Key: key})
	if err == nil {
		if head.ContentLength != nil {
			size = *head.ContentLength
		}
		if head.ETag != nil {
			etag = *head.ETag
		}
		if head.VersionId != nil && *head.VersionId != "null" {
			version = *head.VersionId
		}
	}
	ev := b.notify.event(*bucket, *key, reason, size, etag, version)
	if b.outbox != nil {
		if err := b.record(ev, *bucket, *key); err != nil {
			return fmt.Errorf("local s3: %s/%s was written but its event could not be recorded for the trigger (write it again): %w", *bucket, *key, err)
		}
	}
	b.notify.send(ev)
	return nil
}

// record puts ev into the outbox if it matches the durable pattern, after
// making the object itself durable: a recorded event must never name an
// object a crash could take back.
func (b *notifyingBackend) record(ev Event, bucket, key string) error {
	if b.durable != nil {
		raw, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if ok, err := b.durable.Match(raw); err != nil || !ok {
			return err
		}
	}
	path := filepath.Join(b.root, bucket, filepath.FromSlash(key))
	if err := syncFile(path); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	return b.outbox.record(ev)
}

// PutObject implements backend.Backend and reports the created object.
func (b *notifyingBackend) PutObject(ctx context.Context, in s3response.PutObjectInput) (s3response.PutObjectOutput, error) {
	out, err := b.Backend.PutObject(ctx, in)
	if err == nil {
		err = b.created(ctx, in.Bucket, in.Key, "PutObject")
	}
	return out, err
}

// CopyObject implements backend.Backend and reports the created object.
func (b *notifyingBackend) CopyObject(ctx context.Context, in s3response.CopyObjectInput) (s3response.CopyObjectOutput, error) {
	out, err := b.Backend.CopyObject(ctx, in)
	if err == nil {
		err = b.created(ctx, in.Bucket, in.Key, "CopyObject")
	}
	return out, err
}

// CompleteMultipartUpload implements backend.Backend and reports the
// created object.
func (b *notifyingBackend) CompleteMultipartUpload(ctx context.Context, in *awss3.CompleteMultipartUploadInput) (s3response.CompleteMultipartUploadResult, string, error) {
	out, version, err := b.Backend.CompleteMultipartUpload(ctx, in)
	if err == nil {
		err = b.created(ctx, in.Bucket, in.Key, "CompleteMultipartUpload")
	}
	return out, version, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
