package interp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/intrinsic"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
	"github.com/stepwise-dev/stepwise/statemachine/validate"
)

// Query languages.
const (
	langJSONPath = "JSONPath"
	langJSONata  = "JSONata"
)

// Machine is a parsed, validated state machine definition. It is immutable
// and safe for concurrent use.
type Machine struct {
	startAt    string
	states     map[string]*state
	order      []string
	timeout    int64 // global TimeoutSeconds, 0 = none
	lang       string
	hasTimeout bool
	// pure machines only hold Pass, Choice, Succeed and Fail states: they
	// never block, so Map iterations over them run one after another.
	pure bool
}

// DefinitionError is an invalid definition; Message is the text of
// AWS's InvalidDefinition error, listing every diagnostic with its
// location.
type DefinitionError struct{ Message string }

func (e *DefinitionError) Error() string { return e.Message }

// Parse validates definition (see [validate.Definition]) for a machine of
// type typ (STANDARD or EXPRESS) and compiles it. The error is a
// *DefinitionError.
func Parse(definition []byte, typ string) (*Machine, error) {
	ds := validate.Definition(definition, validate.Options{Type: typ, CheckJSONata: CheckJSONata})
	if validate.HasErrors(ds) {
		return nil, &DefinitionError{Message: validate.InvalidDefinitionMessage(ds)}
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(definition))
	if err := dec.Decode(&raw); err != nil {
		return nil, &DefinitionError{Message: "Invalid State Machine Definition: '" + err.Error() + "'"}
	}
	lang, _ := raw["QueryLanguage"].(string)
	if lang == "" {
		lang = langJSONPath
	}
	m, err := compileMachine(raw, lang, "")
	if err != nil {
		return nil, &DefinitionError{Message: "Invalid State Machine Definition: '" + err.Error() + "'"}
	}
	if t, ok := raw["TimeoutSeconds"].(float64); ok {
		m.timeout = int64(t)
		m.hasTimeout = true
	}
	return m, nil
}

// Timeout returns the machine's TimeoutSeconds, ok == false when absent.
func (m *Machine) Timeout() (seconds int64, ok bool) { return m.timeout, m.hasTimeout }

// StartAt returns the name of the first state.
func (m *Machine) StartAt() string { return m.startAt }

// States returns the names of the top-level states, sorted (a definition
// is a JSON object, so it has no order of its own once parsed).
func (m *Machine) States() []string { return append([]string(nil), m.order...) }

// StateInfo describes one state for tools that draw or walk a machine.
type StateInfo struct {
	Name string
	Type string
	// Next is the state's Next ("" for terminal states and Choice).
	Next string
	// End reports whether the state ends its machine or branch.
	End bool
	// Choices are the Next of each Choice rule, then Default.
	Choices []string
	// Catches are the Next of each Catch clause.
	Catches []string
	// Branches holds a Parallel's branches or a Map's item processor.
	Branches []*Machine
	// Resource is a Task's Resource; ServiceIntegration reports whether it
	// is a service integration the engine hands to its ServiceInvoker.
	Resource           string
	ServiceIntegration bool
}

// State describes the state called name, or returns ok == false.
func (m *Machine) State(name string) (StateInfo, bool) {
	s, ok := m.states[name]
	if !ok {
		return StateInfo{}, false
	}
	info := StateInfo{Name: name, Type: s.typ, Next: s.next, End: s.end}
	if s.choice != nil {
		for _, c := range s.choice.choices {
			info.Choices = append(info.Choices, c.next)
		}
		if s.choice.defaultNext != "" {
			info.Choices = append(info.Choices, s.choice.defaultNext)
		}
	}
	for _, c := range s.catch {
		info.Catches = append(info.Catches, c.next)
	}
	if s.task != nil {
		info.Resource = s.task.resource
		kind, _, service, _ := classify(s.task.resource)
		info.ServiceIntegration = kind == resService && service != ""
	}
	if s.parallel != nil {
		info.Branches = s.parallel.branches
	}
	if s.mapState != nil && s.mapState.processor != nil {
		info.Branches = []*Machine{s.mapState.processor}
	}
	return info, true
}

