package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// meter shows the progress of long work (an upload, a download) as one
// terminal line redrawn in place at most every redrawEvery: bytes done of
// the total, parts done, rate and time left. It draws only on a terminal
// with --output text (see [app.showsProgress]); a log or a pipe gets
// nothing from it. Safe for use from several goroutines (the uploader's).
type meter struct {
	w          io.Writer
	on         bool
	label      string
	total      int64
	partsTotal int
	now        func() time.Time

	mu       sync.Mutex
	start    time.Time
	lastDraw time.Time
	done     int64
	parts    int
	drawn    bool
}

const redrawEvery = 100 * time.Millisecond

func newMeter(a *app, label string, total int64, partsTotal int) *meter {
	return &meter{w: a.stderr, on: a.showsProgress(), label: label, total: total, partsTotal: partsTotal, now: time.Now, start: time.Now()}
}

// add counts n more bytes and parts more finished parts.
func (m *meter) add(n int64, parts int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	m.parts += parts
	if !m.on {
		return
	}
	now := m.now()
	if !m.lastDraw.IsZero() && now.Sub(m.lastDraw) < redrawEvery && m.done < m.total {
		return
	}
	m.lastDraw = now
	m.drawn = true
	fmt.Fprint(m.w, "\r\033[K"+progressLine(m.label, m.done, m.total, m.parts, m.partsTotal, now.Sub(m.start)))
}

// finish clears the line and returns the bytes counted and the time taken.
func (m *meter) finish() (int64, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.on && m.drawn {
		fmt.Fprint(m.w, "\r\033[K")
	}
	return m.done, m.now().Sub(m.start)
}

// progressLine is "<label>  120.0 MiB / 250.0 MiB  48%  parts 7/16  85.3 MiB/s  ETA 2s".
// Parts are left out when partsTotal is 0, the rate and ETA until a
// little time has passed.
func progressLine(label string, done, total int64, parts, partsTotal int, elapsed time.Duration) string {
	var b strings.Builder
	b.WriteString(label)
	fmt.Fprintf(&b, "  %s / %s", fmtBytes(done), fmtBytes(total))
	if total > 0 {
		fmt.Fprintf(&b, "  %d%%", done*100/total)
	}
	if partsTotal > 0 {
		fmt.Fprintf(&b, "  parts %d/%d", parts, partsTotal)
	}
	if elapsed >= 50*time.Millisecond && done > 0 {
		rate := float64(done) / elapsed.Seconds()
		fmt.Fprintf(&b, "  %s/s", fmtBytes(int64(rate)))
		if total > done {
			left := time.Duration(float64(total-done) / rate * float64(time.Second))
			fmt.Fprintf(&b, "  ETA %s", fmtETA(left))
		}
	}
	return b.String()
}

// fmtBytes uses binary units, one decimal.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}

func fmtETA(d time.Duration) string {
	switch {
	case d < time.Second:
		return "<1s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return d.Round(time.Minute).String()
}

// showsProgress reports whether progress lines may be drawn: on a
// terminal, with text output.
func (a *app) showsProgress() bool {
	if a.g.output != "text" {
		return false
	}
	f, ok := a.stderr.(*os.File)
	return ok && isTerminal(f)
}

// meteredUploads counts the bytes and parts a transfermanager upload has
// sent: a part counts when S3 has accepted it.
type meteredUploads struct {
	transfermanager.S3APIClient
	m *meter
}

func (c meteredUploads) UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	n := bodySize(in.Body)
	out, err := c.S3APIClient.UploadPart(ctx, in, opts...)
	if err == nil {
		c.m.add(n, 1)
	}
	return out, err
}

func (c meteredUploads) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	n := bodySize(in.Body)
	out, err := c.S3APIClient.PutObject(ctx, in, opts...)
	if err == nil {
		c.m.add(n, 1)
	}
	return out, err
}

// bodySize is how many bytes a request body has left, when it can tell.
func bodySize(r io.Reader) int64 {
	s, ok := r.(io.Seeker)
	if !ok {
		return 0
	}
	cur, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	end, err := s.Seek(0, io.SeekEnd)
	if _, err2 := s.Seek(cur, io.SeekStart); err != nil || err2 != nil {
		return 0
	}
	return end - cur
}

// meteredReader counts what is read through it (downloads).
type meteredReader struct {
	r io.Reader
	m *meter
}

func (r meteredReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.m.add(int64(n), 0)
	}
	return n, err
}
