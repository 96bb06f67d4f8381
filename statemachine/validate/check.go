package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/statemachine/arn"
	"github.com/stepwise-dev/stepwise/statemachine/intrinsic"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

const (
	qlJSONPath = "JSONPath"
	qlJSONata  = "JSONata"
)

// Definition validates an ASL definition and returns every problem found, in
// document order. An empty result means AWS would accept the definition.
// Schema problems (fields, types, values, paths) are reported first; the
// transition graph (missing targets, unreachable states, no terminal state)
// is checked only when the schema is sound, as AWS does. Codes, messages and
// locations are AWS's, so the result can stand in for AWS's answer.
func Definition(raw []byte, opts Options) []Diagnostic {
	return check(raw, opts, false)
}

// Report validates an ASL definition like [Definition] but for a person
// fixing it rather than for a program expecting AWS's answer. It accepts
// and rejects exactly the same definitions; the difference is in what it
// says:
//
//   - every problem in one pass: the transition graph is checked even when
//     the schema has errors (a misspelt state name shows up with the rest);
//   - each diagnostic points at the offending field itself (an unknown
//     field's own pointer, not its parent's) with an RFC 6901 JSON pointer
//     ("/States/C/Choices/0/Next"; "/" is the whole document), sets Line and
//     Column, and the list is sorted by pointer;
//   - unknown fields, Choice operators and state names come with a
//     did-you-mean ("Frist" → "First", "Nxt" → "Next"), and a Choice operand
//     of the wrong type says what was expected and which operator fits the
//     value given;
//   - a JSON syntax error is one diagnostic with the parser's message, its
//     line and column, and what is probably missing.
func Report(raw []byte, opts Options) []Diagnostic {
	return check(raw, opts, true)
}

func check(raw []byte, opts Options, report bool) []Diagnostic {
	c := &checker{opts: opts, report: report}
	if len(raw) > MaxDefinitionBytes {
		c.add(CodeSchema, "", "The definition is %d bytes; the maximum is %d bytes (1 MiB)", len(raw), MaxDefinitionBytes)
		return c.diags
	}
	if strings.TrimSpace(string(raw)) == "" {
		c.add(CodeSchema, "", "Definition must be a valid JSON object")
		return c.diags
	}
	var pos *positions
	if report {
		pos = &positions{data: raw, at: map[string]int{}}
	}
	v, err := decode(raw, pos)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			if report {
				return []Diagnostic{syntaxReport(raw, se)}
			}
			return []Diagnostic{jacksonSyntax(raw, se)}
		}
		c.add(CodeInvalidJSON, "", "%v", err)
		return c.diags
	}
	top, ok := v.(*object)
	if !ok {
		c.add(CodeSchema, "", "Definition must be a valid JSON object")
		return c.diags
	}
	c.topQL = qlJSONPath
	if s, ok := top.m["QueryLanguage"].(string); ok && s == qlJSONata {
		c.topQL = qlJSONata
	}
	c.checkTop(top)
	if report || !HasErrors(c.diags) {
		for _, m := range c.machines {
			c.checkGraph(m)
		}
	}
	if report {
		c.locate(pos)
	}
	return c.diags
}

type checker struct {
	opts     Options
	report   bool            // Report rather than Definition
	names    map[string]bool // state names seen so far, machine-wide
	topQL    string
	diags    []Diagnostic
	machines []machine
}

// machine is a state machine or a nested one (Parallel branch, Map
// processor) whose transitions are checked after the schema.
type machine struct {
	ptr    string
	obj    *object
	states *object
}

func (c *checker) add(code, loc, format string, a ...any) {
	c.diags = append(c.diags, Diagnostic{Severity: SeverityError, Code: code, Message: fmt.Sprintf(format, a...), Location: loc})
}

func (c *checker) schema(loc, format string, a ...any) { c.add(CodeSchema, loc, format, a...) }

// key returns the location of member k of the object at loc.
func (c *checker) key(loc, k string) string {
	if !c.report {
		return loc + "/" + k
	}
	if loc == "/" {
		loc = ""
	}
	return loc + "/" + escapePointer(k)
}

// index returns the location of item i of the array at loc.
func (c *checker) index(loc string, i int) string {
	if !c.report {
		return fmt.Sprintf("%s[%d]", loc, i)
	}
	return loc + "/" + strconv.Itoa(i)
}

// fieldLoc is where a problem with field k of the object at loc points:
// at the object for AWS, at the field itself in a report.
func (c *checker) fieldLoc(loc, k string) string {
	if !c.report {
		return loc
	}
	return c.key(loc, k)
}

// unsupported reports field k of the object at loc, which only allowed
// fields may have; a report suggests the closest allowed field.
func (c *checker) unsupported(loc, k string, allowed map[string]bool) {
	hint := ""
	if c.report {
		if s := suggest(k, keys(allowed)); s != "" {
			hint = fmt.Sprintf("; did you mean '%s'?", s)
		}
	}
	c.schema(c.fieldLoc(loc, k), "Field '%s' is not supported%s", k, hint)
}

var topFields = set("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage")

