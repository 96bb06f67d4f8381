package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

type tokenKind int

const (
	tokEnd tokenKind = iota
	tokOp
	tokName
	tokVar
	tokString
	tokNumber
	tokValue // true, false, null
	tokRegex
)

type token struct {
	kind  tokenKind
	s     string  // operator, name, variable name, string value, regex source
	num   float64 // number value
	val   any     // value tokens: bool or null
	flags string  // regex flags
	pos   int     // offset just after the token, as JSONata reports it
	start int
}

// id is the parser's symbol for the token.
func (t token) id() string {
	switch t.kind {
	case tokEnd:
		return "(end)"
	case tokOp:
		return t.s
	case tokName:
		return "(name)"
	case tokVar:
		return "(variable)"
	case tokRegex:
		return "(regex)"
	}
	return "(literal)"
}

var twoCharOps = []string{"..", ":=", "!=", ">=", "<=", "**", "~>"}

const singleCharOps = ".[]{}(),@#;:?+-*/%|=<>^&!~"

type lexer struct {
	src string
	pos int
	// prev is the last token; a '/' starts a regex unless it follows an
	// operand.
	prev *token
}

func (l *lexer) regexAllowed() bool {
	if l.prev == nil {
		return true
	}
	switch l.prev.kind {
	case tokName, tokVar, tokString, tokNumber, tokValue, tokRegex:
		return false
	case tokOp:
		switch l.prev.s {
		case ")", "]", "}":
			return false
		}
	}
	return true
}

func (l *lexer) next() (token, error) {
	t, err := l.scan()
	if err == nil {
		tt := t
		l.prev = &tt
	}
	return t, err
}

func (l *lexer) scan() (token, error) {
	src := l.src
	// Skip white space and comments.
	for l.pos < len(src) {
		c := src[l.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			l.pos++
			continue
		}
		if c == '/' && l.pos+1 < len(src) && src[l.pos+1] == '*' {
			end := strings.Index(src[l.pos+2:], "*/")
			if end < 0 {
				l.pos = len(src)
				return token{}, &Error{Code: "S0106", Position: l.pos, Message: "Comment has no closing tag"}
			}
			l.pos += 2 + end + 2
			continue
		}
		break
	}
	start := l.pos
	if l.pos >= len(src) {
		return token{kind: tokEnd, pos: l.pos, start: start}, nil
	}
	c := src[l.pos]
	if c == '/' && l.regexAllowed() {
		return l.scanRegex()
	}
	if l.pos+1 < len(src) {
		two := src[l.pos : l.pos+2]
		for _, op := range twoCharOps {
			if two == op {
				l.pos += 2
				return token{kind: tokOp, s: op, pos: l.pos, start: start}, nil
			}
		}
	}
	if strings.IndexByte(singleCharOps, c) >= 0 {
		l.pos++
		return token{kind: tokOp, s: string(c), pos: l.pos, start: start}, nil
	}
	if c == '"' || c == '\'' {
		return l.scanString(c)
	}
	if c >= '0' && c <= '9' {
		return l.scanNumber()
	}
	if c == '`' {
		end := strings.IndexByte(src[l.pos+1:], '`')
		if end < 0 {
			l.pos = len(src)
			return token{}, &Error{Code: "S0105", Position: l.pos, Message: "Quoted property name must be terminated with a backquote (`)"}
		}
		name := src[l.pos+1 : l.pos+1+end]
		l.pos += end + 2
		return token{kind: tokName, s: name, pos: l.pos, start: start}, nil
	}
	// A name or variable runs to the next white space or operator.
	i := l.pos
	for i < len(src) {
		ch := src[i]
		if ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f' || strings.IndexByte(singleCharOps, ch) >= 0 {
			break
		}
		i++
	}
	word := src[l.pos:i]
	l.pos = i
	if c == '$' {
		return token{kind: tokVar, s: word[1:], pos: l.pos, start: start}, nil
	}
	switch word {
	case "and", "or", "in":
		return token{kind: tokOp, s: word, pos: l.pos, start: start}, nil
	case "true":
		return token{kind: tokValue, val: true, pos: l.pos, start: start}, nil
	case "false":
		return token{kind: tokValue, val: false, pos: l.pos, start: start}, nil
	case "null":
		return token{kind: tokValue, val: null, pos: l.pos, start: start}, nil
	}
	return token{kind: tokName, s: word, pos: l.pos, start: start}, nil
}

