package jsonpath

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type segKind int

const (
	segName     segKind = iota // ['a'] or ['a','b']
	segWildcard                // [*]
	segIndex                   // [0] or [0,2]
	segSlice                   // [1:3]
	segFilter                  // [?(...)]
	segScan                    // .. (applies to the following segment)
)

type segment struct {
	kind    segKind
	names   []string
	indexes []int
	from    int
	to      int
	hasFrom bool
	hasTo   bool
	filter  expr
	next    *segment // for segScan: the segment applied at every level
}

// definite mirrors Jayway's isTokenDefinite: a name list is definite only as
// the last step, where Jayway merges the names into one object.
func (s segment) definite(last bool) bool {
	switch s.kind {
	case segName:
		return len(s.names) == 1 || last
	case segIndex:
		return len(s.indexes) == 1
	}
	return false
}

func (s segment) writeCanonical(b *strings.Builder) {
	switch s.kind {
	case segName:
		b.WriteByte('[')
		for i, n := range s.names {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("'" + n + "'")
		}
		b.WriteByte(']')
	case segWildcard:
		b.WriteString("[*]")
	case segIndex:
		b.WriteByte('[')
		for i, n := range s.indexes {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(n))
		}
		b.WriteByte(']')
	case segSlice:
		b.WriteByte('[')
		if s.hasFrom {
			b.WriteString(strconv.Itoa(s.from))
		}
		b.WriteByte(':')
		if s.hasTo {
			b.WriteString(strconv.Itoa(s.to))
		}
		b.WriteByte(']')
	case segFilter:
		b.WriteString("[?]")
	case segScan:
		b.WriteString("..")
		s.next.writeCanonical(b)
	}
}

type parser struct {
	src   string
	pos   int
	depth int // nesting of filters and parentheses, bounded by maxDepth
}

// maxDepth bounds the nesting of filters and parentheses so that a hostile
// path cannot exhaust the stack.
const maxDepth = 100

func (p *parser) enter() *Error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail(p.pos, "filters are nested too deeply")
	}
	return nil
}

func (p *parser) fail(off int, msg string) *Error {
	return &Error{Path: p.src, Offset: off, Reason: msg, kind: kindSyntax}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *parser) parsePath() (*Path, error) {
	path := &Path{src: p.src}
	if p.src == "" {
		return nil, p.fail(0, "path must not be empty")
	}
	if p.src[0] != '$' {
		return nil, p.fail(0, "path must start with '$'")
	}
	p.pos = 1
	switch {
	case p.peek() == '$':
		path.root = RootContext
		p.pos++
	case !p.eof() && p.peek() != '.' && p.peek() != '[':
		start := p.pos
		for p.pos < len(p.src) {
			r, n := utf8.DecodeRuneInString(p.src[p.pos:])
			if r == '_' || unicode.IsLetter(r) || (p.pos > start && unicode.IsDigit(r)) {
				p.pos += n
				continue
			}
			break
		}
		if p.pos == start {
			return nil, p.fail(p.pos, "invalid character after '$'")
		}
		path.root = RootVariable
		path.variable = p.src[start:p.pos]
	}
	segs, fn, err := p.parseSegments(false)
	if err != nil {
		return nil, err
	}
	path.segs, path.fn = segs, fn
	return path, nil
}

// parseSegments reads path steps until the end of the input or, inside a
// filter, until a character that cannot continue a path.
func (p *parser) parseSegments(inFilter bool) ([]segment, string, error) {
	var segs []segment
	for !p.eof() {
		c := p.peek()
		switch c {
		case '.':
			start := p.pos
			p.pos++
			if p.peek() == '.' {
				p.pos++
				if p.eof() {
					return nil, "", p.fail(start, "path must not end with a '.' or '..'")
				}
				var next segment
				var err error
				if p.peek() == '[' {
					next, err = p.parseBracket()
				} else {
					var fn string
					next, fn, err = p.parseDotName()
					if err == nil && fn != "" {
						return nil, "", p.fail(start, "functions cannot follow a deep scan")
					}
				}
				if err != nil {
					return nil, "", err
				}
				segs = append(segs, segment{kind: segScan, next: &next})
				continue
			}
			if p.eof() {
				return nil, "", p.fail(start, "path must not end with a '.' or '..'")
			}
			if p.peek() == '[' {
				// Jayway accepts "$.['a']"; treat it as "$['a']".
				continue
			}
			s, fn, err := p.parseDotName()
			if err != nil {
				return nil, "", err
			}
			if fn != "" {
				if !p.eof() && !inFilter {
					return nil, "", p.fail(p.pos, "a function must be the last step of a path")
				}
				return segs, fn, nil
			}
			segs = append(segs, s)
		case '[':
			s, err := p.parseBracket()
			if err != nil {
				return nil, "", err
			}
			segs = append(segs, s)
		default:
			if inFilter {
				return segs, "", nil
			}
			return nil, "", p.fail(p.pos, "unexpected character '"+string(rune(c))+"'")
		}
	}
	return segs, "", nil
}

// parseDotName reads the name after a '.': a property, '*', or a function
// call "name()".
// functions are the argument-free Jayway path functions; a function must be
// the last step of a path.
var functions = map[string]bool{
	"length": true, "size": true, "min": true, "max": true, "avg": true,
	"stddev": true, "sum": true, "keys": true, "first": true, "last": true,
}

