package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Case is one conformance case: a definition, an input and the result AWS
// produced, as stored in shared/conformance/cases/<category>/<name>.json.
type Case struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	// File is the case's path relative to the corpus directory.
	File   string `json:"-"`
	Source struct {
		Test           string `json:"test"`
		ExecutionIndex int    `json:"execution_index"`
		RecordedDate   string `json:"recorded_date"` // "24-10-2023, 17:18:16"
	} `json:"source"`
	// Kind is set for validation cases: "create_state_machine" or
	// "validate_state_machine_definition".
	Kind             string `json:"kind"`
	StateMachineType string `json:"state_machine_type"`
	// ExecutionType is STANDARD, EXPRESS (async) or EXPRESS_SYNC.
	ExecutionType string `json:"execution_type"`
	// Definition is the definition's JSON text exactly as stored; when
	// DefinitionIsString is set it is a JSON string holding the raw text.
	Definition         json.RawMessage `json:"definition"`
	DefinitionIsString bool            `json:"definition_is_string"`
	// InputRaw is the exact input text sent, or nil when StartExecution was
	// called without input.
	InputRaw             *string           `json:"input_raw"`
	Expected             Expected          `json:"expected"`
	Lambdas              map[string]Lambda `json:"lambdas"`
	StateMachines        []NestedMachine   `json:"state_machines"`
	Features             []string          `json:"features"`
	SnapshotTransformers []map[string]any  `json:"snapshot_transformers"`
	Notes                []string          `json:"notes"`
	SkipVerify           []string          `json:"localstack_skip_snapshot_verify"`
	StateTypes           map[string]int    `json:"state_types"`

	// Activities are the emulated activity workers, by activity name.
	Activities map[string]ActivityWorker `json:"activities"`
}

// Expected holds the recorded results in snapshot form. Values stay raw
// JSON so that they can be decoded with json.Number precision.
type Expected struct {
	Status            string          `json:"status"`
	Output            json.RawMessage `json:"output"`
	Error             *string         `json:"error"`
	Cause             json.RawMessage `json:"cause"`
	History           json.RawMessage `json:"history"`
	DescribeExecution json.RawMessage `json:"describe_execution"`
	StartSync         json.RawMessage `json:"start_sync_execution"`
	EndEvent          json.RawMessage `json:"end_event"`
	Recorded          json.RawMessage `json:"recorded"`
	ValidateResponse  json.RawMessage `json:"validate_response"`
}

// Lambda describes one emulated Lambda function of a case; the map key in
// [Case.Lambdas] is the function name as the definition and input use it.
type Lambda struct {
	Behaviour string `json:"behaviour"`
	CodePath  string `json:"code_path"`
}

// Handler returns the handler's file name without extension (for example
// "raise_exception"), which selects the emulation in [Lambdas].
func (l Lambda) Handler() string {
	return strings.TrimSuffix(filepath.Base(l.CodePath), filepath.Ext(l.CodePath))
}

// NestedMachine is another state machine an sfn_nested case registers
// before it runs.
type NestedMachine struct {
	Arn        string          `json:"arn"`
	Type       string          `json:"type"`
	Definition json.RawMessage `json:"definition"`
}

// AliasName is the name of the state machine alias the recorded execution
// was started through (the last part of its DescribeExecution's
// stateMachineAliasArn), or "".
func (c *Case) AliasName() string {
	var d struct {
		Alias string `json:"stateMachineAliasArn"`
	}
	if len(c.Expected.DescribeExecution) == 0 || json.Unmarshal(c.Expected.DescribeExecution, &d) != nil || d.Alias == "" {
		return ""
	}
	return d.Alias[strings.LastIndexByte(d.Alias, ':')+1:]
}

// StartedThroughVersion reports whether the case's DescribeExecution names
// a state machine version but no alias: the execution was started with the
// version's ARN.
func (c *Case) StartedThroughVersion() bool {
	var d struct {
		Version string `json:"stateMachineVersionArn"`
		Alias   string `json:"stateMachineAliasArn"`
	}
	if len(c.Expected.DescribeExecution) == 0 || json.Unmarshal(c.Expected.DescribeExecution, &d) != nil {
		return false
	}
	return d.Version != "" && d.Alias == ""
}

// RecordedBefore reports whether the case was recorded before day (UTC);
// false when the recording date is unknown.
func (c *Case) RecordedBefore(day time.Time) bool {
	t, err := time.Parse("02-01-2006, 15:04:05", c.Source.RecordedDate)
	return err == nil && t.Before(day)
}

// ID is the case's subtest name, category/name.
func (c *Case) ID() string { return c.Category + "/" + c.Name }

// HasFeature reports whether the case's features list names f.
func (c *Case) HasFeature(f string) bool {
	for _, x := range c.Features {
		if x == f {
			return true
		}
	}
	return false
}

// HasNote reports whether one of the case's notes contains s.
func (c *Case) HasNote(s string) bool {
	for _, n := range c.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// expectedContains reports whether any recorded value's text contains s.
func (c *Case) expectedContains(s string) bool {
	e := c.Expected
	for _, raw := range []json.RawMessage{e.Output, e.Cause, e.History, e.DescribeExecution, e.StartSync, e.EndEvent} {
		if bytes.Contains(raw, []byte(s)) {
			return true
		}
	}
	return false
}

// DefinitionText returns the definition as the text to send to the engine.
func (c *Case) DefinitionText() (string, error) {
	if c.DefinitionIsString {
		var s string
		if err := json.Unmarshal(c.Definition, &s); err != nil {
			return "", fmt.Errorf("%s: definition_is_string but definition is not a JSON string: %w", c.File, err)
		}
		return s, nil
	}
	if len(bytes.TrimSpace(c.Definition)) == 0 {
		return "", fmt.Errorf("%s: no definition", c.File)
	}
	return string(c.Definition), nil
}

// Load reads every case under dir/cases, sorted by category then name. A
// file that is not a valid case is an error naming the file.
func Load(dir string) ([]*Case, error) {
	root := filepath.Join(dir, "cases")
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("conformance: list cases: %w", err)
	}
	var cases []*Case
	for _, f := range files {
		c, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		if rel, err := filepath.Rel(dir, f); err == nil {
			c.File = rel
		}
		cases = append(cases, c)
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].ID() < cases[j].ID() })
	return cases, nil
}

// LoadFile reads one case file.
func LoadFile(path string) (*Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	c := &Case{File: path}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("conformance: %s: %w", path, err)
	}
	if c.Name == "" || c.Category == "" {
		return nil, fmt.Errorf("conformance: %s: missing name or category", path)
	}
	if c.Expected.Status == "" {
		return nil, fmt.Errorf("conformance: %s: /expected/status is missing", path)
	}
	return c, nil
}

// decode parses JSON text into plain values, keeping numbers as json.Number
// so that comparisons can be numeric without losing precision.
func decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}
