package validate

import (
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
		loc := fmt.Sprintf("%s/Choices[%d]", ptr, i)
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
	for _, k := range o.keys {
		switch {
		case k == "Variable" || k == "Comment":
		case k == "And" || k == "Or" || k == "Not":
			ops = append(ops, k)
		case comparators[k] != "":
			ops = append(ops, k)
		case top && (k == "Next" || k == "Assign"):
		case k == "Condition" || k == "Output":
			c.schema(loc, "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported for the 'JSONata' QueryLanguage", k)
		default:
			c.schema(loc, "Field '%s' is not supported", k)
		}
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
			c.schema(loc, "Field 'Variable' is not supported")
		}
		list, ok := val.([]any)
		if !ok || len(list) == 0 {
			c.schema(loc+"/"+op, "The value for the field '%s' must be a non-empty array of choice rules", op)
			return
		}
		for i, r := range list {
			rl := fmt.Sprintf("%s/%s[%d]", loc, op, i)
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
			c.schema(loc, "Field 'Variable' is not supported")
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
