package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/internal/testenv"
	"github.com/stepwise-dev/stepwise/statemachine/jsonata"
)

func corpusDir() string {
	if d := testenv.Path("STEPWISE_CONFORMANCE_DIR"); d != "" {
		return d
	}
	return testenv.Shared("conformance")
}

type corpusCase struct {
	Name               string          `json:"name"`
	Category           string          `json:"category"`
	Kind               string          `json:"kind"`
	StateMachineType   string          `json:"state_machine_type"`
	Definition         json.RawMessage `json:"definition"`
	DefinitionIsString bool            `json:"definition_is_string"`
	StateMachines      []struct {
		Type       string          `json:"type"`
		Definition json.RawMessage `json:"definition"`
	} `json:"state_machines"`
	ExecutionType string `json:"execution_type"`
	Expected      struct {
		Recorded         json.RawMessage `json:"recorded"`
		ValidateResponse json.RawMessage `json:"validate_response"`
	} `json:"expected"`
}

func loadCases(t *testing.T, pattern string) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir(), "cases", pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("SKIPPED: no conformance cases match %s under %s (set STEPWISE_CONFORMANCE_DIR)", pattern, corpusDir())
	}
	var out []corpusCase
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c corpusCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, c)
	}
	return out
}

// definitionText returns the definition as AWS received it.
func (c corpusCase) definitionText(t *testing.T) []byte {
	if c.DefinitionIsString {
		var s string
		if err := json.Unmarshal(c.Definition, &s); err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}
	return c.Definition
}

// TestValidationCorpus reproduces every validation case recorded against
// AWS: CreateStateMachine InvalidDefinition messages and
// ValidateStateMachineDefinition diagnostics, exactly.
func TestValidationCorpus(t *testing.T) {
	cases := loadCases(t, "validation/*.json")
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ds := Definition(c.definitionText(t), Options{Type: c.StateMachineType})
			switch c.Kind {
			case "create_state_machine":
				var rec struct {
					ExceptionValue string `json:"exception_value"`
					Error          struct{ Message string }
				}
				if err := json.Unmarshal(c.Expected.Recorded, &rec); err != nil {
					t.Fatal(err)
				}
				want := rec.Error.Message
				if want == "" {
					_, want, _ = strings.Cut(rec.ExceptionValue, "CreateStateMachine operation: ")
				}
				if got := InvalidDefinitionMessage(ds); got != want {
					t.Errorf("InvalidDefinition message\n got %q\nwant %q", got, want)
				}
			case "validate_state_machine_definition":
				var resp struct {
					Result      string       `json:"result"`
					Diagnostics []Diagnostic `json:"diagnostics"`
				}
				if err := json.Unmarshal(c.Expected.ValidateResponse, &resp); err != nil {
					t.Fatal(err)
				}
				result := "OK"
				if HasErrors(ds) {
					result = "FAIL"
				}
				if ds == nil {
					ds = []Diagnostic{}
				}
				if result != resp.Result || !reflect.DeepEqual(ds, resp.Diagnostics) {
					t.Errorf("got %s %+v\nwant %s %+v", result, ds, resp.Result, resp.Diagnostics)
				}
			default:
				t.Fatalf("unknown validation kind %q", c.Kind)
			}
		})
	}
}

// TestNoFalsePositives validates every definition AWS accepted — each
// non-validation corpus case and its nested machines, and every benchmark
// workload — and expects no ERROR diagnostics.
func TestNoFalsePositives(t *testing.T) {
	t.Run("without JSONata checks", func(t *testing.T) { noFalsePositives(t, Options{}) })
	// As the engine runs it: every {% %} expression compiled by the
	// statemachine/jsonata package.
	t.Run("with JSONata checks", func(t *testing.T) {
		calls := 0
		noFalsePositives(t, Options{CheckJSONata: func(expr string) error {
			calls++
			_, err := jsonata.Compile(expr, jsonata.StepFunctions())
			return err
		}})
		if calls < 250 {
			t.Errorf("the JSONata hook ran %d times; the corpus and workloads hold about 300", calls)
		}
		t.Logf("compiled %d JSONata expressions", calls)
	})
}

func noFalsePositives(t *testing.T, opts Options) {
	cases := loadCases(t, "*/*.json")
	n := 0
	for _, c := range cases {
		if c.Category == "validation" {
			continue
		}
		typ := "STANDARD"
		if strings.HasPrefix(c.ExecutionType, "EXPRESS") {
			typ = "EXPRESS"
		}
		defs := []json.RawMessage{c.Definition}
		types := []string{typ}
		for _, sm := range c.StateMachines {
			defs = append(defs, sm.Definition)
			types = append(types, sm.Type)
		}
		for i, d := range defs {
			o := opts
			o.Type = types[i]
			if ds := Definition(d, o); HasErrors(ds) {
				t.Errorf("%s (machine %d): AWS accepted it, we report %v", c.Name, i, ds)
			}
			n++
		}
	}
	workloads, _ := filepath.Glob(filepath.Join(corpusDir(), "..", "bench", "workloads", "*.asl.json"))
	for _, f := range workloads {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if ds := Definition(raw, opts); HasErrors(ds) {
			t.Errorf("%s: %v", filepath.Base(f), ds)
		}
		n++
	}
	t.Logf("validated %d accepted definitions", n)
}
