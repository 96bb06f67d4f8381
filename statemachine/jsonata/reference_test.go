package jsonata

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// TestReference checks expressions against results recorded from
// jsonata-js 2.0.6 (../shared/jsonata/oracle) in testdata/reference.jsonl:
// one {"expr", "input", "want"} per line, want being the oracle's response
// ({"result"}, {"undefined": true} or {"error": {"code"}}). It covers
// behaviour the suite leaves open: Unicode, number formatting, rounding,
// URL and base64 encoding.
func TestReference(t *testing.T) {
	f, err := os.Open("testdata/reference.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		var c struct {
			Expr  string         `json:"expr"`
			Input any            `json:"input"`
			Want  map[string]any `json:"want"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("testdata/reference.jsonl:%d: %v", line, err)
		}
		got, err := evalString(t, c.Expr, c.Input, nil)
		var je *Error
		switch {
		case c.Want["error"] != nil:
			code, _ := c.Want["error"].(map[string]any)["code"].(string)
			if !errors.As(err, &je) || je.Code != code {
				t.Errorf("line %d: %s = %s, want error %s", line, c.Expr, show(got, err), code)
			}
		case c.Want["undefined"] == true:
			if !errors.Is(err, ErrUndefined) {
				t.Errorf("line %d: %s = %s, want undefined", line, c.Expr, show(got, err))
			}
		default:
			if err != nil || !jsonEqual(got, c.Want["result"], false) {
				w, _ := json.Marshal(c.Want["result"])
				t.Errorf("line %d: %s = %s, want %s", line, c.Expr, show(got, err), w)
			}
		}
	}
}
