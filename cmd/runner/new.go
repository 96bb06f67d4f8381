package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

// registryFile is the Go step registry, and registryMarker the comment that
// closes its table: `runner new step` inserts the new step's line above it.
const (
	registryFile   = "steps/steps.go"
	registryMarker = "// runner new step: new steps go above this line."
)

func newNewCmd() *command {
	return &command{
		name: "new", args: "workflow|step|activity <name> [--dir CHECKOUT]",
		summary: "Scaffold a workflow (statemachine/<name>.asl.json calling step <name>, and its Go test), a step (steps/<name>: typed handler and test, its steps.json entry and registry line) or an activity for work longer than Lambda's 15 minutes (steps/<name>: handler and tests, cmd/<name>-worker, its steps.json entry); the files pass `runner validate` and `go test` and run on `runner up`.",
		examples: []string{
			"runner new workflow invoices && runner new step invoices",
			"runner validate && go test ./steps/invoices/...",
			"runner up   # then, in another terminal: runner start invoices --input '{\"name\": \"Ada\", \"times\": 2}' --wait",
			"runner new activity encode-video && go test ./steps/encode-video/...",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			dir := fs.String("dir", "", "the checkout to add the files to (default: the one around the current directory)")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 1, 2, "what to create: workflow, step or activity"); err != nil {
					return err
				}
				kind := args[0]
				if kind != "workflow" && kind != "step" && kind != "activity" {
					return usagef("want workflow, step or activity, not %q", kind)
				}
				if len(args) < 2 {
					return usagef("missing the %s name", kind)
				}
				name := args[1]
				if !workflow.NamePattern.MatchString(name) {
					return usagef("%s name %q must match %s (lower-case letters, digits and '-', starting with a letter, at most 40 characters)", kind, name, workflow.NamePattern)
				}
				if kind != "workflow" && token.IsKeyword(goPackage(name)) {
					return usagef("%s name %q makes the Go package name %q, a Go keyword: pick another name", kind, name, goPackage(name))
				}
				root, err := checkoutRoot(*dir)
				if err != nil {
					return err
				}
				var files []string
				switch kind {
				case "workflow":
					files, err = newWorkflow(root, name)
				case "step":
					files, err = newStep(root, name)
				default:
					files, err = newActivity(root, name)
				}
				if err != nil {
					return err
				}
				return a.emit(map[string]any{"kind": kind, "name": name, "files": files}, func(w io.Writer) {
					for _, f := range files {
						verb := "wrote"
						if f == workflow.StepsFile || f == registryFile {
							verb = "added " + name + " to"
						}
						fmt.Fprintln(w, verb, f)
					}
					if kind == "activity" {
						printNextActivity(w, name)
						return
					}
					printNext(w, root, kind, name)
				})
			}
		},
	}
}

// printNext says what to do after the scaffold.
func printNext(w io.Writer, root, kind, name string) {
	_, err := os.Stat(filepath.Join(root, "steps", name, goPackage(name)+".go"))
	hasStep := err == nil
	_, err = os.Stat(filepath.Join(root, workflow.Dir, name+workflow.DefinitionSuffix))
	hasWorkflow := err == nil
	fmt.Fprintln(w, "next:")
	switch {
	case !hasStep:
		fmt.Fprintf(w, "  runner new step %s    # the step the workflow calls\n", name)
	case !hasWorkflow:
		fmt.Fprintf(w, "  runner new workflow %s    # a workflow that calls it (or call ${%s} from yours)\n", name, camel(name)+"FunctionArn")
		fmt.Fprintf(w, "  go test ./steps/%s/...\n", name)
	default:
		fmt.Fprintf(w, "  runner validate && go test ./steps/%s/...\n", name)
		fmt.Fprintf(w, "  runner up    # then: runner start %s --input '{\"name\": \"Ada\", \"times\": 2}' --wait\n", name)
	}
}

