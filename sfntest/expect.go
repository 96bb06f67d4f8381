package sfntest

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Expectation is how a test case should end. A MockConfigFile says what
// the services answer, not what the execution should do; an expectations
// file beside it (<name>.expect.json: {"<machine>": {"<test case>":
// {"status": ..., "error": ..., "path": [...], "output": ...}}}) says that,
// for `runner test` and for tests that share it.
type Expectation struct {
	Status string          `json:"status"`
	Error  string          `json:"error,omitempty"`
	Path   []string        `json:"path,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
}

// Expectations are the expectations of a file, by state machine and test
// case.
type Expectations map[string]map[string]Expectation

// ParseExpectations reads an expectations file; name is used in errors.
func ParseExpectations(name string, b []byte) (Expectations, error) {
	var e Expectations
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%s: not an expectations file ({\"<machine>\": {\"<test case>\": {\"status\", \"error\", \"path\", \"output\"}}}): %v", name, err)
	}
	for m, cases := range e {
		for tc, x := range cases {
			switch x.Status {
			case "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED":
			default:
				return nil, fmt.Errorf("%s: /%s/%s/status: %q is not SUCCEEDED, FAILED, TIMED_OUT or ABORTED", name, esc(m), esc(tc), x.Status)
			}
		}
	}
	return e, nil
}

// Check lists how r differs from e ("" fields and empty lists are not
// checked).
func (r *Result) Check(e Expectation) []string {
	var diffs []string
	if r.Status != e.Status {
		diffs = append(diffs, fmt.Sprintf("status %s, want %s", r.Status, e.Status))
	}
	if e.Error != "" && r.Error != e.Error {
		diffs = append(diffs, fmt.Sprintf("error %q, want %q", r.Error, e.Error))
	}
	if len(e.Path) > 0 && strings.Join(e.Path, "\x00") != strings.Join(r.Path, "\x00") {
		diffs = append(diffs, fmt.Sprintf("path %s, want %s", r.pathString(), strings.Join(e.Path, " → ")))
	}
	if len(e.Output) > 0 {
		if d := jsonDiff(string(e.Output), r.Output); d != "" {
			diffs = append(diffs, "output differs (-want +got):\n"+d)
		}
	}
	return diffs
}

// ObjectsFrom fills the in-memory S3 from a directory tree:
// <dir>/<bucket>/<key...> becomes object <key> of <bucket>.
func ObjectsFrom(fsys fs.FS, dir string) Option {
	return func(c *config) error {
		return fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel := strings.TrimPrefix(p, dir+"/")
			bucket, key, ok := strings.Cut(rel, "/")
			if !ok {
				return fmt.Errorf("%s: a file directly under %s; put objects at %s/<bucket>/<key>", p, dir, dir)
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			c.objects = append(c.objects, object{bucket, path.Clean(key), b})
			return nil
		})
	}
}