func (l *lexer) scanString(quote byte) (token, error) {
	start := l.pos
	var b strings.Builder
	i := l.pos + 1
	src := l.src
	for i < len(src) {
		c := src[i]
		if c == quote {
			l.pos = i + 1
			return token{kind: tokString, s: b.String(), pos: l.pos, start: start}, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		i++
		if i >= len(src) {
			break
		}
		switch e := src[i]; e {
		case '"', '\\', '/', '\'':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, n, ok := hex4(src, i+1)
			if !ok {
				return token{}, &Error{Code: "S0104", Position: i, Message: "The escape sequence \\u must be followed by 4 hex digits"}
			}
			i += n
			if utf16.IsSurrogate(r) {
				// Try to pair a high surrogate with a following \uXXXX.
				if i+2 < len(src) && src[i+1] == '\\' && src[i+2] == 'u' {
					if r2, n2, ok2 := hex4(src, i+3); ok2 {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							b.WriteRune(d)
							i += 2 + n2
							break
						}
					}
				}
				// A lone surrogate: keep it as WTF-8 so that functions
				// can detect it (encodeUrl).
				b.WriteString(loneSurrogate(r))
				break
			}
			b.WriteRune(r)
		default:
			return token{}, &Error{Code: "S0103", Position: i, Token: string(e), Message: "Unsupported escape sequence: \\" + string(e)}
		}
		i++
	}
	l.pos = len(src)
	return token{}, &Error{Code: "S0101", Position: l.pos, Message: "String literal must be terminated by a matching quote"}
}

// loneSurrogate encodes an unpaired UTF-16 surrogate the way WTF-8 does.
func loneSurrogate(r rune) string {
	return string([]byte{0xED, byte(0xA0 | (r>>6)&0x1F), byte(0x80 | r&0x3F)})
}

func hex4(s string, i int) (rune, int, bool) {
	if i+4 > len(s) {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(s[i:i+4], 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), 4, true
}

func (l *lexer) scanNumber() (token, error) {
	src := l.src
	start := l.pos
	i := l.pos
	if src[i] == '0' {
		i++
	} else {
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
	}
	if i+1 < len(src) && src[i] == '.' && src[i+1] >= '0' && src[i+1] <= '9' {
		i++
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && src[j] >= '0' && src[j] <= '9' {
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			i = j
		}
	}
	text := src[start:i]
	l.pos = i
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return token{}, &Error{Code: "S0102", Position: l.pos, Token: text, Message: "Number out of range: " + text}
	}
	return token{kind: tokNumber, num: f, pos: l.pos, start: start}, nil
}

func (l *lexer) scanRegex() (token, error) {
	src := l.src
	start := l.pos
	i := l.pos + 1
	inClass := false
	for i < len(src) {
		c := src[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '[' {
			inClass = true
		} else if c == ']' {
			inClass = false
		} else if c == '/' && !inClass {
			pattern := src[start+1 : i]
			if pattern == "" {
				return token{}, &Error{Code: "S0301", Position: i, Message: "Empty regular expressions are not allowed"}
			}
			i++
			j := i
			for j < len(src) && strings.IndexByte("gimsuy", src[j]) >= 0 {
				j++
			}
			flags := src[i:j]
			l.pos = j
			return token{kind: tokRegex, s: pattern, flags: flags, pos: l.pos, start: start}, nil
		}
		i++
	}
	l.pos = len(src)
	return token{}, &Error{Code: "S0302", Position: l.pos, Message: "No terminating / in regular expression"}
}
