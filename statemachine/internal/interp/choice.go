// Choice rules in JSONPath: comparison operators, type tests and wildcards.

package interp

import (
	"strings"
)

// evalRule evaluates a Choice rule.
func (r *runner) evalRule(st *step, c *choiceRule, input any) (bool, *failure) {
	switch c.op {
	case "And":
		for _, sub := range c.and {
			ok, f := r.evalRule(st, sub, input)
			if f != nil || !ok {
				return false, f
			}
		}
		return true, nil
	case "Or":
		for _, sub := range c.or {
			ok, f := r.evalRule(st, sub, input)
			if f != nil {
				return false, f
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	case "Not":
		ok, f := r.evalRule(st, c.not, input)
		return !ok, f
	}
	var v any
	present := true
	if c.variable != nil {
		var err error
		v, err = r.resolve(st, c.variable, input)
		if err != nil {
			if c.op == "IsPresent" {
				present = false
			} else {
				return false, r.runtimeErr(st, "Invalid path '%s': The choice state's condition path references an invalid value.", c.variable)
			}
		}
	}
	if c.op == "IsPresent" {
		b, _ := c.val.(bool)
		return present == b, nil
	}
	want := c.val
	op := c.op
	if c.valPath != nil {
		w, err := r.resolve(st, c.valPath, input)
		if err != nil {
			return false, r.runtimeErr(st, "Invalid path '%s': The choice state's condition path references an invalid value.", c.valPath)
		}
		want = w
		op = strings.TrimSuffix(op, "Path")
	}
	return compareChoice(op, v, want), nil
}

func compareChoice(op string, v, want any) bool {
	switch op {
	case "IsNull":
		b, _ := want.(bool)
		return (v == nil) == b
	case "IsNumeric":
		b, _ := want.(bool)
		_, ok := v.(float64)
		return ok == b
	case "IsString":
		b, _ := want.(bool)
		_, ok := v.(string)
		return ok == b
	case "IsBoolean":
		b, _ := want.(bool)
		_, ok := v.(bool)
		return ok == b
	case "IsTimestamp":
		b, _ := want.(bool)
		s, ok := v.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == b
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := want.(bool)
		return ok1 && ok2 && a == b
	case "StringMatches":
		a, ok1 := v.(string)
		p, ok2 := want.(string)
		return ok1 && ok2 && wildcardMatch(p, a)
	}
	if strings.HasPrefix(op, "String") {
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false
		}
		return cmpOp(strings.TrimPrefix(op, "String"), strings.Compare(a, b))
	}
	if strings.HasPrefix(op, "Numeric") {
		a, ok1 := v.(float64)
		b, ok2 := want.(float64)
		if !ok1 || !ok2 {
			return false
		}
		c := 0
		if a < b {
			c = -1
		} else if a > b {
			c = 1
		}
		return cmpOp(strings.TrimPrefix(op, "Numeric"), c)
	}
	if strings.HasPrefix(op, "Timestamp") {
		as, ok1 := v.(string)
		bs, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false
		}
		a, err1 := parseTimestamp(as)
		b, err2 := parseTimestamp(bs)
		if err1 != nil || err2 != nil {
			return false
		}
		return cmpOp(strings.TrimPrefix(op, "Timestamp"), a.Compare(b))
	}
	return false
}

func cmpOp(op string, c int) bool {
	switch op {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// wildcardMatch implements StringMatches: "*" matches any run of
// characters; "\*" and "\\" are escapes.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		star bool
		c    rune
	}
	var toks []tok
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) {
			i++
			toks = append(toks, tok{c: rs[i]})
		} else if rs[i] == '*' {
			toks = append(toks, tok{star: true})
		} else {
			toks = append(toks, tok{c: rs[i]})
		}
	}
	str := []rune(s)
	var match func(ti, si int) bool
	match = func(ti, si int) bool {
		for ti < len(toks) {
			if toks[ti].star {
				for k := si; k <= len(str); k++ {
					if match(ti+1, k) {
						return true
					}
				}
				return false
			}
			if si >= len(str) || str[si] != toks[ti].c {
				return false
			}
			ti++
			si++
		}
		return si == len(str)
	}
	return match(0, 0)
}

// ---- Task ----