func (c *checker) checkTop(o *object) {
	c.unknownFields(o, "/", topFields)
	if v, ok := o.get("QueryLanguage"); ok {
		c.queryLanguageValue(v, "/")
	}
	if v, ok := o.get("TimeoutSeconds"); ok {
		if n, ok := intValue(v); !ok || n <= 0 || n > 99999999 {
			c.schema("/TimeoutSeconds", "The value for the field 'TimeoutSeconds' must be a positive integer")
		}
	}
	if v, ok := o.get("Version"); ok {
		if _, ok := v.(string); !ok {
			c.schema("/Version", "The value for the field 'Version' must be a string")
		}
	}
	c.checkComment(o, "/Comment")
	c.checkMachine(o, "", "/")
}

// checkMachine checks StartAt and States of a (possibly nested) machine at
// pointer prefix ptr; loc is where "required" errors point ("/" at the top).
func (c *checker) checkMachine(o *object, ptr, loc string) {
	var missing []string
	if !o.has("States") {
		missing = append(missing, "States")
	}
	if !o.has("StartAt") {
		missing = append(missing, "StartAt")
	}
	if len(missing) > 0 {
		c.schema(loc, "These fields are required: [%s]", strings.Join(missing, ", "))
	}
	if v, ok := o.get("StartAt"); ok {
		if s, ok := v.(string); !ok || s == "" {
			c.schema(ptr+"/StartAt", "The value for the field 'StartAt' must be a non-empty string")
		}
	}
	sv, ok := o.get("States")
	if !ok {
		return
	}
	states, ok := sv.(*object)
	if !ok {
		c.schema(ptr+"/States", "The value for the field 'States' must be an object")
		return
	}
	if len(states.keys) == 0 {
		c.schema(ptr+"/States", "The field 'States' must contain at least one state")
	}
	if c.names == nil {
		c.names = map[string]bool{}
	}
	for _, name := range states.dups {
		c.add(CodeDuplicateStateName, c.key(ptr+"/States", name), "Duplicate State name: %s", name)
	}
	for _, name := range states.keys {
		sp := c.key(ptr+"/States", name)
		// State names are unique across the whole machine, nested ones
		// included.
		if c.names[name] {
			c.add(CodeDuplicateStateName, sp, "Duplicate State name: %s", name)
		}
		c.names[name] = true
		if utf8.RuneCountInString(name) > 80 {
			c.schema(sp, "State names must be at most 80 characters long")
		}
		st, ok := states.m[name].(*object)
		if !ok {
			c.schema(sp, "A state must be a JSON object")
			continue
		}
		c.checkState(name, st, sp)
	}
	c.machines = append(c.machines, machine{ptr: ptr, obj: o, states: states})
}

var stateTypes = set("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")