func (p *parser) parseDotName() (segment, string, error) {
	start := p.pos
	if p.peek() == '*' {
		p.pos++
		return segment{kind: segWildcard}, "", nil
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '.' || c == '[' || c == ' ' || c == '(' || c == ')' || c == '=' || c == '<' || c == '>' || c == '!' || c == '&' || c == '|' || c == ',' || c == ']' {
			break
		}
		p.pos++
	}
	name := p.src[start:p.pos]
	if name == "" {
		return segment{}, "", p.fail(start, "expected a property name")
	}
	if p.peek() == '(' {
		if !strings.HasPrefix(p.src[p.pos:], "()") {
			return segment{}, "", p.fail(p.pos, "functions take no arguments")
		}
		if !functions[name] {
			return segment{}, "", p.fail(start, "unknown function '"+name+"'")
		}
		p.pos += 2
		return segment{}, name, nil
	}
	return segment{kind: segName, names: []string{name}}, "", nil
}

func (p *parser) parseBracket() (segment, error) {
	open := p.pos
	p.pos++ // '['
	p.skipSpace()
	if p.eof() {
		return segment{}, p.fail(open, "unclosed '['")
	}
	switch c := p.peek(); {
	case c == '\'' || c == '"':
		return p.parseBracketNames(open)
	case c == '*':
		p.pos++
		p.skipSpace()
		if p.peek() != ']' {
			return segment{}, p.fail(p.pos, "expected ']' after '*'")
		}
		p.pos++
		return segment{kind: segWildcard}, nil
	case c == '?':
		if err := p.enter(); err != nil {
			return segment{}, err
		}
		defer func() { p.depth-- }()
		p.pos++
		p.skipSpace()
		if p.peek() != '(' {
			return segment{}, p.fail(p.pos, "expected '(' after '?'")
		}
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return segment{}, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return segment{}, p.fail(p.pos, "expected ')' to close the filter")
		}
		p.pos++
		p.skipSpace()
		if p.peek() != ']' {
			return segment{}, p.fail(p.pos, "expected ']' to close the filter")
		}
		p.pos++
		return segment{kind: segFilter, filter: e}, nil
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		return p.parseBracketNumbers(open)
	}
	return segment{}, p.fail(p.pos, "unexpected character in brackets")
}

// parseBracketNames reads ['a'] or ['a','b']. As in the JsonPath version AWS
// runs, a backslash only stops the next character from closing the name; it
// stays in the name ($['a\'b'] names the key a\'b).
func (p *parser) parseBracketNames(open int) (segment, error) {
	var names []string
	for {
		p.skipSpace()
		q := p.peek()
		if q != '\'' && q != '"' {
			return segment{}, p.fail(p.pos, "expected a quoted property name")
		}
		p.pos++
		start := p.pos
		esc := false
		for {
			if p.eof() {
				return segment{}, p.fail(open, "unclosed property name")
			}
			c := p.src[p.pos]
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == q {
				break
			}
			p.pos++
		}
		names = append(names, p.src[start:p.pos])
		p.pos++
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case ']':
			p.pos++
			return segment{kind: segName, names: names}, nil
		}
		return segment{}, p.fail(p.pos, "property must be separated by comma or terminated by ']'")
	}
}

func (p *parser) parseBracketNumbers(open int) (segment, error) {
	end := strings.IndexByte(p.src[p.pos:], ']')
	if end < 0 {
		return segment{}, p.fail(open, "unclosed '['")
	}
	body := p.src[p.pos : p.pos+end]
	bodyStart := p.pos
	p.pos += end + 1
	if strings.Contains(body, ":") {
		parts := strings.Split(body, ":")
		if len(parts) > 3 {
			return segment{}, p.fail(bodyStart, "failed to parse slice operation: "+body)
		}
		s := segment{kind: segSlice}
		var err error
		if t := strings.TrimSpace(parts[0]); t != "" {
			if s.from, err = strconv.Atoi(t); err != nil {
				return segment{}, p.fail(bodyStart, "failed to parse slice operation: "+body)
			}
			s.hasFrom = true
		}
		if t := strings.TrimSpace(parts[1]); t != "" {
			if s.to, err = strconv.Atoi(t); err != nil {
				return segment{}, p.fail(bodyStart, "failed to parse slice operation: "+body)
			}
			s.hasTo = true
		}
		if len(parts) == 3 {
			// Jayway parses and ignores a step; so do we, but only step 1
			// means what it says, so anything else is rejected.
			if t := strings.TrimSpace(parts[2]); t != "" && t != "1" {
				return segment{}, p.fail(bodyStart, "slice steps other than 1 are not supported: "+body)
			}
		}
		if !s.hasFrom && !s.hasTo {
			return segment{}, p.fail(bodyStart, "failed to parse slice operation: "+body)
		}
		return s, nil
	}
	var idx []int
	for _, part := range strings.Split(body, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return segment{}, p.fail(bodyStart, "failed to parse array index: "+body)
		}
		idx = append(idx, n)
	}
	return segment{kind: segIndex, indexes: idx}, nil
}
