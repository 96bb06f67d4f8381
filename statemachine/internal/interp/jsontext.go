package interp

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// JSONText is a JSON document carried by a history event (an input, an
// output, task parameters). The engine records the value and renders it to
// compact JSON text only when the event is read, which keeps the hot path
// free of encoding. Values recorded this way are never modified afterwards.
type JSONText struct {
	val    any
	text   string
	isText bool
}

// TextJSON wraps JSON text that already exists.
func TextJSON(s string) JSONText { return JSONText{text: s, isText: true} }

// lazyJSON wraps a value to be encoded on demand.
func lazyJSON(v any) JSONText { return JSONText{val: v} }

// String returns the document as compact JSON text.
func (j JSONText) String() string {
	if j.isText {
		return j.text
	}
	return Marshal(j.val)
}

// MarshalJSON writes the document as a JSON string, as AWS does.
func (j JSONText) MarshalJSON() ([]byte, error) {
	s := j.String()
	b := make([]byte, 0, len(s)+16)
	return appendJSONString(b, s), nil
}

// UnmarshalJSON reads the JSON string form.
func (j *JSONText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*j = TextJSON(s)
	return nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted, escaping only what JSON requires
// (no HTML escaping).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonSize returns the length of v's compact JSON encoding, stopping early
// once it exceeds limit. It allocates nothing for the common types.
func jsonSize(v any, limit int) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		if n > limit {
			return
		}
		switch v := v.(type) {
		case nil:
			n += 4
		case bool:
			if v {
				n += 4
			} else {
				n += 5
			}
		case float64:
			var buf [32]byte
			n += len(strconv.AppendFloat(buf[:0], v, 'g', -1, 64))
		case string:
			n += stringSize(v)
		case []any:
			n += 2
			for i, it := range v {
				if i > 0 {
					n++
				}
				walk(it)
			}
		case map[string]any:
			n += 2
			first := true
			for k, it := range v {
				if !first {
					n++
				}
				first = false
				n += stringSize(k) + 1
				walk(it)
			}
		default:
			n += len(Marshal(v))
		}
	}
	walk(v)
	return n
}

func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n += 2
		case c < 0x20:
			n += 6
		default:
			n++
		}
	}
	return n
}

// MaxPayload is the largest input or output a state or execution may
// have: 256 KiB, as in AWS.
const MaxPayload = 256 * 1024

// Marshal writes v as compact JSON without HTML escaping, as AWS does.
func Marshal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		b, _ := json.Marshal(v)
		if !needsUnescape(b) {
			return string(b)
		}
	case map[string]any:
		if len(v) == 0 {
			return "{}"
		}
	}
	var buf jsonBuf
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	b := buf.b
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b)
}

func needsUnescape(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\\' && b[i+1] == 'u' {
			return true
		}
	}
	return false
}

type jsonBuf struct{ b []byte }

func (j *jsonBuf) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }
