package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// object is a JSON object that remembers its key order, so diagnostics come
// out in document order as AWS reports them.
type object struct {
	keys []string
	m    map[string]any
	dups []string // keys that appeared more than once (the last value wins)
}

func (o *object) get(k string) (any, bool) {
	v, ok := o.m[k]
	return v, ok
}

func (o *object) has(k string) bool {
	_, ok := o.m[k]
	return ok
}

// syntaxError is a JSON syntax error with a byte offset.
type syntaxError struct {
	offset int64
	eof    bool
	msg    string
}

func (e *syntaxError) Error() string { return e.msg }

// positions records where each member and array item of a document starts,
// by RFC 6901 pointer ("" for the document itself), for [Report].
type positions struct {
	data []byte
	at   map[string]int
}

// mark records that the value at ptr starts at the first byte at or after
// off that is not blank or a separator: json.Decoder.InputOffset points
// just after the previous token.
func (p *positions) mark(ptr string, off int64) {
	if p == nil {
		return
	}
	i := int(off)
	for i < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[i]) >= 0 {
		i++
	}
	if _, seen := p.at[ptr]; !seen {
		p.at[ptr] = i
	}
}

// decode parses JSON text into *object, []any, string, json.Number, bool
// and nil values. When pos is not nil it records where values start.
func decode(data []byte, pos *positions) (any, error) {
	// encoding/json's scanner (json.Valid, Unmarshal) reports the most
	// precise offset of a syntax error: the offending byte is the one just
	// before it. Only pay for it when the text is not valid.
	if !json.Valid(data) {
		var probe any
		err := json.Unmarshal(data, &probe)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &syntaxError{offset: se.Offset, eof: se.Error() == "unexpected end of JSON input", msg: se.Error()}
		}
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	pos.mark("", 0)
	v, err := decodeValue(dec, "", pos)
	if err != nil {
		return nil, toSyntaxError(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &syntaxError{offset: dec.InputOffset(), msg: "trailing data after the JSON value"}
	}
	return v, nil
}

func toSyntaxError(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &syntaxError{offset: se.Offset, msg: se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &syntaxError{offset: dec.InputOffset(), eof: true, msg: "unexpected end of JSON input"}
	}
	return &syntaxError{offset: dec.InputOffset(), msg: err.Error()}
}

func decodeValue(dec *json.Decoder, ptr string, pos *positions) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{m: map[string]any{}}
			for dec.More() {
				keyOff := dec.InputOffset()
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				var child string
				if pos != nil {
					child = ptr + "/" + escapePointer(k)
					pos.mark(child, keyOff)
				}
				v, err := decodeValue(dec, child, pos)
				if err != nil {
					return nil, err
				}
				if _, dup := o.m[k]; dup {
					o.dups = append(o.dups, k)
				} else {
					o.keys = append(o.keys, k)
				}
				o.m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := []any{}
			for dec.More() {
				var child string
				if pos != nil {
					child = ptr + "/" + strconv.Itoa(len(a))
					pos.mark(child, dec.InputOffset())
				}
				v, err := decodeValue(dec, child, pos)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	}
	return tok, nil
}

// jacksonSyntax renders a syntax error the way AWS's JSON parser (Jackson)
// reports it: a message and a "[Source: ...; line: L, column: C]" location.
func jacksonSyntax(data []byte, se *syntaxError) Diagnostic {
	off := int(se.offset)
	if off > len(data) {
		off = len(data)
	}
	var msg string
	col := off
	i := off - 1
	if i < 0 {
		i = 0
	}
	literal := strings.Contains(se.msg, "in literal") || strings.Contains(se.msg, "looking for beginning of value")
	switch {
	case se.eof || i >= len(data):
		msg = "Unexpected end-of-input"
		col = len(data)
	case literal && (isWordByte(data[i]) || (i > 0 && isWordByte(data[i-1]))):
		// Go stops inside or just after a bad literal; Jackson names the
		// whole token and points just past it.
		if !isWordByte(data[i]) {
			i--
		}
		start, end := i, i
		for start > 0 && isWordByte(data[start-1]) {
			start--
		}
		for end < len(data) && isWordByte(data[end]) {
			end++
		}
		msg = fmt.Sprintf("Unrecognized token '%s': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", data[start:end])
		col = end
	default:
		r, _ := utf8.DecodeRune(data[i:])
		msg = fmt.Sprintf("Unexpected character ('%c' (code %d))", r, r)
		col = i + 1
	}
	line, c := lineCol(data, col)
	src := string(data)
	trunc := ""
	if utf8.RuneCountInString(src) > 500 {
		runes := []rune(src)
		trunc = fmt.Sprintf("[truncated %d chars]", len(runes)-500)
		src = string(runes[:500])
	}
	loc := fmt.Sprintf("[Source: (String)\"%s\"%s; line: %d, column: %d]", src, trunc, line, c)
	return Diagnostic{Severity: SeverityError, Code: CodeInvalidJSON, Message: msg + "\n at " + loc, Location: loc}
}

func isWordByte(b byte) bool {
	return b == '_' || b == '-' || b == '+' || b == '.' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

// lineCol converts a byte offset into a 1-based line and a column counted
// as Jackson does (the column of the character just after the offset).
func lineCol(data []byte, off int) (int, int) {
	line, col := 1, 1
	for i := 0; i < off && i < len(data); i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// syntaxReport describes a JSON syntax error for a person, once, with the
// line and column of the offending character (of the end of the text when
// it ends too early) and what is probably wrong.
func syntaxReport(data []byte, se *syntaxError) Diagnostic {
	d := Diagnostic{Severity: SeverityError, Code: CodeInvalidJSON}
	off := int(se.offset)
	if off > len(data) {
		off = len(data)
	}
	if se.eof {
		d.Line, d.Column = textPosition(data, len(data))
		d.Message = "unexpected end of JSON input" + unclosed(data)
		return d
	}
	// Go's offset is just past the offending byte.
	bad := off - 1
	if bad < 0 {
		bad = 0
	}
	d.Line, d.Column = textPosition(data, bad)
	d.Message = se.msg
	prev := bad - 1
	for prev >= 0 && strings.IndexByte(" \t\r\n", data[prev]) >= 0 {
		prev--
	}
	switch {
	case bad < len(data) && (data[bad] == '}' || data[bad] == ']') && prev >= 0 && data[prev] == ',':
		d.Message += "; remove the trailing comma before it"
	case strings.Contains(se.msg, "after object key:value pair") || strings.Contains(se.msg, "after array element"):
		d.Message += "; a comma is missing before it"
	case strings.HasSuffix(se.msg, "after object key"):
		d.Message += "; a colon is missing before it"
	case strings.Contains(se.msg, "looking for beginning of object key string") && bad < len(data) && data[bad] == '\'':
		d.Message += "; JSON strings use double quotes"
	}
	return d
}

// unclosed names the innermost string, object or array data leaves open.
func unclosed(data []byte) string {
	type open struct {
		b   byte
		off int
	}
	var stack []open
	inString, escaped, strStart := false, false, 0
	for i, b := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case inString && b == '"':
			inString = false
		case inString:
		case b == '"':
			inString, strStart = true, i
		case b == '{' || b == '[':
			stack = append(stack, open{b, i})
		case (b == '}' || b == ']') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	if inString {
		l, c := textPosition(data, strStart)
		return fmt.Sprintf("; the string that starts at %d:%d is not closed", l, c)
	}
	if len(stack) == 0 {
		return ""
	}
	top := stack[len(stack)-1]
	l, c := textPosition(data, top.off)
	if top.b == '{' {
		return fmt.Sprintf("; the object that starts at %d:%d is not closed (a '}' is missing)", l, c)
	}
	return fmt.Sprintf("; the array that starts at %d:%d is not closed (a ']' is missing)", l, c)
}

// textPosition converts a byte offset into a 1-based line and column, the
// column counted in characters.
func textPosition(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if data[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, utf8.RuneCount(data[start:off]) + 1
}