// printNextActivity says what to do after `runner new activity`.
func printNextActivity(w io.Writer, name string) {
	fmt.Fprintln(w, "next:")
	fmt.Fprintf(w, "  go test ./steps/%s/...    # the handler, and the activity as a workflow's Task on virtual time\n", name)
	fmt.Fprintf(w, "  name it in a workflow: \"Resource\": \"${%sActivityArn}\", with HeartbeatSeconds and TimeoutSeconds\n", camel(name))
	fmt.Fprintf(w, "  runner up    # prints: activity arn:aws:states:...:activity:stepwise-%s\n", name)
	fmt.Fprintf(w, "  AWS_ENDPOINT_URL_SFN=http://127.0.0.1:8083 go run ./cmd/%s-worker --activity-arn <that ARN>\n", name)
}

// checkoutRoot is dir, or the checkout around the current directory: the
// nearest directory upwards with go.mod, steps/steps.json and the registry.
func checkoutRoot(dir string) (string, error) {
	isRoot := func(d string) bool {
		for _, f := range []string{"go.mod", workflow.StepsFile, registryFile} {
			if _, err := os.Stat(filepath.Join(d, f)); err != nil {
				return false
			}
		}
		return true
	}
	if dir != "" {
		if !isRoot(dir) {
			return "", usagef("--dir %s is not a Stepwise checkout (it needs go.mod, %s and %s)", dir, workflow.StepsFile, registryFile)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isRoot(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no Stepwise checkout around %s (a directory with go.mod, %s and %s): run this in your checkout, or pass --dir", wd, workflow.StepsFile, registryFile)
		}
	}
}

// goPackage is the Go package name of step name ("my-step" → "mystep").
func goPackage(name string) string { return strings.ReplaceAll(name, "-", "") }

// camel is name in CamelCase ("my-step" → "MyStep"), as the ARN
// placeholders are written.
func camel(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// modulePath reads the module path from root's go.mod.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			if p, err := strconv.Unquote(strings.TrimSpace(rest)); err == nil {
				return p, nil
			}
			return strings.TrimSpace(rest), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", filepath.Join(root, "go.mod"))
}

// scaffold is the data the templates are filled with.
type scaffold struct {
	Name, Package, Camel, Placeholder, Module string
}

func newScaffold(root, name string) (*scaffold, error) {
	mod, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	s := &scaffold{Name: name, Package: goPackage(name), Camel: camel(name), Module: mod}
	s.Placeholder = s.Camel + "FunctionArn"
	// A step listed already keeps its placeholder.
	if steps, err := readStepsFile(root); err == nil {
		if st, ok := steps[name]; ok && st.ArnPlaceholder != "" {
			s.Placeholder = st.ArnPlaceholder
		}
	}
	return s, nil
}

// stepSettings is the part of a steps.json entry the scaffold reads.
type stepSettings struct {
	ArnPlaceholder string `json:"arn_placeholder"`
}

func readStepsFile(root string) (map[string]stepSettings, error) {
	data, err := os.ReadFile(filepath.Join(root, workflow.StepsFile))
	if err != nil {
		return nil, err
	}
	doc, err := parseStepsDoc(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workflow.StepsFile, err)
	}
	return doc.Steps, nil
}

// newWorkflow writes statemachine/<name>.asl.json and the workflow's Go
// test (steps/<name>/workflow_test.go: the sfntest harness runs the definition
// with the step's real handler); it refuses to overwrite either.
func newWorkflow(root, name string) ([]string, error) {
	s, err := newScaffold(root, name)
	if err != nil {
		return nil, err
	}
	matches, err := filepath.Glob(filepath.Join(root, workflow.Dir, name+".*json"))
	if err != nil {
		return nil, err
	}
	for _, m := range matches {
		rel, _ := filepath.Rel(root, m)
		if strings.TrimPrefix(filepath.Base(m), name) == workflow.DefinitionSuffix {
			return nil, fmt.Errorf("workflow %q exists already: %s (not overwritten; pick another name, or edit it)", name, filepath.ToSlash(rel))
		}
	}
	files := []newFile{
		{path: workflow.Dir + "/" + name + workflow.DefinitionSuffix, tmpl: workflowTemplate},
		{path: "steps/" + name + "/workflow_test.go", tmpl: workflowTestTemplate, gofmt: true},
	}
	return writeNewFiles(root, s, files)
}

