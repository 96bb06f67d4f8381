package conformance

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
)

// defaultLoose are masks every recording applied. The HTTP headers of the
// lambda:invoke envelope were masked by name; Content-Length counts bytes
// of a body that holds AWS's real function and machine names, so it cannot
// match with ours and is not compared.
var defaultLoose = []Loose{
	{Key: "requestId", Value: regexp.MustCompile(`^<(uuid:\d+|request-id)>$`)},
	{Key: "Date", Value: regexp.MustCompile(`^date$`)},
	{Key: "X-Amzn-Trace-Id", Value: regexp.MustCompile(`^X-Amzn-Trace-Id$`)},
	{Key: "x-amzn-RequestId", Value: regexp.MustCompile(`^x-amzn-RequestId$`)},
	{Key: "RequestId", Value: regexp.MustCompile(`^RequestId$`)},
	{Key: "Content-Length", Value: regexp.MustCompile(`^\d+$`)},
}

// redriveLaunch is the day AWS added execution redrive.
var redriveLaunch = time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC)

// mapRunExitChange is the first recording day on which a distributed Map's
// MapStateExited links to MapRunStarted, as every later recording does.
// Recordings up to 2024-06-19 link it to MapRunSucceeded instead.
var mapRunExitChange = time.Date(2024, 11, 18, 0, 0, 0, 0, time.UTC)

// comparer compares one case's engine results with its recorded ones.
type comparer struct {
	c    *Case
	repl []Replacement
	opts *Options
}

func newComparer(c *Case, repl []Replacement) *comparer {
	// A Lambda requestId is numbered only when the recording saw it under
	// an "…Id" key somewhere else; nested in JSON text it may be raw.
	opts := &Options{Loose: append([]Loose{}, defaultLoose...)}
	var extra []Replacement
	// Redrive (and $$.Execution.RedriveCount) launched on 2023-11-15; older
	// recordings cannot show the field today's AWS adds.
	if c.RecordedBefore(redriveLaunch) {
		opts.AllowExtra = map[string]bool{"RedriveCount": true}
	}
	for _, t := range c.SnapshotTransformers {
		kind, _ := t["kind"].(string)
		args, _ := t["args"].([]any)
		kwargs, _ := t["kwargs"].(map[string]any)
		switch kind {
		case "generic":
			opts.DecodeStrings = true
		case "key_value":
			// A key's value was replaced (optionally as a numbered reference).
			key, _ := arg(args, kwargs, 0, "key")
			repl, _ := arg(args, kwargs, 1, "value_replacement")
			ref, _ := kwargs["reference_replacement"].(bool)
			if key == "" || repl == "" {
				continue
			}
			value := "^" + regexp.QuoteMeta(repl) + "$"
			if ref {
				value = "^<" + regexp.QuoteMeta(repl) + `:\d+>$`
			}
			opts.Loose = append(opts.Loose, Loose{Key: key, Value: regexp.MustCompile(value)})
		case "regex":
			// Text matching a pattern was replaced in the serialised snapshot;
			// do the same to the engine's output.
			pattern, _ := arg(args, kwargs, 0, "regex")
			repl, _ := arg(args, kwargs, 1, "replacement")
			if re, err := regexp.Compile(pattern); err == nil && pattern != "" {
				extra = append(extra, Replacement{Re: re, New: strings.ReplaceAll(repl, "$", "$$")})
			}
		case "jsonpath":
			path, repl := "", ""
			if len(args) >= 2 {
				path, _ = args[0].(string)
				repl, _ = args[1].(string)
			} else {
				path, _ = kwargs["jsonpath"].(string)
				repl, _ = kwargs["replacement"].(string)
			}
			ref, _ := kwargs["replace_reference"].(bool)
			if path == "" || repl == "" {
				continue
			}
			key := path[strings.LastIndexByte(path, '.')+1:]
			value := "^" + regexp.QuoteMeta(repl) + "$"
			if ref {
				// A reference mask replaced the value wherever it occurred
				// (a LogResult also sits in an X-Amz-Log-Result header).
				key = "*"
				value = "^<" + regexp.QuoteMeta(repl) + `:\d+>$`
			}
			opts.Loose = append(opts.Loose, Loose{Key: key, Value: regexp.MustCompile(value)})
		}
	}
	return &comparer{c: c, repl: append(append([]Replacement{}, repl...), extra...), opts: opts}
}

