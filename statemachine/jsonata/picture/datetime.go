package picture

// FormatDateTime formats millis (milliseconds since the Unix epoch) with
// an fn:format-dateTime picture string in the given time zone, as
// $fromMillis and $now do. timezone is "" (UTC) or "±HHMM". An empty
// picture means the ISO 8601 form of JavaScript's toISOString, written in
// the time zone ("2018-10-21T08:05:00.000-05:00", or "…Z" for UTC).
func FormatDateTime(millis int64, picture, timezone string) (string, error) {
	return "", errorf("D3000", nil, "formatDateTime: not implemented yet")
}

// ParseDateTime parses s with an fn:format-dateTime picture string, as
// $toMillis does with a picture. ok is false when s does not match the
// picture, which JSONata reports as an undefined result; err is set for
// bad pictures and for component combinations that do not determine a
// time (D3136).
func ParseDateTime(s, picture string) (millis int64, ok bool, err error) {
	return 0, false, errorf("D3000", nil, "parseDateTime: not implemented yet")
}

// ParseISO8601 parses an ISO 8601 date or date-time (a date alone, or a
// date and time with an optional fraction and zone), as $toMillis does
// without a picture. Other text fails with D3110.
func ParseISO8601(s string) (millis int64, err error) {
	return 0, errorf("D3110", s, "The timestamp %q cannot be parsed", s)
}
