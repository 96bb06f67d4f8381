package interp

import (
	"testing"
	"time"
)

func TestParseWaitTimestamp(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ok := []struct {
		in   string
		want time.Time
	}{
		{"2016-03-14T01:59:00Z", utc("2016-03-14T01:59:00Z")},
		{"2016-03-14t01:59:00z", utc("2016-03-14T01:59:00Z")},
		{"2016-03-14T02:59:00+01:00", utc("2016-03-14T01:59:00Z")},
		{"2016-03-13T23:59:00-02:00", utc("2016-03-14T01:59:00Z")},
		{"2016-03-14T01:59:00-00:00", utc("2016-03-14T01:59:00Z")},
		{"2016-03-14T01:59Z", utc("2016-03-14T01:59:00Z")},
		{"2016-03-14T01:59:00.999999999Z", utc("2016-03-14T01:59:00Z")}, // milliseconds truncated
		{"2016-03-14T02:59:30+01:00:30", utc("2016-03-14T01:59:00Z")},
		{"2016-03-14T19:59:00+18:00", utc("2016-03-14T01:59:00Z")},
		{"2016-02-29T00:00:00Z", utc("2016-02-29T00:00:00Z")},
	}
	for _, c := range ok {
		got, err := parseWaitTimestamp(c.in)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseWaitTimestamp(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{
		"", "2016-03-14", "2016-03-14T01:59:00", "2016-03-14 01:59:00Z", "2016-03-14T01:59:00.Z",
		"2016-03-14T01:59:00.1234567890Z", "2016-03-14T01:59:00+0100", "2016-03-14T01:59:00+01",
		"2016-03-14T01:59:00+18:01", "2016-03-14T01:59:00+19:00", "2015-02-29T00:00:00Z", "2016-02-30T01:59:00Z",
		"2016-13-05T21:29:29Z", "2016-12-05T25:29:29Z", "2016-03-14T24:00:00Z", "2016-12-31T23:59:60Z",
		"05-12-2016T21:29:29Z", "2016-03-14T1:59:00Z", "2016-03-14T01:59:00ZZ", " 2016-03-14T01:59:00Z",
	} {
		if got, err := parseWaitTimestamp(in); err == nil {
			t.Errorf("parseWaitTimestamp(%q) = %v, want an error", in, got)
		}
	}
}