// arg returns a transformer argument by position or keyword.
func arg(args []any, kwargs map[string]any, i int, name string) (string, bool) {
	if i < len(args) {
		s, ok := args[i].(string)
		return s, ok
	}
	s, ok := kwargs[name].(string)
	return s, ok
}

// requestIDInText matches a Lambda requestId inside JSON text, raw or in
// its masked forms. The recording numbered it only where the same id also
// appeared under an "…Id" key elsewhere in the test's snapshot, and one
// recording's mask swallowed a quote, so all forms are made equal before
// comparing.
var requestIDInText = regexp.MustCompile(`(\\"requestId\\":\s?)(?:\\"<uuid:\d+>\\"|<request-id>\\"|\\"<request-id>\\"|\\"[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}\\")`)

// canon applies the comparison-only equivalences to a snapshot-form value:
// both role-ARN masks, request-id masks, and reference numbering.
func canon(v any) (any, error) {
	s, err := marshal(v)
	if err != nil {
		return nil, err
	}
	s = strings.ReplaceAll(s, "sfn_role_arn", "snf_role_arn")
	s = requestIDInText.ReplaceAllString(s, `${1}\"<request-id>\"`)
	d, err := decode([]byte(s))
	if err != nil {
		return nil, err
	}
	return Renumber(d)
}

func (cm *comparer) expected(raw json.RawMessage) (any, error) {
	v, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: expected value is not JSON: %w", cm.c.File, err)
	}
	return canon(v)
}

func (cm *comparer) actual(v any) (any, error) {
	n, err := Normalise(v, cm.repl)
	if err != nil {
		return nil, err
	}
	return canon(n)
}

// field compares a top-level DescribeExecution field (output, cause).
func (cm *comparer) field(key string, raw json.RawMessage, got *string) *failure {
	want, err := cm.expected(raw)
	if err != nil {
		return failf("bad case", "%v", err)
	}
	if got == nil {
		return failf(key+": missing", "%s: want %s got none", key, Preview(want))
	}
	g, err := cm.actual(map[string]any{key: *got})
	if err != nil {
		return failf(key+": normalise", "%s: %v", key, err)
	}
	// Compare under the field's key so that masks on it (for example a
	// transformer on executionSucceededEventDetails.output) apply.
	if d := Compare(map[string]any{key: want}, map[string]any{key: g.(map[string]any)[key]}, cm.opts); d != nil {
		return failf(key+": differs", "%s", strings.TrimPrefix(d.String(), "."))
	}
	return nil
}

// history compares GetExecutionHistory with the recorded events.
func (cm *comparer) history(raw []json.RawMessage) *failure {
	wantV, err := cm.expected(cm.c.Expected.History)
	if err != nil {
		return failf("bad case", "%v", err)
	}
	want, _ := wantV.([]any)
	var relinked map[int]any
	if cm.c.RecordedBefore(mapRunExitChange) {
		relinked = relinkMapStateExited(want)
	}
	events := make([]any, 0, len(raw))
	for i, r := range raw {
		v, err := decode(r)
		if err != nil {
			return failf("history: event not JSON", "history event %d is not JSON: %v", i+1, err)
		}
		events = append(events, v)
	}
	gotV, err := cm.actual(events)
	if err != nil {
		return failf("history: normalise", "history: %v", err)
	}
	got, _ := gotV.([]any)
	if cm.c.HasNote("SfnNoneRecursiveParallelTransformer") {
		return cm.parallelHistory(want, got)
	}
	for i := 0; i < len(want) && i < len(got); i++ {
		w := want[i]
		if prev, ok := relinked[i]; ok {
			w = withPrevious(w, prev, got[i])
		}
		if f := cm.event(w, got[i]); f != nil {
			return f
		}
	}
	if len(got) < len(want) {
		w := want[len(got)].(map[string]any)
		return failf(fmt.Sprintf("history: missing %v", w["type"]),
			"history: %d events, want %d; first missing: id %v %v", len(got), len(want), w["id"], w["type"])
	}
	if len(got) > len(want) {
		g := got[len(want)].(map[string]any)
		return failf(fmt.Sprintf("history: extra %v", g["type"]),
			"history: %d events, want %d; first extra: id %v %v", len(got), len(want), g["id"], g["type"])
	}
	return nil
}

