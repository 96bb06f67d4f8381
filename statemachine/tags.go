package statemachine

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	arnfmt "github.com/stepwise-dev/stepwise/statemachine/arn"
)

// Tags and the logging and tracing settings of state machines: stored,
// persisted with the machine and returned as AWS returns them. The local
// stack does not act on them (no CloudWatch Logs, no X-Ray).

// maxTags is the number of tags a resource may have, not counting the
// reserved "aws:" ones (which users cannot set anyway).
const maxTags = 50

// checkTags checks tags as TagResource does: key 1-128 and value 0-256
// characters of the allowed set, no reserved "aws:" prefix. The model's
// length constraints are also checked by the HTTP layer, with AWS's
// wording; this keeps Go callers honest.
func checkTags(tags []Tag) error {
	for i, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return apiErr("ValidationException", "Tag %d: key %q has %d characters; a tag key has 1 to 128", i+1, t.Key, n)
		}
		if n := utf8.RuneCountInString(t.Value); n > 256 {
			return apiErr("ValidationException", "Tag %d (key %q): the value has %d characters; a tag value has at most 256", i+1, t.Key, n)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return apiErr("ValidationException", "Tag %d: key %q uses the prefix 'aws:', which is reserved for AWS; choose another key", i+1, t.Key)
		}
		for _, f := range []struct{ what, s string }{{"key", t.Key}, {"value", t.Value}} {
			if r, ok := badTagRune(f.s); ok {
				return apiErr("ValidationException", "Tag %d (key %q): the %s contains %q; tags may only contain Unicode letters, digits, white space, or these symbols: _ . : / = + - @", i+1, t.Key, f.what, r)
			}
		}
	}
	return nil
}

// badTagRune returns the first character of s that a tag may not contain.
func badTagRune(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return r, true
	}
	return 0, false
}

// mergeTags adds tags to old: a key already present gets the new value in
// place, new keys go at the end, in request order.
func mergeTags(old, tags []Tag) []Tag {
	out := append([]Tag(nil), old...)
	for _, t := range tags {
		found := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value = t.Value
				found = true
				break
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	return out
}

// taggedLocked returns the record of a taggable resource: an unqualified
// state machine. A malformed ARN is InvalidArn; a version, an alias or a
// missing machine is ResourceNotFound (as AWS answers for a version).
func (e *Engine) taggedLocked(arn string) (*smRecord, error) {
	if err := invalidArn(arn, arnfmt.Taggable); err != nil {
		return nil, err
	}
	rec, ok := e.machines[arn]
	if !ok || versionNumber(arn) > 0 {
		return nil, apiErr("ResourceNotFound", "Resource not found: '%s'", arn)
	}
	return rec, nil
}

// TagResource adds tags to a state machine, replacing the value of a key it
// already has. More than 50 tags in all is TooManyTags.
func (e *Engine) TagResource(ctx context.Context, arn string, tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	if isActivityArn(arn) {
		return e.setActivityTags(ctx, arn, func(old []Tag) ([]Tag, error) {
			if merged := mergeTags(old, tags); len(merged) <= maxTags {
				return merged, nil
			}
			return nil, apiErr("TooManyTags", "Too many tags: '%s' would have more than %d tags (remove some with UntagResource)", arn, maxTags)
		})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, err := e.taggedLocked(arn)
	if err != nil {
		return err
	}
	merged := mergeTags(rec.tags, tags)
	if len(merged) > maxTags {
		return apiErr("TooManyTags", "Too many tags: '%s' would have %d tags; a resource can have at most %d (remove some with UntagResource)", arn, len(merged), maxTags)
	}
	nrec := *rec
	nrec.tags = merged
	if err := e.persistMachine(ctx, &nrec); err != nil {
		return err
	}
	e.machines[arn] = &nrec
	return nil
}

// UntagResource removes the tags with the given keys; keys the machine does
// not have are ignored.
func (e *Engine) UntagResource(ctx context.Context, arn string, keys []string) error {
	if isActivityArn(arn) {
		return e.setActivityTags(ctx, arn, func(old []Tag) ([]Tag, error) { return removeTags(old, keys), nil })
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, err := e.taggedLocked(arn)
	if err != nil {
		return err
	}
	nrec := *rec
	nrec.tags = removeTags(rec.tags, keys)
	if err := e.persistMachine(ctx, &nrec); err != nil {
		return err
	}
	e.machines[arn] = &nrec
	return nil
}

// removeTags returns tags without those with the given keys.
func removeTags(tags []Tag, keys []string) []Tag {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	var kept []Tag
	for _, t := range tags {
		if !drop[t.Key] {
			kept = append(kept, t)
		}
	}
	return kept
}

// ListTagsForResource returns a state machine's or an activity's tags in
// the order they were first added.
func (e *Engine) ListTagsForResource(ctx context.Context, arn string) ([]Tag, error) {
	if isActivityArn(arn) {
		return e.activityTags(arn)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	rec, err := e.taggedLocked(arn)
	if err != nil {
		return nil, err
	}
	return append([]Tag{}, rec.tags...), nil
}

// checkLogging checks a logging configuration as CreateStateMachine and
// UpdateStateMachine do: a level other than OFF needs exactly one
// destination, and a destination is a log group ARN ending in ":*".
func checkLogging(l *LoggingConfiguration) error {
	if l == nil {
		return nil
	}
	switch l.Level {
	case "", "OFF", "ALL", "ERROR", "FATAL":
	default:
		return apiErr("ValidationException", "Value '%s' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]", l.Level)
	}
	if len(l.Destinations) > 1 || (l.Level != "" && l.Level != "OFF" && len(l.Destinations) != 1) {
		return apiErr("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination.")
	}
	for _, d := range l.Destinations {
		if !strings.HasPrefix(d, "arn:") || !strings.Contains(d, ":logs:") || !strings.HasSuffix(d, ":*") {
			return apiErr("InvalidLoggingConfiguration", "Invalid Logging Configuration: the log destination '%s' is not a CloudWatch Logs log group ARN ending in ':*' (arn:aws:logs:<region>:<account>:log-group:<name>:*)", d)
		}
	}
	return nil
}

// normLogging returns l with its defaults filled in (level OFF).
func normLogging(l *LoggingConfiguration) LoggingConfiguration {
	if l == nil {
		return LoggingConfiguration{Level: "OFF"}
	}
	out := *l
	if out.Level == "" {
		out.Level = "OFF"
	}
	if out.Destinations != nil {
		out.Destinations = append([]string{}, out.Destinations...)
	}
	return out
}

func equalLogging(a, b LoggingConfiguration) bool {
	if a.Level != b.Level || a.IncludeExecutionData != b.IncludeExecutionData || len(a.Destinations) != len(b.Destinations) ||
		(a.Destinations == nil) != (b.Destinations == nil) {
		return false
	}
	for i := range a.Destinations {
		if a.Destinations[i] != b.Destinations[i] {
			return false
		}
	}
	return true
}
