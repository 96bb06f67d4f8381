package jsonata

import (
	"regexp"
	"strings"
)

// signature is a parsed function signature such as "<s-n?:s>". Arguments
// are matched by a regular expression over one letter per argument type,
// as the JSONata documentation describes.
type signature struct {
	src    string
	params []sigParam
	re     *regexp.Regexp
}

type sigParam struct {
	regex   string
	typ     byte
	subtype string
	context bool
	ctxRe   *regexp.Regexp
}

var transformSig = mustSignature("<(oa):o>")

func mustSignature(s string) *signature {
	sig, err := parseSignature(s)
	if err != nil {
		panic(s + ": " + err.Error())
	}
	return sig
}

func parseSignature(s string) (*signature, *Error) {
	sig := &signature{src: s}
	params := []sigParam{}
	prev := func() *sigParam {
		if len(params) == 0 {
			return nil
		}
		return &params[len(params)-1]
	}
	i := 1
loop:
	for i < len(s) {
		c := s[i]
		switch c {
		case ':':
			break loop
		case 's', 'n', 'b', 'l', 'o':
			params = append(params, sigParam{regex: "[" + string(c) + "m]", typ: c})
		case 'a':
			params = append(params, sigParam{regex: "[asnblfom]", typ: 'a'})
		case 'f':
			params = append(params, sigParam{regex: "f", typ: 'f'})
		case 'j':
			params = append(params, sigParam{regex: "[asnblom]", typ: 'j'})
		case 'x':
			params = append(params, sigParam{regex: "[asnblfom]", typ: 'x'})
		case '-':
			p := prev()
			if p == nil {
				return nil, &Error{Code: "S0401", Value: s, Message: "Type parameter can only be applied to functions and arrays"}
			}
			p.context = true
			re, err := regexp.Compile("^" + p.regex + "$")
			if err != nil {
				return nil, &Error{Code: "S0401", Value: s, Message: "Bad signature: " + err.Error()}
			}
			p.ctxRe = re
			p.regex += "?"
		case '?', '+':
			p := prev()
			if p == nil {
				return nil, &Error{Code: "S0401", Value: s, Message: "Bad signature"}
			}
			p.regex += string(c)
		case '(':
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				return nil, &Error{Code: "S0402", Value: s, Message: "Choice groups containing parameterized types are not supported"}
			}
			choice := s[i+1 : i+end]
			if strings.ContainsAny(choice, "<") {
				return nil, &Error{Code: "S0402", Value: s, Message: "Choice groups containing parameterized types are not supported"}
			}
			params = append(params, sigParam{regex: "[" + choice + "m]", typ: '('})
			i += end
		case '<':
			p := prev()
			if p == nil || (p.typ != 'a' && p.typ != 'f') {
				return nil, &Error{Code: "S0401", Value: s, Message: "Type parameter can only be applied to functions and arrays"}
			}
			depth := 1
			j := i + 1
			for ; j < len(s) && depth > 0; j++ {
				if s[j] == '<' {
					depth++
				} else if s[j] == '>' {
					depth--
				}
			}
			p.subtype = s[i+1 : j-1]
			i = j - 1
		case '>':
			break loop
		}
		i++
	}
	var b strings.Builder
	b.WriteString("^")
	for _, p := range params {
		b.WriteString("(" + p.regex + ")")
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, &Error{Code: "S0401", Value: s, Message: "Bad signature: " + err.Error()}
	}
	sig.params = params
	sig.re = re
	return sig, nil
}

func typeSymbol(v any) byte {
	switch v.(type) {
	case nil:
		return 'm'
	case *function, *regex:
		return 'f'
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case nullType:
		return 'l'
	case *array:
		return 'a'
	}
	return 'o'
}

var arrayTypeNames = map[string]string{"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}

func (sig *signature) validate(args []any, context any) ([]any, error) {
	syms := make([]byte, len(args))
	for i, a := range args {
		syms[i] = typeSymbol(a)
	}
	m := sig.re.FindStringSubmatch(string(syms))
	if m == nil {
		return nil, sig.failure(args, string(syms))
	}
	out := make([]any, 0, len(sig.params))
	ai := 0
	for pi, p := range sig.params {
		match := m[pi+1]
		if match == "" {
			if p.context && p.ctxRe != nil {
				cs := string(typeSymbol(context))
				if p.ctxRe.MatchString(cs) {
					out = append(out, context)
				} else {
					return nil, &Error{Code: "T0411", Value: context, Message: "Context value is not a compatible type with argument " + itoa(ai+1) + " of function {{token}}"}
				}
			} else {
				if ai < len(args) {
					out = append(out, args[ai])
				} else {
					out = append(out, nil)
				}
				ai++
			}
			continue
		}
		for _, single := range []byte(match) {
			arg := args[ai]
			if p.typ == 'a' {
				if single == 'm' {
					arg = nil
				} else {
					ok := true
					if p.subtype != "" {
						if single != 'a' && match != p.subtype {
							ok = false
						} else if single == 'a' {
							items := arg.(*array).items
							if len(items) > 0 {
								it := typeSymbol(items[0])
								if it != p.subtype[0] {
									ok = false
								} else {
									for _, x := range items {
										if typeSymbol(x) != it {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						return nil, &Error{Code: "T0412", Value: arg, Message: "Argument " + itoa(ai+1) + " of function {{token}} must be an array of \"" + arrayTypeNames[p.subtype] + "\""}
					}
					if single != 'a' {
						arg = &array{items: []any{arg}}
					}
				}
			}
			out = append(out, arg)
			ai++
		}
	}
	return out, nil
}

func (sig *signature) failure(args []any, syms string) error {
	partial := "^"
	goodTo := 0
	for _, p := range sig.params {
		partial += p.regex
		re := regexp.MustCompile(partial)
		loc := re.FindStringIndex(syms)
		if loc == nil {
			break
		}
		goodTo = loc[1]
	}
	var v any
	if goodTo < len(args) {
		v = args[goodTo]
	}
	return &Error{Code: "T0410", Value: v, Message: "Argument " + itoa(goodTo+1) + " of function {{token}} does not match function signature"}
}