// relinkMapStateExited finds, in a recording made before
// mapRunExitChange, each MapStateExited that links to a MapRunSucceeded,
// and returns (by index) the previousEventId AWS gives it today: that run's
// MapRunStarted. Either link is accepted for such a recording.
func relinkMapStateExited(events []any) map[int]any {
	byID := make(map[string]map[string]any, len(events))
	for _, e := range events {
		if m, ok := e.(map[string]any); ok {
			byID[fmt.Sprint(m["id"])] = m
		}
	}
	relinked := map[int]any{}
	for i, e := range events {
		m, ok := e.(map[string]any)
		if !ok || m["type"] != eventtype.MapStateExited {
			continue
		}
		if prev := byID[fmt.Sprint(m["previousEventId"])]; prev != nil && prev["type"] == eventtype.MapRunSucceeded {
			relinked[i] = prev["previousEventId"]
		}
	}
	return relinked
}

// withPrevious returns want with previousEventId alt when got carries alt.
func withPrevious(want, alt, got any) any {
	wm, _ := want.(map[string]any)
	gm, _ := got.(map[string]any)
	if wm == nil || gm == nil || Compare(alt, gm["previousEventId"], nil) != nil {
		return want
	}
	c := make(map[string]any, len(wm))
	for k, v := range wm {
		c[k] = v
	}
	c["previousEventId"] = alt
	return c
}

// event compares one history event: type, ids, then details.
func (cm *comparer) event(w, g any) *failure {
	wm, _ := w.(map[string]any)
	gm, _ := g.(map[string]any)
	id := wm["id"]
	if wm["type"] != gm["type"] {
		return failf(fmt.Sprintf("history: type want %v got %v", wm["type"], gm["type"]),
			"history event %v: type want %v got %v", id, wm["type"], gm["type"])
	}
	typ := fmt.Sprint(wm["type"])
	if d := Compare(wm["id"], gm["id"], nil); d != nil {
		return failf("history: id "+typ, "history event %v %s: id got %v", id, typ, Preview(gm["id"]))
	}
	if d := Compare(wm["previousEventId"], gm["previousEventId"], nil); d != nil {
		return failf("history: previousEventId "+typ,
			"history event %v %s: previousEventId want %v got %v", id, typ, Preview(wm["previousEventId"]), Preview(gm["previousEventId"]))
	}
	if d := Compare(w, g, cm.opts); d != nil {
		return failf("history: "+typ+" "+stripIndexes(d.Path)+" "+diffKind(d),
			"history event %v %s: %s", id, typ, d)
	}
	return nil
}

var indexRe = regexp.MustCompile(`\[\d+\]`)

func stripIndexes(p string) string { return indexRe.ReplaceAllString(p, "[]") }

func diffKind(d *Diff) string {
	switch {
	case strings.HasPrefix(d.Msg, "missing"):
		return "missing"
	case strings.HasPrefix(d.Msg, "unexpected"):
		return "unexpected"
	case strings.HasPrefix(d.Msg, "length"):
		return "length"
	}
	return "differs"
}

