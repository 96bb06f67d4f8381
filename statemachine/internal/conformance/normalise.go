package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The patterns below are the ones the corpus's snapshot tool used
// (shared/conformance/normalise.py); they are part of the corpus format.
var (
	// uuidPrefix matches a UUID at the start of a string (Python re.match).
	uuidPrefix = regexp.MustCompile(`^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}`)
	// iso8601 matches an ISO-8601 date-time that has a time zone.
	iso8601 = regexp.MustCompile(`(?:[1-9]\d{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)` +
		`|(?:[1-9]\d(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)-02-29)` +
		`T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-][01]\d:?([0-5]\d)?)`)
	iso8601Prefix = regexp.MustCompile(`^(?:` + iso8601.String() + `)`)
	// causeJSON finds JSON embedded in single quotes at the end of a cause
	// line, for example "... input '{"a":1}'".
	causeJSON = regexp.MustCompile(`^.*'(\{.*\})'`)
)

// Replacement is one substitution applied to the serialised snapshot: Re
// when set (New may use $1 group references), otherwise the literal Old.
type Replacement struct {
	Old string
	Re  *regexp.Regexp
	New string
}

func (r Replacement) apply(s string) string {
	if r.Re != nil {
		return r.Re.ReplaceAllString(s, r.New)
	}
	if r.Old == "" {
		return s
	}
	return strings.ReplaceAll(s, r.Old, r.New)
}

// Normalise turns a value shaped like an AWS API response (plain JSON values
// as encoding/json decodes them) into the corpus's snapshot form:
//
//   - dict values that are JSON object text are decoded, one level only;
//   - ResponseMetadata is reduced to its status code;
//   - values of keys containing "timestamp" become "timestamp" unless they
//     are ISO-8601 date-times with a zone;
//   - UUIDs under keys ending in "id" become <uuid:N> everywhere, and JSON
//     quoted at the end of a cause becomes <json-input:N>;
//   - repl is applied to the serialised text, in order;
//   - every ISO-8601 date-time with a zone becomes "date".
//
// v is not modified.
func Normalise(v any, repl []Replacement) (any, error) {
	v, err := clone(v)
	if err != nil {
		return nil, err
	}
	v = decodeJSONStrings(v)
	refs := &references{}
	v = normaliseWalk(v, refs)
	s, err := marshal(v)
	if err != nil {
		return nil, err
	}
	for _, r := range repl {
		s = r.apply(s)
	}
	out, err := replaceRefs(s, refs, false)
	if err != nil {
		// A reference value that is itself JSON structure (a cause quoting
		// the input '{}') breaks the text when replaced everywhere; replace
		// inside strings only, which is what the recording meant.
		out, err = replaceRefs(s, refs, true)
	}
	return out, err
}

func replaceRefs(s string, refs *references, stringsOnly bool) (any, error) {
	var pairs []string
	for _, kind := range refs.kinds {
		for _, val := range refs.values[kind] {
			q, err := marshal(val.value)
			if err != nil {
				return nil, err
			}
			if stringsOnly {
				if val.value != "" {
					pairs = append(pairs, val.value, val.placeholder)
				}
			} else if inner := q[1 : len(q)-1]; inner != "" {
				s = strings.ReplaceAll(s, inner, val.placeholder)
			}
		}
	}
	if !stringsOnly {
		s = iso8601.ReplaceAllLiteralString(s, "date")
	}
	out, err := decode([]byte(s))
	if err != nil {
		near := s
		var se *json.SyntaxError
		if errors.As(err, &se) {
			near = s[max(0, int(se.Offset)-80):min(len(s), int(se.Offset)+20)]
		}
		return nil, fmt.Errorf("conformance: normalised text is not JSON (a replacement broke it): %w near %q", err, near)
	}
	if stringsOnly {
		out = mapStrings(out, func(x string) string {
			for i := 0; i < len(pairs); i += 2 {
				x = strings.ReplaceAll(x, pairs[i], pairs[i+1])
			}
			return iso8601.ReplaceAllLiteralString(x, "date")
		})
	}
	return out, nil
}

// mapStrings applies f to every string in v, keys included.
func mapStrings(v any, f func(string) string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[f(k)] = mapStrings(x, f)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = mapStrings(x, f)
		}
		return t
	case string:
		return f(t)
	}
	return v
}