// newStep writes steps/<name> (the typed handler and its test), adds the
// step to steps/steps.json (one inserted line: the file's formatting is
// kept) and to the registry in steps/steps.go (one line above the marker,
// and its import). It refuses to overwrite a file or an existing step.
func newStep(root, name string) ([]string, error) {
	s, err := newScaffold(root, name)
	if err != nil {
		return nil, err
	}
	stepsPath := filepath.Join(root, workflow.StepsFile)
	stepsJSON, err := os.ReadFile(stepsPath)
	if err != nil {
		return nil, err
	}
	newStepsJSON, err := insertStep(stepsJSON, name, s.Placeholder)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workflow.StepsFile, err)
	}
	regPath := filepath.Join(root, registryFile)
	reg, err := os.ReadFile(regPath)
	if err != nil {
		return nil, err
	}
	newReg, err := insertRegistry(reg, name, s.Package, s.Module+"/steps/"+name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", registryFile, err)
	}
	files := []newFile{
		{path: "steps/" + name + "/" + s.Package + ".go", tmpl: stepTemplate, gofmt: true},
		{path: "steps/" + name + "/" + s.Package + "_test.go", tmpl: stepTestTemplate, gofmt: true},
	}
	written, err := writeNewFiles(root, s, files)
	if err != nil {
		return nil, err
	}
	undo := func(err error) ([]string, error) {
		for _, f := range written {
			os.Remove(filepath.Join(root, f))
		}
		return nil, err
	}
	if err := replaceFile(stepsPath, newStepsJSON); err != nil {
		return undo(err)
	}
	if err := replaceFile(regPath, newReg); err != nil {
		replaceFile(stepsPath, stepsJSON)
		return undo(err)
	}
	return append(written, workflow.StepsFile, registryFile), nil
}

// newActivity writes steps/<name> (the activity's handler and its tests)
// and cmd/<name>-worker (the program that polls for its tasks), and adds
// the activity to the "activities" of steps/steps.json (created if
// missing; the file's formatting is kept). It refuses to overwrite a file
// or an existing step or activity of that name.
func newActivity(root, name string) ([]string, error) {
	s, err := newScaffold(root, name)
	if err != nil {
		return nil, err
	}
	s.Placeholder = s.Camel + "ActivityArn"
	stepsPath := filepath.Join(root, workflow.StepsFile)
	stepsJSON, err := os.ReadFile(stepsPath)
	if err != nil {
		return nil, err
	}
	newStepsJSON, err := insertActivity(stepsJSON, name, s.Placeholder)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workflow.StepsFile, err)
	}
	files := []newFile{
		{path: "steps/" + name + "/" + s.Package + ".go", tmpl: activityTemplate, gofmt: true},
		{path: "steps/" + name + "/" + s.Package + "_test.go", tmpl: activityTestTemplate, gofmt: true},
		{path: "cmd/" + name + "-worker/main.go", tmpl: workerTemplate, gofmt: true},
	}
	written, err := writeNewFiles(root, s, files)
	if err != nil {
		return nil, err
	}
	if err := replaceFile(stepsPath, newStepsJSON); err != nil {
		for _, f := range written {
			os.Remove(filepath.Join(root, f))
		}
		return nil, err
	}
	return append(written, workflow.StepsFile), nil
}

// newFile is one file a scaffold creates.
type newFile struct {
	path  string // slash-separated, relative to the checkout
	tmpl  string
	gofmt bool
}

// writeNewFiles renders every file first, then creates them, none of
// which may exist; on an error the files already created are removed.
func writeNewFiles(root string, s *scaffold, files []newFile) ([]string, error) {
	contents := make([][]byte, len(files))
	for i, f := range files {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f.path))); err == nil {
			return nil, fmt.Errorf("%s exists already (not overwritten): remove it, or pick another name", f.path)
		}
		var b bytes.Buffer
		t := template.Must(template.New(f.path).Delims("[[", "]]").Parse(f.tmpl))
		if err := t.Execute(&b, s); err != nil {
			return nil, err
		}
		contents[i] = b.Bytes()
		if f.gofmt {
			src, err := format.Source(contents[i])
			if err != nil {
				return nil, fmt.Errorf("%s: the scaffold is not valid Go (a bug in runner new): %w", f.path, err)
			}
			contents[i] = src
		}
	}
	var written []string
	for i, f := range files {
		path := filepath.Join(root, filepath.FromSlash(f.path))
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		var out *os.File
		if err == nil {
			out, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		}
		if err == nil {
			_, err = out.Write(contents[i])
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			for _, w := range written {
				os.Remove(filepath.Join(root, filepath.FromSlash(w)))
			}
			return nil, err
		}
		written = append(written, f.path)
	}
	return written, nil
}