// optPath is an InputPath/OutputPath/ResultPath/ItemsPath field: absent
// (default "$"), null, or a compiled path.
type optPath struct {
	null bool
	p    *jsonpath.Path // nil with !null: "$"
}

type state struct {
	name, typ      string
	enteredType    string // e.g. "PassStateEntered"
	exitedType     string
	next           string
	end            bool
	lang           string
	raw            map[string]any
	inputPath      optPath
	outputPath     optPath
	resultPath     optPath
	parameters     *tmpl
	resultSel      *tmpl
	result         any
	hasResult      bool
	assign         any // JSONata/JSONPath Assign block, raw
	compiledAssign *assignBlock
	j              *jfields // JSONata-mode fields
	jsonataArgs    any
	output         any
	hasOutput      bool
	retry          []*retrier // Task, Parallel, Map
	catch          []*catcher // Task, Parallel, Map

	// The fields of the state's type: only the one for typ is set.
	task     *taskFields
	choice   *choiceFields
	wait     *waitFields
	fail     *failFields
	parallel *parallelFields
	mapState *mapFields
}

// taskFields are a Task state's resource and timeouts.
type taskFields struct {
	resource      string
	timeout       *int64
	timeoutPath   *jsonpath.Path
	heartbeat     *int64
	heartbeatPath *jsonpath.Path
	timeoutExpr   any
	heartbeatExpr any
	credentials   any
}

// choiceFields are a Choice state's rules.
type choiceFields struct {
	choices     []*choiceRule
	defaultNext string
}

// waitFields are a Wait state's duration or deadline.
type waitFields struct {
	seconds       any
	secondsPath   *jsonpath.Path
	timestamp     any
	timestampPath *jsonpath.Path
	hasSeconds    bool
	hasTimestamp  bool
}

// failFields are a Fail state's Error and Cause.
type failFields struct {
	errorLit, causeLit   *string
	errorPath, causePath *tmpl
	errorExpr, causeExpr any
}

// parallelFields are a Parallel state's branches.
type parallelFields struct {
	branches []*Machine
}

// mapFields are a Map state's processor, items and limits.
type mapFields struct {
	processor    *Machine
	itemsPath    optPath
	itemSelector *tmpl
	items        any
	hasItems     bool
	maxConc      int64
	maxConcPath  *jsonpath.Path
	maxConcExpr  any
	tolCount     *int64
	tolCountPath *jsonpath.Path
	tolPct       *float64
	tolPctPath   *jsonpath.Path
	tolCountExpr any
	tolPctExpr   any
	label        string
	distributed  bool
	childType    string
	itemReader   map[string]any
	itemBatcher  map[string]any
	resultWriter map[string]any
}

type retrier struct {
	errors      []string
	interval    float64
	maxAttempts int
	backoff     float64
	maxDelay    float64
	hasMaxDelay bool
	jitter      bool
}

type catcher struct {
	errors         []string
	resultPath     optPath
	next           string
	assign         any
	output         any
	hasOutput      bool
	compiledAssign *assignBlock
	outputJ        *jsonataTmpl
}

func compileMachine(raw map[string]any, lang, ptr string) (*Machine, error) {
	m := &Machine{states: map[string]*state{}, lang: lang}
	m.startAt, _ = raw["StartAt"].(string)
	states, _ := raw["States"].(map[string]any)
	for name, v := range states {
		sraw, _ := v.(map[string]any)
		s, err := compileState(name, sraw, lang, ptr+"/States/"+name)
		if err != nil {
			return nil, err
		}
		m.states[name] = s
		m.order = append(m.order, name)
	}
	sort.Strings(m.order)
	m.pure = true
	for _, s := range m.states {
		switch s.typ {
		case "Pass", "Choice", "Succeed", "Fail":
		default:
			m.pure = false
		}
	}
	return m, nil
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func compileOptPath(m map[string]any, k string) (optPath, error) {
	v, ok := m[k]
	if !ok {
		return optPath{}, nil
	}
	if v == nil {
		return optPath{null: true}, nil
	}
	s, _ := v.(string)
	p, err := jsonpath.Compile(s)
	if err != nil {
		return optPath{}, fmt.Errorf("%s: %w", k, err)
	}
	return optPath{p: p}, nil
}

func compilePath(m map[string]any, k string) (*jsonpath.Path, error) {
	s, ok := m[k].(string)
	if !ok {
		return nil, nil
	}
	p, err := jsonpath.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k, err)
	}
	return p, nil
}

