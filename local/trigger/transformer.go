package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// InputTransformer is an EventBridge input transformer in the format of
// statemachine/export.trigger-input.json (Terraform's input_transformer
// block): named JSONPaths into the event and a template that uses them.
type InputTransformer struct {
	// InputPaths maps a variable name to a path into the event, "$" or
	// dotted names such as "$.detail.object.key".
	InputPaths map[string]string `json:"input_paths"`
	// InputTemplate is the input text with <name> placeholders. Outside a
	// JSON string a placeholder becomes the value's JSON (a string gets
	// quotes); inside a string it becomes the bare text. A path that is
	// absent from the event yields null (or nothing inside a string).
	// <aws.events.event> and <aws.events.event.json> are the whole event.
	InputTemplate string `json:"input_template"`

	paths map[string][]string
}

// LoadInputTransformer reads and checks an input transformer file.
func LoadInputTransformer(file string) (*InputTransformer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	t, err := ParseInputTransformer(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// ParseInputTransformer parses and checks an input transformer document.
func ParseInputTransformer(doc []byte) (*InputTransformer, error) {
	var t InputTransformer
	if err := json.Unmarshal(doc, &t); err != nil {
		return nil, fmt.Errorf("trigger: input transformer: %w", err)
	}
	if t.InputTemplate == "" {
		return nil, fmt.Errorf("trigger: input transformer: /input_template is missing or empty")
	}
	t.paths = make(map[string][]string, len(t.InputPaths))
	names := make([]string, 0, len(t.InputPaths))
	for n := range t.InputPaths {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		p := t.InputPaths[name]
		if name == "" || strings.HasPrefix(name, "aws.events.") {
			return nil, fmt.Errorf("trigger: input transformer: /input_paths: variable name %q is empty or reserved", name)
		}
		if p != "$" && !strings.HasPrefix(p, "$.") {
			return nil, fmt.Errorf("trigger: input transformer: /input_paths/%s: path %q must be \"$\" or start with \"$.\"", name, p)
		}
		var parts []string
		if p != "$" {
			parts = strings.Split(p[2:], ".")
			for _, part := range parts {
				if part == "" || strings.ContainsAny(part, "[]*'\"") {
					return nil, fmt.Errorf("trigger: input transformer: /input_paths/%s: path %q: only dotted member names are supported", name, p)
				}
			}
		}
		t.paths[name] = parts
	}
	return &t, nil
}

// Apply transforms a JSON event into the execution input.
func (t *InputTransformer) Apply(event []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var ev any
	if err := dec.Decode(&ev); err != nil {
		return "", fmt.Errorf("trigger: event is not valid JSON: %w", err)
	}
	return t.apply(ev, event)
}

func (t *InputTransformer) apply(ev any, raw []byte) (string, error) {
	tpl := t.InputTemplate
	var out strings.Builder
	inString := false
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		switch {
		case c == '\\' && inString && i+1 < len(tpl):
			out.WriteByte(c)
			i++
			out.WriteByte(tpl[i])
			continue
		case c == '"':
			inString = !inString
		case c == '<':
			end := strings.IndexByte(tpl[i:], '>')
			if end > 0 {
				name := tpl[i+1 : i+end]
				if v, ok := t.value(name, ev, raw); ok {
					out.WriteString(render(v, inString))
					i += end
					continue
				}
			}
		}
		out.WriteByte(c)
	}
	s := out.String()
	if !json.Valid([]byte(s)) {
		return "", fmt.Errorf("trigger: input template produced invalid JSON: %.200s", s)
	}
	return s, nil
}

// value returns the variable's value; ok is false for unknown names,
// which stay in the output as written.
func (t *InputTransformer) value(name string, ev any, raw []byte) (any, bool) {
	switch name {
	case "aws.events.event", "aws.events.event.json":
		return json.RawMessage(raw), true
	}
	parts, ok := t.paths[name]
	if !ok {
		return nil, false
	}
	v, found := lookup(ev, parts...)
	if !found {
		return nil, true
	}
	return v, true
}

func render(v any, inString bool) string {
	if inString {
		if s, ok := v.(string); ok {
			return quoteInner(s)
		}
		if v == nil {
			return ""
		}
		return quoteInner(encode(v))
	}
	return encode(v)
}

func encode(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// quoteInner returns s escaped for use inside a JSON string literal.
func quoteInner(s string) string {
	q := encode(s)
	return q[1 : len(q)-1]
}
