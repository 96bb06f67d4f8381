package conformance

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
)

// Diff is the first difference between an expected and an actual value.
type Diff struct {
	// Path is where the values differ, as a dotted path with [i] indexes
	// (for example ".taskFailedEventDetails.cause").
	Path string
	Want any
	Got  any
	// Msg describes structural differences ("missing key", "length 3, want
	// 4"); empty when Want and Got simply differ.
	Msg string
}

// String renders the difference on one line with values truncated.
func (d *Diff) String() string {
	path := d.Path
	if d.Msg != "" {
		return path + ": " + d.Msg
	}
	ws, wok := d.Want.(string)
	gs, gok := d.Got.(string)
	if wok && gok && (len(ws) > 100 || len(gs) > 100) {
		// Long strings: show where they start to differ.
		i := 0
		for i < len(ws) && i < len(gs) && ws[i] == gs[i] {
			i++
		}
		from := max(0, i-30)
		for from > 0 && from < len(ws) && ws[from]&0xC0 == 0x80 {
			from--
		}
		return fmt.Sprintf("%s: strings differ at byte %d: want …%s got …%s", path, i,
			Preview(ws[from:min(len(ws), i+60)]), Preview(gs[from:min(len(gs), i+60)]))
	}
	return fmt.Sprintf("%s: want %s got %s", path, Preview(d.Want), Preview(d.Got))
}

// Loose lists fields that the recording masked with a test-specific
// transformer: at a key named Key (or any key when Key is "*"), an expected
// string matching Value stands for any actual value.
type Loose struct {
	Key   string
	Value *regexp.Regexp
}

// Options tune [Compare].
type Options struct {
	// Loose fields accept any actual value where the expected one is masked.
	Loose []Loose
	// DecodeStrings accepts a JSON-text string on one side for the decoded
	// value on the other (a generic transformer in the recording did that).
	DecodeStrings bool
	// AllowExtra names keys the actual value may have although the
	// recorded one does not (fields AWS added after the recording).
	AllowExtra map[string]bool
}

// Compare reports the first difference between want and got, or nil. Both
// are plain JSON values; numbers compare numerically, and two strings that
// both hold JSON text compare as the values they encode (AWS's own
// whitespace in JSON text is not significant to us).
func Compare(want, got any, opts *Options) *Diff {
	if opts == nil {
		opts = &Options{}
	}
	return compareAt("", "", want, got, opts)
}

func compareAt(path, key string, want, got any, opts *Options) *Diff {
	if ws, ok := want.(string); ok {
		for _, l := range opts.Loose {
			if (l.Key == key || l.Key == "*") && l.Value.MatchString(ws) {
				return nil
			}
		}
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return decodedOrDiff(path, key, want, got, opts)
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		ordered := make([]string, 0, len(keys))
		for k := range keys {
			ordered = append(ordered, k)
		}
		sort.Strings(ordered)
		for _, k := range ordered {
			wv, inW := w[k]
			gv, inG := g[k]
			p := path + "." + k
			switch {
			case !inG:
				return &Diff{Path: p, Msg: "missing, want " + Preview(wv)}
			case !inW:
				if opts.AllowExtra[k] {
					continue
				}
				return &Diff{Path: p, Msg: "unexpected, got " + Preview(gv)}
			}
			if d := compareAt(p, k, wv, gv, opts); d != nil {
				return d
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok {
			return decodedOrDiff(path, key, want, got, opts)
		}
		for i := 0; i < len(w) && i < len(g); i++ {
			if d := compareAt(fmt.Sprintf("%s[%d]", path, i), key, w[i], g[i], opts); d != nil {
				return d
			}
		}
		if len(w) != len(g) {
			return &Diff{Path: path, Msg: fmt.Sprintf("length %d, want %d (want %s got %s)", len(g), len(w), Preview(want), Preview(got))}
		}
		return nil
	case json.Number:
		if g, ok := got.(json.Number); ok && numEqual(w, g) {
			return nil
		}
		return decodedOrDiff(path, key, want, got, opts)
	case string:
		if g, ok := got.(string); ok {
			if w == g {
				return nil
			}
			wv, werr := decodeText(w)
			gv, gerr := decodeText(g)
			if werr == nil && gerr == nil {
				if d := compareAt(path, key, wv, gv, opts); d == nil {
					return nil
				}
			}
			return &Diff{Path: path, Want: want, Got: got}
		}
		return decodedOrDiff(path, key, want, got, opts)
	default: // bool, nil
		if want == got {
			return nil
		}
		return decodedOrDiff(path, key, want, got, opts)
	}
}

// decodedOrDiff handles values of different JSON types: with DecodeStrings
// a JSON-text string may stand for the value it encodes.
func decodedOrDiff(path, key string, want, got any, opts *Options) *Diff {
	if opts.DecodeStrings {
		if s, ok := got.(string); ok {
			if v, err := decodeText(s); err == nil {
				if compareAt(path, key, want, v, opts) == nil {
					return nil
				}
			}
		}
		if s, ok := want.(string); ok {
			if v, err := decodeText(s); err == nil {
				if compareAt(path, key, v, got, opts) == nil {
					return nil
				}
			}
		}
	}
	return &Diff{Path: path, Want: want, Got: got}
}

// decodeText decodes s when it is JSON text of an object, array, string or
// number; other strings (including bare words like true) are not treated as
// JSON so that "true" and true stay different.
func decodeText(s string) (any, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, fmt.Errorf("empty")
	}
	switch c := t[0]; {
	case c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9'):
		return decode([]byte(t))
	}
	return nil, fmt.Errorf("not JSON text")
}

func numEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, ok1 := new(big.Float).SetPrec(200).SetString(string(a))
	y, ok2 := new(big.Float).SetPrec(200).SetString(string(b))
	return ok1 && ok2 && x.Cmp(y) == 0
}

// Preview renders v as compact JSON, truncated to about 100 characters.
func Preview(v any) string {
	s, err := marshal(v)
	if err != nil {
		s = fmt.Sprint(v)
	}
	return Truncate(s, 100)
}

// Truncate shortens s to at most n bytes plus an ellipsis and the length.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}