// replaceFile replaces path's content atomically, keeping its mode.
func replaceFile(path string, data []byte) error {
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// stepsDoc is the part of a steps.json text the scaffolds check.
type stepsDoc struct {
	Steps      map[string]stepSettings `json:"steps"`
	Activities map[string]stepSettings `json:"activities"`
}

func parseStepsDoc(data []byte) (*stepsDoc, error) {
	var d stepsDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// placeholderFree reports the step or activity that has placeholder
// already: one name stands for one ARN.
func (d *stepsDoc) placeholderFree(placeholder string) error {
	for h, st := range d.Steps {
		if st.ArnPlaceholder == placeholder {
			return fmt.Errorf("/steps/%s/arn_placeholder: %s is taken already by step %q: pick another name", h, placeholder, h)
		}
	}
	for a, st := range d.Activities {
		if st.ArnPlaceholder == placeholder {
			return fmt.Errorf("/activities/%s/arn_placeholder: %s is taken already by activity %q: pick another name", a, placeholder, a)
		}
	}
	return nil
}

// insertStep adds step name to the "steps" object of a steps.json text as
// one new line after the last entry, indented and aligned like it, so that
// the file keeps its hand-made layout (a re-marshal would lose it).
func insertStep(data []byte, name, placeholder string) ([]byte, error) {
	doc, err := parseStepsDoc(data)
	if err != nil {
		return nil, err
	}
	if _, ok := doc.Steps[name]; ok {
		return nil, fmt.Errorf("/steps/%s: step %q is listed already (not changed; pick another name)", name, name)
	}
	if err := doc.placeholderFree(placeholder); err != nil {
		return nil, err
	}
	open, end, err := topObject(data, "steps")
	if err != nil {
		return nil, err
	}
	entry := fmt.Sprintf(`{"arn_placeholder": %q, "memory_mb": 256, "timeout_seconds": 60, "description": %q}`,
		placeholder, "Scaffolded by runner new step "+name+": say what it does.")
	return insertEntry(data, open, end, name, entry), nil
}

// insertActivity adds activity name to the "activities" object of a
// steps.json text, creating the object after the last top-level member
// when there is none; the file keeps its layout.
func insertActivity(data []byte, name, placeholder string) ([]byte, error) {
	doc, err := parseStepsDoc(data)
	if err != nil {
		return nil, err
	}
	if _, ok := doc.Activities[name]; ok {
		return nil, fmt.Errorf("/activities/%s: activity %q is listed already (not changed; pick another name)", name, name)
	}
	if _, ok := doc.Steps[name]; ok {
		return nil, fmt.Errorf("/steps/%s: %q is a Lambda step already: pick another name for the activity", name, name)
	}
	if err := doc.placeholderFree(placeholder); err != nil {
		return nil, err
	}
	entry := fmt.Sprintf(`{"arn_placeholder": %q, "description": %q}`, placeholder, "Scaffolded by runner new activity "+name+": say what it does.")
	open, end, err := topObject(data, "activities")
	if err == nil {
		return insertEntry(data, open, end, name, entry), nil
	}
	// No "activities" yet: a new member after the root object's last one,
	// indented like the root's members.
	rootEnd := bytes.LastIndexByte(data, '}')
	if rootEnd < 0 {
		return nil, errors.New("/: not a JSON object")
	}
	last := bytes.TrimRight(data[:rootEnd], " \t\r\n")
	indent := "  "
	if i := bytes.Index(data, []byte("\n")); i >= 0 && i+1 < len(data) {
		rest := data[i+1:]
		if n := len(rest) - len(bytes.TrimLeft(rest, " \t")); n > 0 {
			indent = string(rest[:n])
		}
	}
	member := ",\n" + indent + `"activities": {` + "\n" + indent + indent + strconv.Quote(name) + ": " + entry + "\n" + indent + "}"
	return slicesConcat(last, []byte(member), data[len(last):]), nil
}

// insertEntry adds "key": entry to the object whose braces are at open
// and end, as one new line after its last member, indented and aligned
// like it.
func insertEntry(data []byte, open, end int, name, entry string) []byte {
	body := data[open+1 : end]
	last := bytes.TrimRight(body, " \t\r\n")
	key := strconv.Quote(name) + ":"
	if len(bytes.TrimSpace(last)) == 0 {
		line := "\n    " + key + " " + entry
		return slicesConcat(data[:open+1], []byte(line), data[open+1:])
	}
	// Indent and align as the last entry's line.
	prevLine := last[bytes.LastIndexByte(last, '\n')+1:]
	indent := prevLine[:len(prevLine)-len(bytes.TrimLeft(prevLine, " \t"))]
	pad := 1
	if col := bytes.IndexByte(prevLine, '{'); col > len(indent)+len(key) {
		pad = col - len(indent) - len(key)
	}
	line := ",\n" + string(indent) + key + strings.Repeat(" ", pad) + entry
	at := open + 1 + len(last)
	return slicesConcat(data[:at], []byte(line), data[at:])
}

func slicesConcat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// topObject returns the offsets of the braces of the object that is the
// value of the top-level member key in a JSON text.
func topObject(data []byte, key string) (open, end int, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	want := false
	open = -1
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if want && depth == 2 && tok == json.Delim('{') {
				open = int(dec.InputOffset()) - 1
			}
			want = false
		case json.Delim('}'), json.Delim(']'):
			if depth == 2 && open >= 0 && tok == json.Delim('}') {
				return open, int(dec.InputOffset()) - 1, nil
			}
			depth--
		default:
			// At depth 1 keys and values alternate; the key is
			// followed by its value.
			if depth == 1 && !want {
				if s, ok := tok.(string); ok && s == key && dec.More() {
					want = true
					continue
				}
			}
			want = false
		}
	}
	return 0, 0, fmt.Errorf("/%s: no %s object", key, key)
}