// Fields each state type accepts, whatever the query language.
var stateFields = map[string]map[string]bool{
	"Pass":     set("Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign", "Output"),
	"Task":     set("Next", "End", "Resource", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign", "Arguments", "Output"),
	"Choice":   set("Choices", "Default", "InputPath", "OutputPath", "Assign", "Output"),
	"Wait":     set("Next", "End", "Seconds", "SecondsPath", "Timestamp", "TimestampPath", "InputPath", "OutputPath", "Assign", "Output"),
	"Succeed":  set("InputPath", "OutputPath", "Output"),
	"Fail":     set("Error", "ErrorPath", "Cause", "CausePath"),
	"Parallel": set("Next", "End", "Branches", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Assign", "Arguments", "Output"),
	"Map":      set("Next", "End", "Iterator", "ItemProcessor", "ItemsPath", "Items", "ItemSelector", "Parameters", "ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label", "InputPath", "OutputPath", "ResultPath", "ResultSelector", "Retry", "Catch", "Assign", "Output"),
}

var commonStateFields = set("Type", "Comment", "QueryLanguage")

// Fields that exist in only one query language.
var jsonPathOnly = set("InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result", "ItemsPath",
	"SecondsPath", "TimestampPath", "ErrorPath", "CausePath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
	"MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath")
var jsonataOnly = set("Arguments", "Output", "Items")

func (c *checker) checkState(name string, st *object, ptr string) {
	tv, ok := st.get("Type")
	if !ok {
		c.schema(ptr, "These fields are required: [Type]")
		return
	}
	typ, _ := tv.(string)
	if !stateTypes[typ] {
		c.schema(ptr+"/Type", "The value for the field 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map], got %s", preview(tv))
		return
	}
	ql := c.topQL
	if v, ok := st.get("QueryLanguage"); ok {
		if s := c.queryLanguageValue(v, ptr); s != "" {
			if c.topQL == qlJSONata && s == qlJSONPath {
				c.schema(ptr, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
			}
			ql = s
		}
	}
	c.checkComment(st, ptr+"/Comment")
	allowed := stateFields[typ]
	for _, k := range st.keys {
		if commonStateFields[k] {
			continue
		}
		if !allowed[k] {
			c.unsupportedStateField(ptr, k, typ)
			continue
		}
		if ql == qlJSONata && jsonPathOnly[k] {
			c.schema(c.fieldLoc(ptr, k), "The QueryLanguage is set to 'JSONata', but field '%s' is only supported for the 'JSONPath' QueryLanguage", k)
		} else if ql == qlJSONPath && jsonataOnly[k] {
			c.schema(c.fieldLoc(ptr, k), "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported for the 'JSONata' QueryLanguage", k)
		}
	}

	// Transitions.
	if allowed["Next"] {
		_, hasNext := st.get("Next")
		end, hasEnd := st.get("End")
		if hasEnd {
			if b, ok := end.(bool); !ok || !b {
				c.schema(ptr+"/End", "The value for the field 'End' must be true")
			}
		}
		switch {
		case hasNext && hasEnd:
			c.schema(ptr, "Only one of these fields may be set: [Next, End]")
		case !hasNext && !hasEnd:
			c.schema(ptr, "One of these fields is required: [Next, End]")
		}
		if v, ok := st.get("Next"); ok {
			if s, ok := v.(string); !ok || s == "" {
				c.schema(ptr+"/Next", "The value for the field 'Next' must be a non-empty string")
			}
		}
	}

	// Common data-flow fields.
	if ql == qlJSONPath {
		for _, f := range []string{"InputPath", "OutputPath"} {
			if v, ok := st.get(f); ok && v != nil {
				c.pathField(v, ptr+"/"+f, f, false)
			}
		}
		if v, ok := st.get("ResultPath"); ok && v != nil {
			c.pathField(v, ptr+"/ResultPath", "ResultPath", true)
		}
		for _, f := range []string{"Parameters", "ResultSelector"} {
			if v, ok := st.get(f); ok {
				c.payloadTemplate(v, ptr+"/"+f, f)
			}
		}
		if v, ok := st.get("Assign"); ok {
			c.payloadTemplate(v, ptr+"/Assign", "Assign")
		}
	} else {
		for _, f := range []string{"Arguments", "Output", "Assign", "Items"} {
			if v, ok := st.get(f); ok {
				c.jsonataValue(v, ptr+"/"+f)
			}
		}
	}
	if v, ok := st.get("Assign"); ok {
		if _, isObj := v.(*object); !isObj {
			c.schema(ptr+"/Assign", "The value for the field 'Assign' must be an object")
		}
	}

	switch typ {
	case "Task":
		c.checkTask(st, ptr, ql)
	case "Choice":
		c.checkChoice(st, ptr, ql)
	case "Wait":
		c.checkWait(st, ptr, ql)
	case "Fail":
		c.checkFail(st, ptr, ql)
	case "Parallel":
		c.checkParallel(st, ptr)
	case "Map":
		c.checkMap(st, ptr, ql)
	}
	if allowed["Retry"] {
		c.checkRetry(st, ptr)
		c.checkCatch(st, ptr, ql)
	}
}

func (c *checker) queryLanguageValue(v any, loc string) string {
	s, _ := v.(string)
	if s != qlJSONPath && s != qlJSONata {
		c.schema(loc, "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata], got %s", preview(v))
		return ""
	}
	return s
}

func (c *checker) checkComment(o *object, loc string) {
	if v, ok := o.get("Comment"); ok {
		if _, ok := v.(string); !ok {
			c.schema(loc, "The value for the field 'Comment' must be a string")
		}
	}
}

func (c *checker) unknownFields(o *object, loc string, allowed map[string]bool) {
	for _, k := range o.keys {
		if !allowed[k] {
			c.unsupported(loc, k, allowed)
		}
	}
}

// stateTypeOrder lists the state types in the order the ASL specification
// presents them, for messages.
var stateTypeOrder = []string{"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}

// unsupportedStateField reports field k of a state of type typ, which does
// not have it. A report says which state types do have it, or else which
// field of this type was probably meant.
func (c *checker) unsupportedStateField(ptr, k, typ string) {
	if !c.report {
		c.schema(ptr, "Field '%s' is not supported", k)
		return
	}
	var owners []string
	for _, t := range stateTypeOrder {
		if stateFields[t][k] {
			owners = append(owners, t)
		}
	}
	if len(owners) > 0 {
		c.schema(c.key(ptr, k), "Field '%s' is not supported; a %s state has no %s, only %s states do", k, typ, k, strings.Join(owners, ", "))
		return
	}
	allowed := map[string]bool{}
	for f := range stateFields[typ] {
		allowed[f] = true
	}
	for f := range commonStateFields {
		allowed[f] = true
	}
	c.unsupported(ptr, k, allowed)
}

// pathField checks a field whose value must be a JSONPath (a reference path
// when reference is set).
func (c *checker) pathField(v any, loc, field string, reference bool) {
	s, ok := v.(string)
	if !ok {
		c.schema(loc, "The value for the field '%s' must be a valid JSONPath", field)
		return
	}
	p, err := jsonpath.Compile(s)
	if err != nil {
		c.schema(loc, "The value for the field '%s' must be a valid JSONPath", field)
		return
	}
	if reference && !p.Reference() {
		c.schema(loc, "The value for the field '%s' must be a valid ReferencePath", field)
		return
	}
	if field == "ResultPath" && p.Root() != jsonpath.RootInput {
		// ResultPath writes into the state's input; it cannot name the
		// context object or a variable.
		c.schema(loc, "The value for the field 'ResultPath' must be a valid ReferencePath")
	}
}

// pathOrIntrinsic reports whether s is a valid JSONPath or intrinsic call.
func pathOrIntrinsic(s string) bool {
	if intrinsic.IsIntrinsic(s) {
		_, err := intrinsic.Parse(strings.TrimSpace(s))
		return err == nil
	}
	_, err := jsonpath.Compile(s)
	return err == nil
}

// payloadTemplate checks a JSONPath payload template (Parameters,
// ResultSelector, ItemSelector, Assign ...): every "key.$" holds a valid path
// or intrinsic call. Problems point at the object holding the key.
func (c *checker) payloadTemplate(v any, loc, field string) {
	switch x := v.(type) {
	case *object:
		for _, k := range x.keys {
			val := x.m[k]
			if strings.HasSuffix(k, ".$") {
				s, ok := val.(string)
				if !ok || !pathOrIntrinsic(s) {
					c.schema(loc, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", k)
				}
				continue
			}
			c.payloadTemplate(val, c.key(loc, k), k)
		}
	case []any:
		for i, e := range x {
			c.payloadTemplate(e, c.index(loc, i), field)
		}
	}
}

// jsonataValue checks every "{% ... %}" string inside v.
func (c *checker) jsonataValue(v any, loc string) {
	switch x := v.(type) {
	case string:
		c.jsonataString(x, loc)
	case *object:
		for _, k := range x.keys {
			c.jsonataValue(x.m[k], c.key(loc, k))
		}
	case []any:
		for i, e := range x {
			c.jsonataValue(e, c.index(loc, i))
		}
	}
}

// jsonataString reports whether s is a JSONata expression and checks it.
func (c *checker) jsonataString(s, loc string) bool {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{%") {
		return false
	}
	if !strings.HasSuffix(t, "%}") || len(t) < 4 {
		c.schema(loc, "The JSONata expression must be enclosed in '{%%' and '%%}'")
		return true
	}
	if c.opts.CheckJSONata != nil {
		if err := c.opts.CheckJSONata(t[2 : len(t)-2]); err != nil {
			c.schema(loc, "The JSONata expression '%s' is not valid: %v", t, err)
		}
	}
	return true
}

// intField checks a field that holds a literal integer in [min, max] in
// JSONPath states, or such an integer or a JSONata expression in JSONata
// states.
func (c *checker) intField(o *object, field, ptr, ql string, min, max int64) {
	v, ok := o.get(field)
	if !ok {
		return
	}
	if s, isStr := v.(string); isStr && ql == qlJSONata && c.jsonataString(s, ptr+"/"+field) {
		return
	}
	n, ok := intValue(v)
	if !ok || n < min || n > max {
		c.schema(ptr+"/"+field, "The value for the field '%s' must be an integer between %d and %d", field, min, max)
	}
}

func (c *checker) exclusive(o *object, ptr string, fields ...string) {
	var set []string
	for _, f := range fields {
		if o.has(f) {
			set = append(set, f)
		}
	}
	if len(set) > 1 {
		c.schema(ptr, "Only one of these fields may be set: [%s]", strings.Join(set, ", "))
	}
}

var (
	syncSuffix  = regexp.MustCompile(`\.sync(:\d+)?$`)
	statesArnRe = regexp.MustCompile(`^arn:[^:]+:states:::([A-Za-z0-9-]+):([A-Za-z0-9.:-]+)$`)
)

// Optimized integrations whose action lists are closed: an action not listed
// is rejected as AWS does ("dynamodb:query" needs the aws-sdk integration).
// Services not listed here are not checked, to avoid false positives.
var knownActions = map[string]map[string]bool{
	"dynamodb": set("getItem", "putItem", "updateItem", "deleteItem"),
	"http":     set("invoke"), // request-response only
	"lambda":   set("invoke", "invoke.waitForTaskToken"),
	"sns":      set("publish", "publish.waitForTaskToken"),
	"sqs":      set("sendMessage", "sendMessage.waitForTaskToken"),
	"states":   set("startExecution", "startExecution.sync", "startExecution.sync:2", "startExecution.waitForTaskToken"),
}

// activityArn matches an activity's ARN, which Express machines may not
// use as a Task Resource (activities: Standard workflows only).
var activityArn = regexp.MustCompile(`^arn:[^:]+:states:[^:]+:[^:]+:activity:[^:]+$`)

func (c *checker) checkTask(st *object, ptr, ql string) {
	rv, ok := st.get("Resource")
	if !ok {
		c.schema(ptr, "These fields are required: [Resource]")
	} else if r, ok := rv.(string); !ok || r == "" {
		c.schema(ptr+"/Resource", "The value for the field 'Resource' must be a non-empty string")
	} else {
		if c.opts.Type == "EXPRESS" {
			switch {
			case strings.HasSuffix(r, ".waitForTaskToken"):
				c.schema(ptr+"/Resource", "Express state machine does not support '.waitForTaskToken' service integration ")
			case syncSuffix.MatchString(r):
				c.schema(ptr+"/Resource", "Express state machine does not support '.sync' service integration ")
			case activityArn.MatchString(r):
				c.schema(ptr+"/Resource", "Express state machine does not support Activity ARN")
			}
		}
		if m := statesArnRe.FindStringSubmatch(r); m != nil {
			if actions, known := knownActions[m[1]]; known && !actions[m[2]] {
				c.schema(ptr+"/Resource", "The resource provided %s is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.", r)
			}
		} else if _, err := arn.Parse(r); err != nil {
			c.schema(ptr+"/Resource", "The resource provided %s is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.", r)
		}
		if r == "arn:aws:states:::http:invoke" {
			c.checkHTTPTask(st, ptr, ql)
		}
	}
	c.exclusive(st, ptr, "TimeoutSeconds", "TimeoutSecondsPath")
	c.exclusive(st, ptr, "HeartbeatSeconds", "HeartbeatSecondsPath")
	c.intField(st, "TimeoutSeconds", ptr, ql, 1, 99999999)
	c.intField(st, "HeartbeatSeconds", ptr, ql, 1, 99999999)
	if t, ok := intValue(st.m["TimeoutSeconds"]); ok {
		if h, ok := intValue(st.m["HeartbeatSeconds"]); ok && h >= t {
			c.schema(ptr, "HeartbeatSeconds must be smaller than TimeoutSeconds")
		}
	}
	if ql == qlJSONPath {
		for _, f := range []string{"TimeoutSecondsPath", "HeartbeatSecondsPath"} {
			if v, ok := st.get(f); ok {
				c.pathField(v, ptr+"/"+f, f, true)
			}
		}
	}
	if v, ok := st.get("Credentials"); ok {
		cred, ok := v.(*object)
		switch {
		case !ok:
			c.schema(ptr+"/Credentials", "The value for the field 'Credentials' must be an object")
		case !cred.has("RoleArn") && !cred.has("RoleArn.$"):
			c.schema(ptr+"/Credentials", "The field 'RoleArn' is required but was missing")
		case ql == qlJSONPath:
			c.payloadTemplate(cred, ptr+"/Credentials", "Credentials")
		default:
			c.jsonataValue(cred, ptr+"/Credentials")
		}
	}
}

var rfc3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

// validTimestamp checks the RFC 3339 form and the ranges of its parts.
func validTimestamp(s string) bool {
	if !rfc3339.MatchString(s) {
		return false
	}
	mo, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	h, _ := strconv.Atoi(s[11:13])
	mi, _ := strconv.Atoi(s[14:16])
	se, _ := strconv.Atoi(s[17:19])
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && se <= 60
}

func (c *checker) checkWait(st *object, ptr, ql string) {
	n := 0
	for _, f := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if st.has(f) {
			n++
		}
	}
	if n != 1 {
		c.schema(ptr, "Exactly one of these fields must be set: [Seconds, SecondsPath, Timestamp, TimestampPath]")
	}
	c.intField(st, "Seconds", ptr, ql, 0, 99999999)
	if v, ok := st.get("Timestamp"); ok {
		s, isStr := v.(string)
		switch {
		case isStr && ql == qlJSONata && c.jsonataString(s, ptr+"/Timestamp"):
		case !isStr || !validTimestamp(s):
			c.schema(ptr+"/Timestamp", "String does not match RFC3339 timestamp")
		}
	}
	if ql == qlJSONPath {
		for _, f := range []string{"SecondsPath", "TimestampPath"} {
			if v, ok := st.get(f); ok {
				c.pathField(v, ptr+"/"+f, f, true)
			}
		}
	}
}

func (c *checker) checkFail(st *object, ptr, ql string) {
	c.exclusive(st, ptr, "Error", "ErrorPath")
	c.exclusive(st, ptr, "Cause", "CausePath")
	for _, f := range []string{"Error", "Cause"} {
		if v, ok := st.get(f); ok {
			s, isStr := v.(string)
			if !isStr {
				c.schema(ptr+"/"+f, "The value for the field '%s' must be a string", f)
			} else if ql == qlJSONata {
				c.jsonataString(s, ptr+"/"+f)
			}
		}
	}
	if ql == qlJSONPath {
		for _, f := range []string{"ErrorPath", "CausePath"} {
			if v, ok := st.get(f); ok {
				if s, isStr := v.(string); !isStr || !pathOrIntrinsic(s) {
					c.schema(ptr+"/"+f, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", f)
				}
			}
		}
	}
}

var processorFields = set("StartAt", "States", "Comment", "ProcessorConfig")
var branchFields = set("StartAt", "States", "Comment")

func (c *checker) checkParallel(st *object, ptr string) {
	v, ok := st.get("Branches")
	if !ok {
		c.schema(ptr, "These fields are required: [Branches]")
		return
	}
	branches, ok := v.([]any)
	if !ok || len(branches) == 0 {
		c.schema(ptr+"/Branches", "The value for the field 'Branches' must be a non-empty array")
		return
	}
	for i, b := range branches {
		bp := c.index(ptr+"/Branches", i)
		bo, ok := b.(*object)
		if !ok {
			c.schema(bp, "A branch must be a JSON object")
			continue
		}
		c.unknownFields(bo, bp, branchFields)
		c.checkComment(bo, bp+"/Comment")
		c.checkMachine(bo, bp, bp)
	}
}

// labelForbidden holds the characters AWS forbids in names and Map labels:
// blanks, ? * < > { } [ ] " # % \ ^ | ~ ` $ & , ; : / and control characters.
var labelForbidden = regexp.MustCompile("[\\s?*<>{}\\[\\]\"#%\\\\^|~`$&,;:/\\x00-\\x1f\\x7f-\\x9f]")

func (c *checker) checkMap(st *object, ptr, ql string) {
	c.exclusive(st, ptr, "ItemProcessor", "Iterator")
	mode := "INLINE"
	field := "ItemProcessor"
	pv, ok := st.get("ItemProcessor")
	if !ok {
		pv, ok = st.get("Iterator")
		field = "Iterator"
	}
	if !ok {
		c.schema(ptr, "These fields are required: [ItemProcessor]")
	} else if proc, isObj := pv.(*object); !isObj {
		c.schema(ptr+"/"+field, "The value for the field '%s' must be an object", field)
	} else {
		pp := ptr + "/" + field
		c.unknownFields(proc, pp, processorFields)
		c.checkComment(proc, pp+"/Comment")
		if cv, ok := proc.get("ProcessorConfig"); ok {
			mode = c.checkProcessorConfig(cv, pp+"/ProcessorConfig")
		}
		c.checkMachine(proc, pp, pp)
	}
	distributed := mode == "DISTRIBUTED"
	for _, f := range []string{"ItemReader", "ItemBatcher", "ResultWriter", "Label"} {
		if st.has(f) && !distributed {
			c.schema(c.fieldLoc(ptr, f), "Field '%s' is only supported when the processor mode is 'DISTRIBUTED'", f)
		}
	}
	if v, ok := st.get("Label"); ok {
		s, isStr := v.(string)
		if !isStr || s == "" || utf8.RuneCountInString(s) > 40 || labelForbidden.MatchString(s) {
			c.schema(ptr+"/Label", "The value for the field 'Label' must be 1 to 40 characters without whitespace, control characters or any of ? * < > { } [ ] \" # %% \\ ^ | ~ ` $ & , ; : /")
		}
	}
	c.exclusive(st, ptr, "MaxConcurrency", "MaxConcurrencyPath")
	c.exclusive(st, ptr, "ToleratedFailureCount", "ToleratedFailureCountPath")
	c.exclusive(st, ptr, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
	c.exclusive(st, ptr, "ItemSelector", "Parameters")
	c.intField(st, "MaxConcurrency", ptr, ql, 0, math.MaxInt32)
	c.intField(st, "ToleratedFailureCount", ptr, ql, 0, math.MaxInt32)
	if v, ok := st.get("ToleratedFailurePercentage"); ok {
		if s, isStr := v.(string); !(isStr && ql == qlJSONata && c.jsonataString(s, ptr+"/ToleratedFailurePercentage")) {
			if f, ok := numValue(v); !ok || f < 0 || f > 100 {
				c.schema(ptr+"/ToleratedFailurePercentage", "The value for the field 'ToleratedFailurePercentage' must be a number between 0 and 100")
			}
		}
	}
	if ql == qlJSONPath {
		for _, f := range []string{"ItemsPath", "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"} {
			if v, ok := st.get(f); ok {
				c.pathField(v, ptr+"/"+f, f, true)
			}
		}
		if v, ok := st.get("ItemSelector"); ok {
			c.payloadTemplate(v, ptr+"/ItemSelector", "ItemSelector")
		}
	} else if v, ok := st.get("ItemSelector"); ok {
		c.jsonataValue(v, ptr+"/ItemSelector")
	}
	if v, ok := st.get("ItemReader"); ok {
		c.checkItemReader(v, ptr+"/ItemReader", ql)
	}
	if v, ok := st.get("ItemBatcher"); ok {
		c.checkItemBatcher(v, ptr+"/ItemBatcher", ql)
	}
	if v, ok := st.get("ResultWriter"); ok {
		c.checkResultWriter(v, ptr+"/ResultWriter", ql)
	}
}

func (c *checker) checkProcessorConfig(v any, loc string) string {
	pc, ok := v.(*object)
	if !ok {
		c.schema(loc, "The value for the field 'ProcessorConfig' must be an object")
		return "INLINE"
	}
	c.unknownFields(pc, loc, set("Mode", "ExecutionType"))
	mode := "INLINE"
	if mv, ok := pc.get("Mode"); ok {
		s, _ := mv.(string)
		if s != "INLINE" && s != "DISTRIBUTED" {
			c.schema(loc+"/Mode", "The value for the field 'Mode' must be one of [INLINE, DISTRIBUTED]")
		} else {
			mode = s
		}
	}
	if ev, ok := pc.get("ExecutionType"); ok {
		s, _ := ev.(string)
		if mode != "DISTRIBUTED" {
			c.schema(c.fieldLoc(loc, "ExecutionType"), "Field 'ExecutionType' is not supported")
		} else if s != "STANDARD" && s != "EXPRESS" {
			c.schema(loc+"/ExecutionType", "The value for the field 'ExecutionType' must be one of [STANDARD, EXPRESS]")
		}
	} else if mode == "DISTRIBUTED" {
		c.schema(loc, "These fields are required: [ExecutionType]")
	}
	return mode
}

func (c *checker) ioParameters(o *object, loc, ql string) {
	if ql == qlJSONPath {
		if v, ok := o.get("Parameters"); ok {
			c.payloadTemplate(v, loc+"/Parameters", "Parameters")
		}
		if o.has("Arguments") {
			c.schema(c.fieldLoc(loc, "Arguments"), "The QueryLanguage is set to 'JSONPath', but field 'Arguments' is only supported for the 'JSONata' QueryLanguage")
		}
	} else {
		if v, ok := o.get("Arguments"); ok {
			c.jsonataValue(v, loc+"/Arguments")
		}
		if o.has("Parameters") {
			c.schema(c.fieldLoc(loc, "Parameters"), "The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage")
		}
	}
}

func (c *checker) checkItemReader(v any, loc, ql string) {
	o, ok := v.(*object)
	if !ok {
		c.schema(loc, "The value for the field 'ItemReader' must be an object")
		return
	}
	c.unknownFields(o, loc, set("Resource", "Parameters", "Arguments", "ReaderConfig"))
	if r, ok := o.m["Resource"].(string); !ok || r == "" {
		c.schema(loc, "These fields are required: [Resource]")
	}
	c.ioParameters(o, loc, ql)
	if rv, ok := o.get("ReaderConfig"); ok {
		rc, ok := rv.(*object)
		if !ok {
			c.schema(loc+"/ReaderConfig", "The value for the field 'ReaderConfig' must be an object")
			return
		}
		rl := loc + "/ReaderConfig"
		c.unknownFields(rc, rl, set("InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems", "MaxItemsPath", "ManifestType", "Transformation"))
		if s, ok := rc.m["InputType"].(string); ok && !set("CSV", "JSON", "JSONL", "MANIFEST", "PARQUET")[s] {
			c.schema(rl+"/InputType", "The value for the field 'InputType' must be one of [CSV, JSON, JSONL, MANIFEST, PARQUET]")
		}
		if s, ok := rc.m["CSVHeaderLocation"].(string); ok && s != "FIRST_ROW" && s != "GIVEN" {
			c.schema(rl+"/CSVHeaderLocation", "The value for the field 'CSVHeaderLocation' must be one of [FIRST_ROW, GIVEN]")
		}
		if s, _ := rc.m["CSVHeaderLocation"].(string); s == "GIVEN" && !rc.has("CSVHeaders") {
			c.schema(rl, "These fields are required: [CSVHeaders]")
		}
		c.exclusive(rc, rl, "MaxItems", "MaxItemsPath")
		c.intField(rc, "MaxItems", rl, ql, 0, 100000000)
		if v, ok := rc.get("MaxItemsPath"); ok && ql == qlJSONPath {
			c.pathField(v, rl+"/MaxItemsPath", "MaxItemsPath", true)
		}
	}
}

func (c *checker) checkItemBatcher(v any, loc, ql string) {
	o, ok := v.(*object)
	if !ok {
		c.schema(loc, "The value for the field 'ItemBatcher' must be an object")
		return
	}
	c.unknownFields(o, loc, set("MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"))
	c.exclusive(o, loc, "MaxItemsPerBatch", "MaxItemsPerBatchPath")
	c.exclusive(o, loc, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")
	c.intField(o, "MaxItemsPerBatch", loc, ql, 1, math.MaxInt32)
	c.intField(o, "MaxInputBytesPerBatch", loc, ql, 1, 262144)
	if ql == qlJSONPath {
		for _, f := range []string{"MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"} {
			if v, ok := o.get(f); ok {
				c.pathField(v, loc+"/"+f, f, true)
			}
		}
		if v, ok := o.get("BatchInput"); ok {
			c.payloadTemplate(v, loc+"/BatchInput", "BatchInput")
		}
	}
}

func (c *checker) checkResultWriter(v any, loc, ql string) {
	o, ok := v.(*object)
	if !ok {
		c.schema(loc, "The value for the field 'ResultWriter' must be an object")
		return
	}
	c.unknownFields(o, loc, set("Resource", "Parameters", "Arguments", "WriterConfig"))
	if !o.has("Resource") && !o.has("WriterConfig") {
		c.schema(loc, "These fields are required: [Resource]")
	}
	c.ioParameters(o, loc, ql)
	if wv, ok := o.get("WriterConfig"); ok {
		wc, ok := wv.(*object)
		if !ok {
			c.schema(loc+"/WriterConfig", "The value for the field 'WriterConfig' must be an object")
			return
		}
		wl := loc + "/WriterConfig"
		c.unknownFields(wc, wl, set("OutputType", "Transformation"))
		if s, ok := wc.m["OutputType"].(string); ok && s != "JSON" && s != "JSONL" {
			c.schema(wl+"/OutputType", "The value for the field 'OutputType' must be one of [JSON, JSONL]")
		}
		if s, ok := wc.m["Transformation"].(string); ok && !set("NONE", "COMPACT", "FLATTEN")[s] {
			c.schema(wl+"/Transformation", "The value for the field 'Transformation' must be one of [NONE, COMPACT, FLATTEN]")
		}
	}
}

var retryFields = set("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")

func (c *checker) errorEquals(o *object, loc string, index, count int, kind string) {
	v, ok := o.get("ErrorEquals")
	if !ok {
		c.schema(loc, "These fields are required: [ErrorEquals]")
		return
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		c.schema(loc+"/ErrorEquals", "The value for the field 'ErrorEquals' must be a non-empty array of strings")
		return
	}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			c.schema(loc+"/ErrorEquals", "The value for the field 'ErrorEquals' must be a non-empty array of strings")
			return
		}
		if s == "States.ALL" && (len(list) > 1 || index != count-1) {
			c.schema(loc+"/ErrorEquals", "States.ALL must appear alone in ErrorEquals and only in the last %s", kind)
		}
	}
}

func (c *checker) checkRetry(st *object, ptr string) {
	v, ok := st.get("Retry")
	if !ok {
		return
	}
	list, ok := v.([]any)
	if !ok {
		c.schema(ptr+"/Retry", "The value for the field 'Retry' must be an array")
		return
	}
	for i, r := range list {
		loc := c.index(ptr+"/Retry", i)
		o, ok := r.(*object)
		if !ok {
			c.schema(loc, "A retrier must be a JSON object")
			continue
		}
		c.unknownFields(o, loc, retryFields)
		c.errorEquals(o, loc, i, len(list), "retrier")
		c.intField(o, "IntervalSeconds", loc, qlJSONPath, 1, 99999999)
		c.intField(o, "MaxAttempts", loc, qlJSONPath, 0, 99999999)
		c.intField(o, "MaxDelaySeconds", loc, qlJSONPath, 1, 31622400)
		if bv, ok := o.get("BackoffRate"); ok {
			if f, ok := numValue(bv); !ok || f < 1 {
				c.schema(loc+"/BackoffRate", "The value for the field 'BackoffRate' must be a number greater than or equal to 1.0")
			}
		}
		if jv, ok := o.get("JitterStrategy"); ok {
			if s, _ := jv.(string); s != "FULL" && s != "NONE" {
				c.schema(loc+"/JitterStrategy", "The value for the field 'JitterStrategy' must be one of [FULL, NONE]")
			}
		}
	}
}

func (c *checker) checkCatch(st *object, ptr, ql string) {
	v, ok := st.get("Catch")
	if !ok {
		return
	}
	list, ok := v.([]any)
	if !ok {
		c.schema(ptr+"/Catch", "The value for the field 'Catch' must be an array")
		return
	}
	for i, r := range list {
		loc := c.index(ptr+"/Catch", i)
		o, ok := r.(*object)
		if !ok {
			c.schema(loc, "A catcher must be a JSON object")
			continue
		}
		allowed := set("ErrorEquals", "Next", "Comment", "Assign", "ResultPath", "Output")
		c.unknownFields(o, loc, allowed)
		for _, k := range o.keys {
			if ql == qlJSONata && k == "ResultPath" {
				c.schema(c.fieldLoc(loc, k), "The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only supported for the 'JSONPath' QueryLanguage")
			} else if ql == qlJSONPath && k == "Output" {
				c.schema(c.fieldLoc(loc, k), "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage")
			}
		}
		c.errorEquals(o, loc, i, len(list), "catcher")
		if s, ok := o.m["Next"].(string); !ok || s == "" {
			c.schema(loc, "These fields are required: [Next]")
		}
		if ql == qlJSONPath {
			if rv, ok := o.get("ResultPath"); ok && rv != nil {
				c.pathField(rv, loc+"/ResultPath", "ResultPath", true)
			}
			if av, ok := o.get("Assign"); ok {
				c.payloadTemplate(av, loc+"/Assign", "Assign")
			}
		} else {
			for _, f := range []string{"Assign", "Output"} {
				if fv, ok := o.get(f); ok {
					c.jsonataValue(fv, loc+"/"+f)
				}
			}
		}
	}
}

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func intValue(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err == nil {
			return n, true
		}
		// "1.0" is an integer for AWS's Jackson-based schema checks.
		f, err := x.Float64()
		if err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
	case float64:
		if x == math.Trunc(x) {
			return int64(x), true
		}
	}
	return 0, false
}

func numValue(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

func preview(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + x + "'"
	case *object:
		return "an object"
	case []any:
		return "an array"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// checkHTTPTask checks the fields the HTTP Task docs mark required
// ("Call HTTPS APIs in Step Functions workflows"): ApiEndpoint, Method and
// the EventBridge connection, given in Authentication or InvocationConfig
// as ConnectionArn. A field may be given as a path ("ApiEndpoint.$"); a
// JSONata Arguments that is one expression is checked when it runs.
func (c *checker) checkHTTPTask(st *object, ptr, ql string) {
	field := "Parameters"
	if ql != qlJSONPath {
		field = "Arguments"
	}
	v, ok := st.get(field)
	if !ok {
		c.schema(ptr, "The field '%s' is required but was missing", field)
		return
	}
	args, ok := v.(*object)
	if !ok {
		return
	}
	loc := ptr + "/" + field
	present := func(o *object, k string) bool { return o.has(k) || (ql == qlJSONPath && o.has(k+".$")) }
	for _, k := range []string{"ApiEndpoint", "Method"} {
		if !present(args, k) {
			c.schema(loc, "The field '%s' is required but was missing", k)
		}
	}
	conn := 0
	for _, k := range []string{"Authentication", "InvocationConfig"} {
		if !present(args, k) {
			continue
		}
		conn++
		if o, ok := args.m[k].(*object); ok && !present(o, "ConnectionArn") {
			c.schema(loc+"/"+k, "The field 'ConnectionArn' is required but was missing")
		}
	}
	switch conn {
	case 0:
		c.schema(loc, "The field 'Authentication' or 'InvocationConfig' is required but was missing")
	case 2:
		c.schema(loc, "Only one of the fields 'Authentication' and 'InvocationConfig' may be given")
	}
}
