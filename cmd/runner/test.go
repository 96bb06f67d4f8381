package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/sfntest"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// mockConfigDir is where `runner test` finds the workflows' own mock
// config files (AWS Step Functions Local's MockConfigFile format), one or
// more per workflow: statemachine/tests/*.mock.json. A subdirectory, so
// that Terraform's discovery of statemachine/*.json never sees them.
const mockConfigDir = "statemachine/tests"

func newTestCmd() *command {
	return &command{
		name: "test", args: "[--mock-config FILE]... [--cover] [--cover-json FILE] [--cover-svg DIR]",
		summary: "Run every test case of the workflows' mock config files (Step Functions Local's MockConfigFile format) on virtual time: mocked states answer from the file, the others run the steps in-process over an in-memory S3; print pass/fail and, with --cover, coverage.",
		examples: []string{
			"runner test                       # every statemachine/tests/*.mock.json",
			"runner test --mock-config MockConfigFile.json --cover",
			"runner test --cover-json cover.json --cover-svg cover/",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var files multiFlag
			fs.Var(&files, "mock-config", "a mock config file to run (repeatable; default: every "+mockConfigDir+"/*.mock.json)")
			cover := fs.Bool("cover", false, "print the coverage table: states, Choice rules, retriers, catchers, branches")
			coverJSON := fs.String("cover-json", "", "write the coverage report as JSON to this file")
			coverSVG := fs.String("cover-svg", "", "draw each workflow's coverage as <dir>/<workflow>.cover.svg")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				return runWorkflowTests(ctx, a, files, *cover, *coverJSON, *coverSVG)
			}
		},
	}
}

// testCaseResult is one line of `runner test`.
type testCaseResult struct {
	Config   string   `json:"config"`
	Workflow string   `json:"workflow"`
	TestCase string   `json:"testCase"`
	Result   string   `json:"result"` // PASS or FAIL
	Status   string   `json:"status"`
	Error    string   `json:"error,omitempty"`
	Path     []string `json:"path"`
	Elapsed  string   `json:"virtualElapsed"`
	Problems []string `json:"problems,omitempty"`
}

// runWorkflowTests runs every test case of the mock config files. A case
// passes when its execution ends as <base>.expect.json beside the file
// says (without one, any ending: a MockConfigFile describes what services
// answer, not an outcome) and nothing went wrong in the harness (no token
// left unanswered, no unmocked call without a step, no panic). Objects
// under <base>.s3/<bucket>/<key> are put into the in-memory S3 first.
func runWorkflowTests(ctx context.Context, a *app, files []string, cover bool, coverJSON, coverSVG string) error {
	repo, err := workflowFiles()
	if err != nil {
		return err
	}
	type cfgFile struct {
		name   string
		cfg    *sfntest.MockConfig
		expect sfntest.Expectations
		fsys   fs.FS // where <base>.s3/ and <base>.expect.json are
		base   string
	}
	var cfgs []cfgFile
	for _, f := range files {
		c, err := sfntest.LoadMockConfig(f)
		if err != nil {
			return err
		}
		dir, file := filepath.Split(f)
		if dir == "" {
			dir = "."
		}
		cfgs = append(cfgs, cfgFile{name: f, cfg: c, fsys: os.DirFS(dir), base: strings.TrimSuffix(strings.TrimSuffix(file, ".json"), ".mock")})
	}
	if len(files) == 0 {
		names, _ := fs.Glob(repo, mockConfigDir+"/*.mock.json")
		if len(names) == 0 {
			return usagef("no mock config files: give --mock-config FILE or add %s/<workflow>.mock.json", mockConfigDir)
		}
		for _, n := range names {
			b, err := fs.ReadFile(repo, n)
			if err != nil {
				return err
			}
			c, err := sfntest.ParseMockConfig(n, b)
			if err != nil {
				return err
			}
			cfgs = append(cfgs, cfgFile{name: n, cfg: c, fsys: repo, base: strings.TrimSuffix(n, ".mock.json")})
		}
	}
	var results []testCaseResult
	failed := 0
	for i := range cfgs {
		cf := &cfgs[i]
		if b, err := fs.ReadFile(cf.fsys, cf.base+".expect.json"); err == nil {
			if cf.expect, err = sfntest.ParseExpectations(cf.base+".expect.json", b); err != nil {
				return err
			}
		}
		var seed []sfntest.Option
		if st, err := fs.Stat(cf.fsys, cf.base+".s3"); err == nil && st.IsDir() {
			seed = append(seed, sfntest.ObjectsFrom(cf.fsys, cf.base+".s3"))
		}
		for _, machine := range cf.cfg.Machines() {
			w, err := loadTestWorkflow(repo, cf.name, machine, seed)
			if err != nil {
				return err
			}
			for _, tc := range cf.cfg.TestCases(machine) {
				e, hasExpect := cf.expect[machine][tc]
				r, err := runTestCase(ctx, w, cf.cfg, machine, tc, e, hasExpect)
				if err != nil {
					return err
				}
				r.Config = cf.name
				if r.Result != "PASS" {
					failed++
				}
				results = append(results, r)
			}
		}
	}
	err = a.emit(map[string]any{"testCases": results, "coverage": coverageFor(cover || coverJSON != "")}, func(w io.Writer) {
		for _, r := range results {
			line := fmt.Sprintf("%-4s %s/%s: %s", r.Result, r.Workflow, r.TestCase, r.Status)
			if r.Error != "" {
				line += " " + r.Error
			}
			fmt.Fprintf(w, "%s (%s, virtual %s)\n", line, strings.Join(r.Path, " → "), r.Elapsed)
			for _, p := range r.Problems {
				fmt.Fprintf(w, "     problem: %s\n", p)
			}
		}
		fmt.Fprintf(w, "%d test cases, %d failed\n", len(results), failed)
	})
	if err != nil {
		return err
	}
	table := ""
	if cover && a.g.output != "json" {
		table = "1"
	}
	if err := sfntest.Report(a.stdout, table, coverJSON, coverSVG); err != nil {
		return err
	}
	if failed > 0 {
		return &exitStatus{code: 1, msg: fmt.Sprintf("%d of %d test cases failed", failed, len(results))}
	}
	return nil
}