func intPtr(m map[string]any, k string) *int64 {
	if f, ok := m[k].(float64); ok {
		n := int64(f)
		return &n
	}
	return nil
}

func compileState(name string, raw map[string]any, lang, ptr string) (*state, error) {
	s := &state{name: name, typ: str(raw, "Type"), next: str(raw, "Next"), raw: raw, lang: lang}
	s.enteredType, s.exitedType = eventtype.StateEntered(s.typ), eventtype.StateExited(s.typ)
	if ql := str(raw, "QueryLanguage"); ql != "" {
		s.lang = ql
	}
	s.end, _ = raw["End"].(bool)
	switch s.typ {
	case "Task":
		s.task = &taskFields{}
	case "Choice":
		s.choice = &choiceFields{}
	case "Wait":
		s.wait = &waitFields{}
	case "Fail":
		s.fail = &failFields{}
	case "Parallel":
		s.parallel = &parallelFields{}
	case "Map":
		s.mapState = &mapFields{}
	}
	for _, compile := range []func(*state, map[string]any, string) error{
		(*state).compileDataFlow,
		(*state).compileTask,
		(*state).compileRetryCatch,
		(*state).compileChoice,
		(*state).compileWait,
		(*state).compileFail,
		(*state).compileParallel,
		(*state).compileMap,
	} {
		if err := compile(s, raw, ptr); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// compileDataFlow compiles the paths, templates, Assign and JSONata
// fields that every state type may have.
func (s *state) compileDataFlow(raw map[string]any, ptr string) error {
	var err error
	if s.inputPath, err = compileOptPath(raw, "InputPath"); err != nil {
		return fmt.Errorf("%s: %w", ptr, err)
	}
	if s.outputPath, err = compileOptPath(raw, "OutputPath"); err != nil {
		return fmt.Errorf("%s: %w", ptr, err)
	}
	if s.resultPath, err = compileOptPath(raw, "ResultPath"); err != nil {
		return fmt.Errorf("%s: %w", ptr, err)
	}
	if v, ok := raw["Parameters"]; ok {
		if s.parameters, err = compileTmpl(v); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
	}
	if v, ok := raw["ResultSelector"]; ok {
		if s.resultSel, err = compileTmpl(v); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
	}
	s.result, s.hasResult = raw["Result"]
	s.assign = raw["Assign"]
	if s.compiledAssign, err = compileAssign(raw["Assign"], s.lang); err != nil {
		return fmt.Errorf("%s: %w", ptr, err)
	}
	if s.lang == langJSONata {
		if s.j, err = compileJFields(raw); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
	}
	s.jsonataArgs = raw["Arguments"]
	s.output, s.hasOutput = raw["Output"]
	return nil
}

// compileTask compiles a Task state's resource and timeouts.
func (s *state) compileTask(raw map[string]any, ptr string) error {
	if s.task == nil {
		return nil
	}
	var err error
	s.task.resource = str(raw, "Resource")
	s.task.credentials = raw["Credentials"]
	if v, ok := raw["TimeoutSeconds"]; ok {
		s.task.timeoutExpr = v
		s.task.timeout = intPtr(raw, "TimeoutSeconds")
	}
	if v, ok := raw["HeartbeatSeconds"]; ok {
		s.task.heartbeatExpr = v
		s.task.heartbeat = intPtr(raw, "HeartbeatSeconds")
	}
	if s.task.timeoutPath, err = compilePath(raw, "TimeoutSecondsPath"); err != nil {
		return fmt.Errorf("%s: %w", ptr, err)
	}
	if s.task.heartbeatPath, err = compilePath(raw, "HeartbeatSecondsPath"); err != nil {
		return fmt.Errorf("%s: %w", ptr, err)
	}
	return nil
}

// compileRetryCatch compiles Retry and Catch.
func (s *state) compileRetryCatch(raw map[string]any, ptr string) error {
	var err error
	for _, r := range asList(raw["Retry"]) {
		rm, _ := r.(map[string]any)
		rt := &retrier{interval: 1, maxAttempts: 3, backoff: 2}
		for _, e := range asList(rm["ErrorEquals"]) {
			es, _ := e.(string)
			rt.errors = append(rt.errors, es)
		}
		if f, ok := rm["IntervalSeconds"].(float64); ok {
			rt.interval = f
		}
		if f, ok := rm["MaxAttempts"].(float64); ok {
			rt.maxAttempts = int(f)
		}
		if f, ok := rm["BackoffRate"].(float64); ok {
			rt.backoff = f
		}
		if f, ok := rm["MaxDelaySeconds"].(float64); ok {
			rt.maxDelay, rt.hasMaxDelay = f, true
		}
		rt.jitter = str(rm, "JitterStrategy") == "FULL"
		s.retry = append(s.retry, rt)
	}
	for _, c := range asList(raw["Catch"]) {
		cm, _ := c.(map[string]any)
		ct := &catcher{next: str(cm, "Next"), assign: cm["Assign"]}
		ct.output, ct.hasOutput = cm["Output"]
		for _, e := range asList(cm["ErrorEquals"]) {
			es, _ := e.(string)
			ct.errors = append(ct.errors, es)
		}
		if ct.resultPath, err = compileOptPath(cm, "ResultPath"); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		if ct.compiledAssign, err = compileAssign(cm["Assign"], s.lang); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		if s.lang == langJSONata {
			if ct.outputJ, err = compileJSONataField(cm, "Output"); err != nil {
				return fmt.Errorf("%s: %w", ptr, err)
			}
		}
		s.catch = append(s.catch, ct)
	}
	return nil
}

// compileChoice compiles a Choice state's rules.
func (s *state) compileChoice(raw map[string]any, ptr string) error {
	if s.choice == nil {
		return nil
	}
	for _, c := range asList(raw["Choices"]) {
		cm, _ := c.(map[string]any)
		r, err := compileRule(cm)
		if err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		r.next = str(cm, "Next")
		r.assign = cm["Assign"]
		if r.compiledAssign, err = compileAssign(cm["Assign"], s.lang); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		if s.lang == langJSONata {
			if r.condJ, err = compileJSONataField(cm, "Condition"); err != nil {
				return fmt.Errorf("%s: %w", ptr, err)
			}
			if r.outputJ, err = compileJSONataField(cm, "Output"); err != nil {
				return fmt.Errorf("%s: %w", ptr, err)
			}
		}
		r.output, r.hasOutput = cm["Output"]
		s.choice.choices = append(s.choice.choices, r)
	}
	s.choice.defaultNext = str(raw, "Default")
	return nil
}

// compileWait compiles a Wait state's fields.
func (s *state) compileWait(raw map[string]any, ptr string) error {
	if s.wait == nil {
		return nil
	}
	var err error
	s.wait.seconds, s.wait.hasSeconds = raw["Seconds"]
	s.wait.timestamp, s.wait.hasTimestamp = raw["Timestamp"]
	if s.wait.secondsPath, err = compilePath(raw, "SecondsPath"); err != nil {
		return fmt.Errorf("%s: %w", ptr, err)
	}
	if s.wait.timestampPath, err = compilePath(raw, "TimestampPath"); err != nil {
		return fmt.Errorf("%s: %w", ptr, err)
	}
	return nil
}

// compileFail compiles a Fail state's Error and Cause.
func (s *state) compileFail(raw map[string]any, ptr string) error {
	var err error
	if s.fail != nil {
		if v, ok := raw["Error"].(string); ok {
			s.fail.errorLit = &v
		}
		if v, ok := raw["Cause"].(string); ok {
			s.fail.causeLit = &v
		}
		s.fail.errorExpr, s.fail.causeExpr = raw["Error"], raw["Cause"]
		if v, ok := raw["ErrorPath"].(string); ok {
			if s.fail.errorPath, err = compileTmpl(map[string]any{"v.$": v}); err != nil {
				return fmt.Errorf("%s: %w", ptr, err)
			}
		}
		if v, ok := raw["CausePath"].(string); ok {
			if s.fail.causePath, err = compileTmpl(map[string]any{"v.$": v}); err != nil {
				return fmt.Errorf("%s: %w", ptr, err)
			}
		}
	}
	return nil
}

// compileParallel compiles a Parallel state's branches.
func (s *state) compileParallel(raw map[string]any, ptr string) error {
	if s.parallel == nil {
		return nil
	}
	for i, b := range asList(raw["Branches"]) {
		bm, _ := b.(map[string]any)
		sub, err := compileMachine(bm, s.lang, fmt.Sprintf("%s/Branches/%d", ptr, i))
		if err != nil {
			return err
		}
		s.parallel.branches = append(s.parallel.branches, sub)
	}
	return nil
}

// compileMap compiles a Map state's processor and item fields.
func (s *state) compileMap(raw map[string]any, ptr string) error {
	var err error
	if s.mapState != nil {
		proc, _ := raw["ItemProcessor"].(map[string]any)
		if proc == nil {
			proc, _ = raw["Iterator"].(map[string]any)
		}
		if proc != nil {
			if s.mapState.processor, err = compileMachine(proc, s.lang, ptr+"/ItemProcessor"); err != nil {
				return err
			}
			if pc, ok := proc["ProcessorConfig"].(map[string]any); ok {
				s.mapState.distributed = str(pc, "Mode") == "DISTRIBUTED"
				s.mapState.childType = str(pc, "ExecutionType")
			}
		}
		if s.mapState.itemsPath, err = compileOptPath(raw, "ItemsPath"); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		sel, ok := raw["ItemSelector"]
		if !ok && s.lang == langJSONPath {
			sel, ok = raw["Parameters"]
			s.parameters = nil
		}
		if ok && s.lang == langJSONPath {
			if s.mapState.itemSelector, err = compileTmpl(sel); err != nil {
				return fmt.Errorf("%s: %w", ptr, err)
			}
		}
		s.mapState.items, s.mapState.hasItems = raw["Items"]
		if f, ok := raw["MaxConcurrency"].(float64); ok {
			s.mapState.maxConc = int64(f)
		}
		s.mapState.maxConcExpr = raw["MaxConcurrency"]
		if s.mapState.maxConcPath, err = compilePath(raw, "MaxConcurrencyPath"); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		s.mapState.tolCount = intPtr(raw, "ToleratedFailureCount")
		if f, ok := raw["ToleratedFailurePercentage"].(float64); ok {
			s.mapState.tolPct = &f
		}
		s.mapState.tolCountExpr = raw["ToleratedFailureCount"]
		s.mapState.tolPctExpr = raw["ToleratedFailurePercentage"]
		if s.mapState.tolCountPath, err = compilePath(raw, "ToleratedFailureCountPath"); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		if s.mapState.tolPctPath, err = compilePath(raw, "ToleratedFailurePercentagePath"); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		s.mapState.label = str(raw, "Label")
		s.mapState.itemReader, _ = raw["ItemReader"].(map[string]any)
		s.mapState.itemBatcher, _ = raw["ItemBatcher"].(map[string]any)
		s.mapState.resultWriter, _ = raw["ResultWriter"].(map[string]any)
		if s.mapState.itemReader != nil || s.mapState.resultWriter != nil {
			s.mapState.distributed = true
		}
	}
	return nil
}

func asList(v any) []any { l, _ := v.([]any); return l }

// tmpl is a compiled JSONPath payload template (Parameters, ResultSelector,
// ItemSelector): literal values, ".$" fields with paths or intrinsic
// functions, nested objects and arrays.
type tmpl struct {
	lit    any
	isLit  bool
	fields []tmplField
	items  []*tmpl
	isArr  bool
}

type tmplField struct {
	key  string // output key
	src  string // key as written
	expr string // path or intrinsic text for ".$" fields
	path *jsonpath.Path
	fn   *intrinsic.Expr
	sub  *tmpl
}

func compileTmpl(v any) (*tmpl, error) {
	switch v := v.(type) {
	case map[string]any:
		t := &tmpl{}
		static := true
		for k, fv := range v {
			f := tmplField{key: k, src: k}
			if strings.HasSuffix(k, ".$") {
				static = false
				f.key = strings.TrimSuffix(k, ".$")
				s, _ := fv.(string)
				f.expr = s
				if intrinsic.IsIntrinsic(s) {
					fn, err := intrinsic.Parse(s)
					if err != nil {
						return nil, fmt.Errorf("%s: %w", k, err)
					}
					f.fn = fn
				} else {
					p, err := jsonpath.Compile(s)
					if err != nil {
						return nil, fmt.Errorf("%s: %w", k, err)
					}
					f.path = p
				}
			} else {
				sub, err := compileTmpl(fv)
				if err != nil {
					return nil, err
				}
				if !sub.isLit {
					static = false
				}
				f.sub = sub
			}
			t.fields = append(t.fields, f)
		}
		if static {
			return &tmpl{lit: v, isLit: true}, nil
		}
		return t, nil
	case []any:
		t := &tmpl{isArr: true}
		static := true
		for _, iv := range v {
			sub, err := compileTmpl(iv)
			if err != nil {
				return nil, err
			}
			if !sub.isLit {
				static = false
			}
			t.items = append(t.items, sub)
		}
		if static {
			return &tmpl{lit: v, isLit: true}, nil
		}
		return t, nil
	}
	return &tmpl{lit: v, isLit: true}, nil
}

// choiceRule is a compiled Choice rule.
type choiceRule struct {
	variable       *jsonpath.Path
	op             string // e.g. "StringEquals", "NumericLessThanPath", "IsNull"
	val            any
	valPath        *jsonpath.Path
	and, or        []*choiceRule
	not            *choiceRule
	condition      any // JSONata Condition
	next           string
	assign         any
	output         any
	hasOutput      bool
	pattern        string
	condJ          *jsonataTmpl
	outputJ        *jsonataTmpl
	compiledAssign *assignBlock
}

func compileRule(m map[string]any) (*choiceRule, error) {
	r := &choiceRule{}
	if v, ok := m["Condition"]; ok {
		r.condition = v
		return r, nil
	}
	for _, k := range []string{"And", "Or"} {
		for _, sub := range asList(m[k]) {
			sm, _ := sub.(map[string]any)
			c, err := compileRule(sm)
			if err != nil {
				return nil, err
			}
			if k == "And" {
				r.and = append(r.and, c)
			} else {
				r.or = append(r.or, c)
			}
		}
		if _, ok := m[k]; ok {
			r.op = k
			return r, nil
		}
	}
	if sub, ok := m["Not"].(map[string]any); ok {
		c, err := compileRule(sub)
		if err != nil {
			return nil, err
		}
		r.not, r.op = c, "Not"
		return r, nil
	}
	var err error
	if v, ok := m["Variable"].(string); ok {
		if r.variable, err = jsonpath.Compile(v); err != nil {
			//lint:ignore ST1005 starts with the ASL field name
			return nil, fmt.Errorf("Variable: %w", err)
		}
	}
	for k, v := range m {
		switch k {
		case "Variable", "Next", "Comment", "Assign", "Output":
			continue
		}
		r.op = k
		r.val = v
		if strings.HasSuffix(k, "Path") {
			s, _ := v.(string)
			if r.valPath, err = jsonpath.Compile(s); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
		}
		if k == "StringMatches" {
			r.pattern, _ = v.(string)
		}
	}
	return r, nil
}
