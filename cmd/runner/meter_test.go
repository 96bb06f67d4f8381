package main

import (
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	const MiB = 1 << 20
	for _, c := range []struct {
		done, total       int64
		parts, partsTotal int
		elapsed           time.Duration
		want              string
	}{
		{0, 250 * MiB, 0, 16, 0, "uploading big.csv  0 B / 250.0 MiB  0%  parts 0/16"},
		{120 * MiB, 250 * MiB, 7, 16, 2 * time.Second, "uploading big.csv  120.0 MiB / 250.0 MiB  48%  parts 7/16  60.0 MiB/s  ETA 2s"},
		{250 * MiB, 250 * MiB, 16, 16, 4 * time.Second, "uploading big.csv  250.0 MiB / 250.0 MiB  100%  parts 16/16  62.5 MiB/s"},
		{1 * MiB, 10 << 30, 0, 0, time.Second, "uploading big.csv  1.0 MiB / 10.0 GiB  0%  1.0 MiB/s  ETA 2h51m0s"},
		{512, 2048, 0, 0, 10 * time.Millisecond, "uploading big.csv  512 B / 2.0 KiB  25%"},
	} {
		if got := progressLine("uploading big.csv", c.done, c.total, c.parts, c.partsTotal, c.elapsed); got != c.want {
			t.Errorf("progressLine(%d/%d, %d/%d parts, %v) =\n %q\nwant\n %q", c.done, c.total, c.parts, c.partsTotal, c.elapsed, got, c.want)
		}
	}
}

// fakeClock advances by step on every reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

// TestMeterOnTerminal: on a terminal the meter redraws one line in place
// (carriage return, erase line), at most every redrawEvery, always at the
// end, and clears it when done.
func TestMeterOnTerminal(t *testing.T) {
	const MiB = 1 << 20
	var term strings.Builder
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), step: 0}
	m := &meter{w: &term, on: true, label: "uploading big.csv", total: 64 * MiB, partsTotal: 4, now: clock.now}
	m.start = clock.t
	clock.step = time.Second
	m.add(16*MiB, 1) // drawn: t = 1s
	clock.step = 10 * time.Millisecond
	m.add(16*MiB, 1) // too soon: not drawn
	clock.step = time.Second
	m.add(16*MiB, 1) // drawn
	clock.step = time.Millisecond
	m.add(16*MiB, 1) // the last: always drawn
	n, _ := m.finish()
	if n != 64*MiB {
		t.Errorf("finish counted %d bytes, want %d", n, 64*MiB)
	}
	want := "\r\033[Kuploading big.csv  16.0 MiB / 64.0 MiB  25%  parts 1/4  16.0 MiB/s  ETA 3s" +
		"\r\033[Kuploading big.csv  48.0 MiB / 64.0 MiB  75%  parts 3/4  23.9 MiB/s  ETA <1s" +
		"\r\033[Kuploading big.csv  64.0 MiB / 64.0 MiB  100%  parts 4/4  31.8 MiB/s" +
		"\r\033[K"
	if got := term.String(); got != want {
		t.Errorf("terminal got\n %q\nwant\n %q", got, want)
	}
}

// TestMeterQuietWithoutTerminal: standard error that is not a terminal (a
// pipe, a log file, a test's buffer), or --output json, gets nothing.
func TestMeterQuietWithoutTerminal(t *testing.T) {
	for _, output := range []string{"text", "json"} {
		var log strings.Builder
		a := &app{stderr: &log, g: globalFlags{output: output}}
		if a.showsProgress() {
			t.Fatalf("--output %s to a buffer: showsProgress", output)
		}
		m := newMeter(a, "uploading big.csv", 100, 1)
		m.add(50, 0)
		m.add(50, 1)
		m.finish()
		s := newStageLine(a)
		s.set("planning", time.Millisecond)
		s.stop()
		if output == "json" && log.Len() != 0 {
			t.Errorf("--output json: wrote %q", log.String())
		}
		if strings.ContainsAny(log.String(), "\r\033") {
			t.Errorf("--output %s, not a terminal: wrote terminal controls: %q", output, log.String())
		}
	}
}
