package validate

import (
	"encoding/json"
	"fmt"
	"strings"
)

// comparators maps every JSONPath Choice comparison operator to the JSON type
// its literal operand must have ("path" for the *Path forms).
var comparators = func() map[string]string {
	m := map[string]string{"StringMatches": "string"}
	for _, op := range []string{"Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"} {
		m["String"+op] = "string"
		m["Numeric"+op] = "number"
		m["Timestamp"+op] = "timestamp"
		m["String"+op+"Path"] = "path"
		m["Numeric"+op+"Path"] = "path"
		m["Timestamp"+op+"Path"] = "path"
	}
	m["BooleanEquals"] = "boolean"
	m["BooleanEqualsPath"] = "path"
	for _, op := range []string{"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"} {
		m[op] = "boolean"
	}
	return m
}()

func (c *checker) checkChoice(st *object, ptr, ql string) {
	v, ok := st.get("Choices")
	if !ok {
		c.schema(ptr, "These fields are required: [Choices]")
		return
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		c.schema(ptr+"/Choices", "The value for the field 'Choices' must be a non-empty array")
		return
	}
	if dv, ok := st.get("Default"); ok {
		if s, ok := dv.(string); !ok || s == "" {
			c.schema(ptr+"/Default", "The value for the field 'Default' must be a non-empty string")
		}
	}
	for i, r := range list {
		loc := c.index(ptr+"/Choices", i)
		o, ok := r.(*object)
		if !ok {
			c.schema(loc, "A choice rule must be a JSON object")
			continue
		}
		if s, ok := o.m["Next"].(string); !ok || s == "" {
			c.schema(loc, "These fields are required: [Next]")
		}
		if ql == qlJSONata {
			c.unknownFields(o, loc, set("Condition", "Next", "Comment", "Assign", "Output"))
			cv, ok := o.get("Condition")
			if !ok {
				c.schema(loc, "These fields are required: [Condition]")
			} else if s, isStr := cv.(string); isStr {
				c.jsonataString(s, loc+"/Condition")
			} else if _, isBool := cv.(bool); !isBool {
				c.schema(loc+"/Condition", "The value for the field 'Condition' must be a JSONata expression or a boolean")
			}
			for _, f := range []string{"Assign", "Output"} {
				if fv, ok := o.get(f); ok {
					c.jsonataValue(fv, loc+"/"+f)
				}
			}
			continue
		}
		c.choiceRule(o, loc, true)
		if av, ok := o.get("Assign"); ok {
			c.payloadTemplate(av, loc+"/Assign", "Assign")
		}
	}
}

// choiceRule checks a JSONPath rule; top is set for the rules directly in
// Choices, which carry Next (and may carry Assign).
func (c *checker) choiceRule(o *object, loc string, top bool) {
	var ops []string
	misspelt := false // a report explained a misspelt operator
	for _, k := range o.keys {
		switch {
		case k == "Variable" || k == "Comment":
		case k == "And" || k == "Or" || k == "Not":
			ops = append(ops, k)
		case comparators[k] != "":
			ops = append(ops, k)
		case top && (k == "Next" || k == "Assign"):
		case k == "Condition" || k == "Output":
			c.schema(c.fieldLoc(loc, k), "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported for the 'JSONata' QueryLanguage", k)
		case c.report && c.misspeltOperator(o, k, loc):
			misspelt = true
		default:
			allowed := set("Variable", "Comment", "And", "Or", "Not")
			if top {
				allowed["Next"], allowed["Assign"] = true, true
			}
			for op := range comparators {
				allowed[op] = true
			}
			c.unsupported(loc, k, allowed)
		}
	}
	if len(ops) == 0 && misspelt {
		return // the misspelt operator was the rule's operator
	}
	if len(ops) != 1 {
		if len(ops) == 0 {
			c.schema(loc, "A choice rule must have exactly one comparison operator or one of [And, Or, Not]")
		} else {
			c.schema(loc, "A choice rule must have exactly one comparison operator or one of [And, Or, Not], found [%s]", strings.Join(ops, ", "))
		}
		return
	}
	op := ops[0]
	val := o.m[op]
	switch op {
	case "And", "Or":
		if o.has("Variable") {
			c.schema(c.fieldLoc(loc, "Variable"), "Field 'Variable' is not supported")
		}
		list, ok := val.([]any)
		if !ok || len(list) == 0 {
			c.schema(loc+"/"+op, "The value for the field '%s' must be a non-empty array of choice rules", op)
			return
		}
		for i, r := range list {
			rl := c.index(loc+"/"+op, i)
			ro, ok := r.(*object)
			if !ok {
				c.schema(rl, "A choice rule must be a JSON object")
				continue
			}
			c.choiceRule(ro, rl, false)
		}
		return
	case "Not":
		if o.has("Variable") {
			c.schema(c.fieldLoc(loc, "Variable"), "Field 'Variable' is not supported")
		}
		ro, ok := val.(*object)
		if !ok {
			c.schema(loc+"/Not", "The value for the field 'Not' must be a choice rule")
			return
		}
		c.choiceRule(ro, loc+"/Not", false)
		return
	}
	vv, ok := o.get("Variable")
	if !ok {
		c.schema(loc, "These fields are required: [Variable]")
	} else {
		c.variablePath(vv, loc+"/Variable", "Variable")
	}
	if c.report && comparators[op] != "path" {
		if msg := operandProblem(op, val); msg != "" {
			c.schema(loc+"/"+op, "%s", msg)
		}
		return
	}
	switch want := comparators[op]; want {
	case "path":
		c.variablePath(val, loc+"/"+op, op)
	case "string":
		if _, ok := val.(string); !ok {
			c.schema(loc+"/"+op, "The value for the field '%s' must be a string", op)
		}
	case "timestamp":
		if s, ok := val.(string); !ok || !validTimestamp(s) {
			c.schema(loc+"/"+op, "The value for the field '%s' must be an RFC3339 timestamp string", op)
		}
	case "number":
		if _, ok := numValue(val); !ok {
			c.schema(loc+"/"+op, "The value for the field '%s' must be a number", op)
		}
	case "boolean":
		if _, ok := val.(bool); !ok {
			c.schema(loc+"/"+op, "The value for the field '%s' must be a boolean", op)
		}
	}
}