// insertRegistry adds step name to the registry table (a line above the
// marker) and its package to the imports of steps/steps.go.
func insertRegistry(src []byte, name, pkg, importPath string) ([]byte, error) {
	f, err := parser.ParseFile(token.NewFileSet(), registryFile, src, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		used := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			used = im.Name.Name
		}
		if p == importPath {
			return nil, fmt.Errorf("imports %s already: step %q is registered (not changed)", importPath, name)
		}
		if used == pkg {
			return nil, fmt.Errorf("step %q would be package %s, which the registry imports already as %s: pick another name", name, pkg, p)
		}
	}
	text := string(src)
	if strings.Contains(text, strconv.Quote(name)+":") {
		return nil, fmt.Errorf("the registry has a step %q already (not changed)", name)
	}
	i := strings.Index(text, registryMarker)
	if i < 0 {
		return nil, fmt.Errorf("no marker line %q closing the registry table: add the step by hand (import %q, and the line %q: step(%s.New),)", registryMarker, importPath, name, pkg)
	}
	lineStart := strings.LastIndexByte(text[:i], '\n') + 1
	indent := text[lineStart:i]
	text = text[:lineStart] + indent + strconv.Quote(name) + ": step(" + pkg + ".New),\n" + text[lineStart:]
	imp := strings.Index(text, "\nimport (")
	if imp < 0 {
		return nil, fmt.Errorf("no import block: add the step by hand (import %q)", importPath)
	}
	end := strings.Index(text[imp:], "\n)")
	if end < 0 {
		return nil, errors.New("unterminated import block")
	}
	end += imp
	text = text[:end] + "\n\t" + strconv.Quote(importPath) + text[end:]
	out, err := format.Source([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("the registry does not parse after adding the step (add it by hand): %w", err)
	}
	return out, nil
}