// NormaliseField normalises one field of a response the way the snapshot
// tool saw it: as the value of key in a dict. It returns the snapshot form
// of value (decoded when it is JSON object text).
func NormaliseField(key string, value any, repl []Replacement) (any, error) {
	n, err := Normalise(map[string]any{key: value}, repl)
	if err != nil {
		return nil, err
	}
	return n.(map[string]any)[key], nil
}

type refValue struct {
	value       string
	placeholder string
}

// references numbers values in order of first appearance, per kind.
type references struct {
	kinds  []string
	values map[string][]refValue
}

func (r *references) add(kind, value string) {
	if r.values == nil {
		r.values = map[string][]refValue{}
	}
	list, ok := r.values[kind]
	if !ok {
		r.kinds = append(r.kinds, kind)
	}
	for _, v := range list {
		if v.value == value {
			return
		}
	}
	r.values[kind] = append(list, refValue{value, fmt.Sprintf("<%s:%d>", kind, len(list)+1)})
}

// decodeJSONStrings replaces dict values that are JSON object text by the
// decoded object, without processing the decoded object again. Lists are
// descended into only for their dict items, as the snapshot tool does.
func decodeJSONStrings(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			switch x := t[k].(type) {
			case string:
				if strings.HasPrefix(x, "{") {
					if d, err := decode([]byte(x)); err == nil {
						t[k] = d
					}
				}
			case map[string]any, []any:
				t[k] = decodeJSONStrings(x)
			}
		}
	case []any:
		for i, x := range t {
			if m, ok := x.(map[string]any); ok {
				t[i] = decodeJSONStrings(m)
			}
		}
	}
	return v
}

func normaliseWalk(v any, refs *references) any {
	switch t := v.(type) {
	case map[string]any:
		if md, ok := t["ResponseMetadata"].(map[string]any); ok {
			code := md["HTTPStatusCode"]
			if code == nil {
				code = json.Number("200")
			}
			t["ResponseMetadata"] = map[string]any{"HTTPHeaders": map[string]any{}, "HTTPStatusCode": code}
		}
		for _, k := range sortedKeys(t) {
			val := t[k]
			if s, ok := val.(string); ok {
				if strings.HasSuffix(strings.ToLower(k), "id") && uuidPrefix.MatchString(s) {
					refs.add("uuid", s)
				}
				if k == "cause" {
					if m := causeJSON.FindStringSubmatch(s); m != nil {
						if _, err := decode([]byte(m[1])); err == nil {
							refs.add("json-input", m[1])
						}
					}
				}
			}
			if strings.Contains(strings.ToLower(k), "timestamp") && !iso8601Prefix.MatchString(pyStrScalar(val)) {
				t[k] = "timestamp"
				continue
			}
			t[k] = normaliseWalk(val, refs)
		}
	case []any:
		for i, x := range t {
			t[i] = normaliseWalk(x, refs)
		}
	}
	return v
}

// pyStrScalar is enough of Python's str() for the timestamp-key check: only
// strings can look like ISO date-times.
func pyStrScalar(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// marshal writes v as compact JSON without HTML escaping, so that literal
// replacements see the characters they name.
func marshal(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func clone(v any) (any, error) {
	s, err := marshal(v)
	if err != nil {
		return nil, fmt.Errorf("conformance: value is not JSON: %w", err)
	}
	return decode([]byte(s))
}

// placeholderRef matches a numbered reference placeholder such as <uuid:3>.
var placeholderRef = regexp.MustCompile(`<([A-Za-z_.-]+):(\d+)>`)

// Renumber rewrites numbered placeholders (<uuid:N>, <json-input:N>, ...)
// in order of first appearance in v's canonical serialisation, per kind.
// Applied to both sides of a comparison it makes the check "the same values
// are the same, different values are different" independent of how many
// references the recording test had made before.
func Renumber(v any) (any, error) {
	s, err := marshal(v)
	if err != nil {
		return nil, err
	}
	seen := map[string]map[string]int{}
	s = placeholderRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholderRef.FindStringSubmatch(m)
		kind, n := sub[1], sub[2]
		if seen[kind] == nil {
			seen[kind] = map[string]int{}
		}
		id, ok := seen[kind][n]
		if !ok {
			id = len(seen[kind]) + 1
			seen[kind][n] = id
		}
		return fmt.Sprintf("<%s:%d>", kind, id)
	})
	return decode([]byte(s))
}