// parallelHistory compares a history the recording normalised with
// SfnNoneRecursiveParallelTransformer: events with id [0] (branch events,
// sorted by the transformer) must each match a distinct engine event
// outside the kept ids; events with integer ids must match the engine's
// event of the same id; the engine's history must end at the last
// recorded id.
func (cm *comparer) parallelHistory(want, got []any) *failure {
	// Events with integer ids keep their place; the others (id [0]) are the
	// branch events the recording sorted, matched as a multiset against the
	// engine's events whose ids the recording did not keep.
	var ordered, unordered []any
	kept := map[string]bool{}
	lastID := ""
	for _, w := range want {
		wm := w.(map[string]any)
		if _, isList := wm["id"].([]any); isList {
			unordered = append(unordered, w)
			continue
		}
		ordered = append(ordered, w)
		lastID = fmt.Sprint(wm["id"])
		kept[lastID] = true
	}
	byID := map[string]any{}
	var pool []map[string]any
	for _, g := range got {
		gm := g.(map[string]any)
		id := fmt.Sprint(gm["id"])
		byID[id] = g
		if kept[id] {
			continue
		}
		c := map[string]any{}
		for k, v := range gm {
			c[k] = v
		}
		c["id"] = []any{json.Number("0")}
		c["previousEventId"] = json.Number("0")
		pool = append(pool, c)
	}
	taken := make([]bool, len(pool))
	for _, w := range unordered {
		found := false
		for i, p := range pool {
			if !taken[i] && Compare(w, p, cm.opts) == nil {
				taken[i], found = true, true
				break
			}
		}
		if !found {
			wm := w.(map[string]any)
			// Say what the closest candidate of the same type differs in.
			hint := "; the engine has no unmatched event of that type"
			for i, p := range pool {
				if !taken[i] && p["type"] == wm["type"] {
					hint = "; nearest: " + Compare(w, p, cm.opts).String()
					break
				}
			}
			return failf(fmt.Sprintf("history(parallel): unmatched %v", wm["type"]),
				"history (Parallel branch events, compared unordered): no engine event matches %v %s%s", wm["type"], Truncate(Preview(w), 160), hint)
		}
	}
	for _, w := range ordered {
		wm := w.(map[string]any)
		g, ok := byID[fmt.Sprint(wm["id"])]
		if !ok {
			return failf(fmt.Sprintf("history: missing %v", wm["type"]), "history: no event with id %v (%v)", wm["id"], wm["type"])
		}
		if f := cm.event(w, g); f != nil {
			return f
		}
	}
	if n := fmt.Sprint(len(got)); n != lastID {
		return failf("history(parallel): event count", "history: %s events, want %s (last recorded id)", n, lastID)
	}
	return nil
}

// describe compares a DescribeExecution/StartSyncExecution response on the
// fields the engine's Execution carries.
func (cm *comparer) describe(what string, raw json.RawMessage, got map[string]any) *failure {
	wantV, err := cm.expected(raw)
	if err != nil {
		return failf("bad case", "%v", err)
	}
	want, _ := wantV.(map[string]any)
	gotV, err := cm.actual(got)
	if err != nil {
		return failf(what+": normalise", "%s: %v", what, err)
	}
	g := gotV.(map[string]any)
	keys := sortedKeys(want)
	for _, k := range keys {
		switch k {
		case "ResponseMetadata", "billingDetails":
			continue
		}
		gv, ok := g[k]
		if !ok {
			return failf(what+": missing "+k, "%s.%s: missing, want %s", what, k, Preview(want[k]))
		}
		if d := Compare(want[k], gv, cm.opts); d != nil {
			return failf(what+": "+k+" differs", "%s.%s%s", what, k, d)
		}
	}
	return nil
}

// endEvent compares an express execution's last history event, rendered as
// the CloudWatch Logs event the recording captured.
func (cm *comparer) endEvent(execArn string, raw []json.RawMessage) *failure {
	want, err := cm.expected(cm.c.Expected.EndEvent)
	if err != nil {
		return failf("bad case", "%v", err)
	}
	if len(raw) == 0 {
		return failf("express end event: empty history", "express end event: the engine recorded no history")
	}
	last, err := decode(raw[len(raw)-1])
	if err != nil {
		return failf("express end event: not JSON", "express end event: %v", err)
	}
	lm, _ := last.(map[string]any)
	var details any = map[string]any{}
	var detailKeys []string
	for k := range lm {
		if strings.HasSuffix(k, "EventDetails") {
			detailKeys = append(detailKeys, k)
		}
	}
	sort.Strings(detailKeys)
	if len(detailKeys) > 0 {
		details = lm[detailKeys[0]]
	}
	ev := map[string]any{
		"details":           details,
		"event_timestamp":   "timestamp",
		"execution_arn":     execArn,
		"id":                fmt.Sprint(lm["id"]),
		"previous_event_id": fmt.Sprint(lm["previousEventId"]),
		"redrive_count":     "0",
		"type":              lm["type"],
	}
	g, err := cm.actual(ev)
	if err != nil {
		return failf("express end event: normalise", "express end event: %v", err)
	}
	if d := Compare(want, g, cm.opts); d != nil {
		return failf("express end event: "+stripIndexes(d.Path)+" "+diffKind(d), "express end event%s", d)
	}
	return nil
}