// variablePath checks a Choice path operand: a JSONPath over the input, the
// context object or a variable.
func (c *checker) variablePath(v any, loc, field string) {
	c.pathField(v, loc, field, false)
}

// misspeltOperator reports field k of a Choice rule when it is close to a
// comparison operator, with the operand check of that operator: for
// {"NumberEquals": "5"} the operand is wrong for NumericEquals too, and
// saying so helps more than "did you mean NumericEquals?".
func (c *checker) misspeltOperator(o *object, k, loc string) bool {
	op := suggest(k, keys(choiceOperators))
	if op == "" || op == "And" || op == "Or" || op == "Not" {
		return false
	}
	at := c.key(loc, k)
	if comparators[op] != "path" {
		if msg := operandProblem(op, o.m[k]); msg != "" {
			c.schema(at, "%s ('%s' is not a Choice operator; did you mean '%s'?)", msg, k, op)
			return true
		}
	}
	c.schema(at, "Field '%s' is not supported; did you mean '%s'?", k, op)
	return true
}

var choiceOperators = func() map[string]bool {
	m := set("And", "Or", "Not")
	for op := range comparators {
		m[op] = true
	}
	return m
}()

// operandProblem says what is wrong with v as the operand of comparison
// operator op (not a *Path one), and which operator would take v; "" when
// v is fine.
func operandProblem(op string, v any) string {
	want := comparators[op]
	s, isString := v.(string)
	_, isBool := v.(bool)
	_, isNumber := numValue(v)
	// The same comparison on another type: NumericEquals → StringEquals.
	kind, rel := "", op
	for _, k := range []string{"String", "Numeric", "Timestamp", "Boolean"} {
		if strings.HasPrefix(op, k) {
			kind, rel = k, strings.TrimPrefix(op, k)
		}
	}
	other := func(k, what string) string {
		if _, ok := comparators[k+rel]; ok && kind != "" {
			return fmt.Sprintf("; use %s%s to compare %s", k, rel, what)
		}
		return ""
	}
	pathHint := func() string {
		if isString && strings.HasPrefix(s, "$") && kind != "" {
			return fmt.Sprintf("; use %sPath to compare with the value at a path", op)
		}
		return ""
	}
	switch want {
	case "number":
		if isNumber {
			return ""
		}
		msg := "expected a number, got " + describe(v)
		switch {
		case pathHint() != "":
			return msg + pathHint()
		case isString:
			return msg + other("String", "strings")
		case isBool:
			return msg + other("Boolean", "booleans")
		}
		return msg
	case "string":
		if isString {
			return ""
		}
		msg := "expected a string, got " + describe(v)
		switch {
		case op == "StringMatches":
			return msg
		case isNumber:
			return msg + other("Numeric", "numbers")
		case isBool:
			return msg + other("Boolean", "booleans")
		}
		return msg
	case "timestamp":
		if isString && validTimestamp(s) {
			return ""
		}
		msg := "expected an RFC 3339 timestamp such as \"2024-01-31T23:59:59Z\", got " + describe(v)
		if h := pathHint(); h != "" {
			return msg + h
		}
		if isString {
			return msg + other("String", "strings")
		}
		return msg
	case "boolean":
		if isBool {
			return ""
		}
		msg := "expected a boolean, got " + describe(v)
		if isString && (s == "true" || s == "false") {
			return msg + "; write " + s + " without quotes"
		}
		if h := pathHint(); h != "" {
			return msg + h
		}
		return msg
	}
	return ""
}

// describe shows a JSON value as its type and a short preview:
// string "5", number 5, boolean true, null, an object, an array.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if r := []rune(x); len(r) > 40 {
			x = string(r[:40]) + "..."
		}
		return "string " + quote(x)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case nil:
		return "null"
	case *object:
		return "an object"
	case []any:
		return "an array"
	}
	if _, ok := numValue(v); ok {
		return fmt.Sprintf("number %v", v)
	}
	return fmt.Sprint(v)
}

// quote writes s as a JSON string, without encoding/json's HTML escapes.
func quote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
