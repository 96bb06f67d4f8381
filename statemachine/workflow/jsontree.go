package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// node is a decoded JSON value that remembers where it was: its JSON
// pointer and the byte offset of its first character. Object members keep
// their order.
type node struct {
	ptr  string
	off  int
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	str  string
	num  json.Number
	bool bool
	keys []string
	obj  map[string]*node
	arr  []*node
}

func (n *node) get(k string) *node {
	if n == nil || n.kind != 'o' {
		return nil
	}
	return n.obj[k]
}

// parseTree decodes data into a node tree. A syntax error comes back with
// its byte offset.
func parseTree(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := readNode(dec, data, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &syntaxError{off: int(dec.InputOffset()), msg: "unexpected data after the top-level value"}
	}
	return n, nil
}

type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// tokenStart skips whitespace, ':' and ',' from off: where the next token
// begins.
func tokenStart(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

func readNode(dec *json.Decoder, data []byte, ptr string) (*node, error) {
	off := tokenStart(data, int(dec.InputOffset()))
	tok, err := dec.Token()
	if err != nil {
		return nil, toSyntax(err, off)
	}
	n := &node{ptr: ptr, off: off}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind, n.obj = 'o', map[string]*node{}
			for dec.More() {
				koff := tokenStart(data, int(dec.InputOffset()))
				kt, err := dec.Token()
				if err != nil {
					return nil, toSyntax(err, koff)
				}
				k, _ := kt.(string)
				if _, dup := n.obj[k]; dup {
					return nil, &syntaxError{off: koff, msg: fmt.Sprintf("duplicate key %q", k)}
				}
				child, err := readNode(dec, data, ptr+"/"+escape(k))
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.obj[k] = child
			}
		case '[':
			n.kind = 'a'
			for i := 0; dec.More(); i++ {
				child, err := readNode(dec, data, ptr+"/"+strconv.Itoa(i))
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, child)
			}
		default:
			return nil, &syntaxError{off: off, msg: fmt.Sprintf("unexpected %q", t)}
		}
		eoff := tokenStart(data, int(dec.InputOffset()))
		if _, err := dec.Token(); err != nil {
			return nil, toSyntax(err, eoff)
		}
	case string:
		n.kind, n.str = 's', t
	case json.Number:
		n.kind, n.num = 'n', t
	case bool:
		n.kind, n.bool = 'b', t
	case nil:
		n.kind = 'z'
	}
	return n, nil
}

func toSyntax(err error, off int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &syntaxError{off: int(se.Offset), msg: se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &syntaxError{off: off, msg: "unexpected end of JSON input (an unclosed object, array or string?)"}
	}
	return &syntaxError{off: off, msg: err.Error()}
}

// decodeFile parses a JSON file, recording a syntax error with its line and
// column; it returns nil when the file is not valid JSON.
func (p *problems) decodeFile(file string, data []byte) *node {
	n, err := parseTree(data)
	if err != nil {
		var se *syntaxError
		errors.As(err, &se)
		off := max(0, min(se.off, len(data)))
		p.addAt(file, "/", data, off, "malformed JSON: %s", se.msg)
		return nil
	}
	return n
}

// kindName names a node kind for messages.
func kindName(k byte) string {
	switch k {
	case 'o':
		return "an object"
	case 'a':
		return "an array"
	case 's':
		return "a string"
	case 'n':
		return "a number"
	case 'b':
		return "a boolean"
	}
	return "null"
}