func coverageFor(want bool) []*sfntest.Coverage {
	if !want {
		return nil
	}
	return sfntest.Coverages()
}

// loadTestWorkflow finds the workflow a mock config's state machine key
// names: statemachine/<name>.asl.json, the key being the workflow name or
// the deployed name stepwise-<name>. Unmocked Lambda steps run the
// project's steps in-process over the harness's in-memory S3.
func loadTestWorkflow(repo fs.FS, cfgName, machine string, seed []sfntest.Option) (*sfntest.Workflow, error) {
	name := strings.TrimPrefix(machine, "stepwise-")
	file := path.Join("statemachine", name+".asl.json")
	src, err := fs.ReadFile(repo, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: /StateMachines/%s: no workflow %s (%s does not exist)", cfgName, machine, name, file)
	}
	if err != nil {
		return nil, err
	}
	mem := objstore.NewMemory()
	env := &stepkit.Env{Store: mem, Bucket: sfntest.DefaultBucket, Log: io.Discard}
	opts := append([]sfntest.Option{sfntest.ObjectStore(mem)}, seed...)
	for n, h := range steps.New(env) {
		opts = append(opts, sfntest.Handler(n, h))
	}
	if b, err := fs.ReadFile(repo, "steps/steps.json"); err == nil {
		opts = append(opts, sfntest.Steps("steps/steps.json", b))
	}
	return sfntest.New(name, src, opts...)
}

func runTestCase(ctx context.Context, w *sfntest.Workflow, cfg *sfntest.MockConfig, machine, tc string, e sfntest.Expectation, hasExpect bool) (testCaseResult, error) {
	out := testCaseResult{Workflow: w.Name(), TestCase: tc}
	cw, err := w.TestCase(cfg, machine, tc)
	if err != nil {
		return out, err
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	r, err := cw.Run(rctx, "{}")
	if r == nil {
		return out, err
	}
	out.Status, out.Error, out.Path, out.Problems = r.Status, r.Error, r.Path, r.Problems
	out.Elapsed = r.Elapsed.String()
	out.Result = "PASS"
	if hasExpect {
		out.Problems = append(out.Problems, r.Check(e)...)
	}
	if err != nil || len(out.Problems) > 0 || r.Status == "RUNNING" {
		out.Result = "FAIL"
	}
	return out, nil
}
