package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stepwise-dev/stepwise/local/eventpattern"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

const testStepsJSON = `{"steps": {
  "hello": {"arn_placeholder": "HelloFunctionArn", "memory_mb": 128, "timeout_seconds": 10, "description": "greets"}}}`

const helloASL = `{
  "StartAt": "Hello",
  "States": {
    "Hello": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${HelloFunctionArn}", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}
  }
}`

const passASL = `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"bucket": "${BucketName}"}, "End": true}}}`

func triggerOn(prefix string) string {
	return `{"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"object": {"key": [{"prefix": "` + prefix + `"}]}}}`
}

// project is a checkout with the given files besides steps/steps.json.
func project(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{"steps/steps.json": {Data: []byte(testStepsJSON)}}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fsys
}

func helloSteps() map[string]any {
	return map[string]any{"hello": func(in map[string]any) (map[string]any, error) {
		return map[string]any{"hello": in}, nil
	}}
}

// TestDeployEveryWorkflow: every statemachine/<name>.asl.json is deployed
// as <prefix>-<name> with a published version and the alias "live"; each
// trigger starts its own workflow only; a changed definition is updated
// and published as the next version on the next start, an unchanged one
// keeps its version.
func TestDeployEveryWorkflow(t *testing.T) {
	ctx := context.Background()
	repo := project(map[string]string{
		"statemachine/alpha.asl.json":          helloASL,
		"statemachine/alpha.trigger.json":      triggerOn("in/alpha/"),
		"statemachine/beta.asl.json":           passASL,
		"statemachine/beta.trigger.json":       triggerOn("in/beta/"),
		"statemachine/beta.trigger-input.json": `{"input_paths": {"key": "$.detail.object.key"}, "input_template": "{\"k\": <key>}"}`,
		"statemachine/gamma.asl.json":          passASL,
		"statemachine/gamma.schedule.json":     `{"schedules": [{"name": "weekly", "expression": "cron(0 6 ? * MON *)", "timezone": "Europe/Berlin"}]}`,
		"statemachine/testdata/ignored.json":   "not JSON, and not a workflow",
		"statemachine/alpha.asl.json.orig.txt": "ignored: not JSON",
		"statemachine/subdir/other.asl.json":   "ignored: in a subdirectory",
	})
	tap := &logTap{prefix: "trigger: S3 object created", ch: make(chan slog.Record, 16)}
	dir := t.TempDir()
	opts := Options{DataDir: dir, Repo: repo, Steps: helloSteps(), Logger: slog.New(tap), Prefix: "team"}
	st, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	var names []string
	for _, w := range st.Workflows {
		names = append(names, w.Name+"="+w.StateMachineName)
		if w.VersionArn != w.Arn+":1" || w.AliasArn != w.Arn+":live" {
			t.Errorf("%s: version %s alias %s", w.Name, w.VersionArn, w.AliasArn)
		}
		a, err := st.Engine.DescribeStateMachineAlias(ctx, w.AliasArn)
		if err != nil || len(a.Routing) != 1 || a.Routing[0].VersionArn != w.VersionArn || a.Routing[0].Weight != 100 {
			t.Errorf("%s: alias %+v, %v", w.Name, a, err)
		}
	}
	if got := strings.Join(names, " "); got != "alpha=team-alpha beta=team-beta gamma=team-gamma" {
		t.Errorf("deployed %s", got)
	}
	if st.Endpoints.StateMachineArn != "" || len(st.Endpoints.Workflows) != 3 {
		t.Errorf("endpoints: export %q, %d workflows", st.Endpoints.StateMachineArn, len(st.Endpoints.Workflows))
	}
	if g := st.Workflows[2]; len(g.Schedules) != 1 || g.Schedules[0].Timezone != "Europe/Berlin" || g.TriggerFile != "" {
		t.Errorf("gamma: %+v", g)
	}
	sm, err := st.Engine.DescribeStateMachine(ctx, st.Workflows[1].Arn)
	if err != nil || !strings.Contains(sm.Definition, `"bucket": "stepwise"`) {
		t.Errorf("beta not rendered: %v %v", sm, err)
	}

	s3c, err := newS3Client(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"in/alpha/a.json", "in/beta/b.json", "elsewhere/c.json"} {
		if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("stepwise"), Key: aws.String(key), Body: strings.NewReader(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		select {
		case <-tap.ch:
		case <-time.After(30 * time.Second):
			t.Fatal("the triggers did not start two executions within 30s")
		}
	}
	for _, w := range st.Workflows {
		list, err := st.Engine.ListExecutions(ctx, statemachine.ListExecutionsInput{StateMachineArn: w.Arn})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"alpha": 1, "beta": 1, "gamma": 0}[w.Name]
		if len(list) != want {
			t.Errorf("%s: %d executions, want %d", w.Name, len(list), want)
		}
		if w.Name == "beta" && len(list) == 1 {
			done, err := st.Engine.WaitExecution(ctx, list[0].ExecutionArn)
			if err != nil {
				t.Fatal(err)
			}
			if in := aws.ToString(done.Input); in != `{"k": "in/beta/b.json"}` {
				t.Errorf("beta execution input %q, want the trigger's transformed input", in)
			}
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// beta changes, alpha does not.
	repo["statemachine/beta.asl.json"] = &fstest.MapFile{Data: []byte(strings.Replace(passASL, `"P"`, `"Q"`, 2))}
	opts.Logger = nil
	if st, err = Open(ctx, opts); err != nil {
		t.Fatal(err)
	}
	for _, w := range st.Workflows {
		want := map[string]string{"alpha": ":1", "beta": ":2", "gamma": ":1"}[w.Name]
		changed := w.Name == "beta"
		if !strings.HasSuffix(w.VersionArn, want) || w.Changed != changed {
			t.Errorf("after restart %s: version %s changed %v, want %s %v", w.Name, w.VersionArn, w.Changed, want, changed)
		}
		a, err := st.Engine.DescribeStateMachineAlias(ctx, w.AliasArn)
		if err != nil || a.Routing[0].VersionArn != w.VersionArn {
			t.Errorf("%s: alias %+v, %v", w.Name, a, err)
		}
	}
}

// TestOpenRefusesInvalidFiles: invalid workflow files stop the stack with
// every problem in the "<file>: <pointer>: <message>" format, and leave
// the data directory free.
func TestOpenRefusesInvalidFiles(t *testing.T) {
	ctx := context.Background()
	repo := project(map[string]string{
		"statemachine/alpha.asl.json":      strings.Replace(passASL, "${BucketName}", "${Bucket}", 1),
		"statemachine/alpha.schedule.json": `{"schedules": [{"name": "daily", "expression": "cron(0 6 * * *)"}]}`,
		"statemachine/ghost.trigger.json":  triggerOn("x/"),
	})
	dir := t.TempDir()
	_, err := Open(ctx, Options{DataDir: dir, Repo: repo, NoS3: true})
	var es workflow.Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("Open = %v, want 3 workflow.Errors", err)
	}
	for _, want := range []string{
		"statemachine/alpha.asl.json: /States/P/Result/bucket: unknown placeholder ${Bucket} (known: ${BucketName}, ${HelloFunctionArn})",
		"statemachine/alpha.schedule.json: /schedules/0/expression: cron(0 6 * * *) has 5 fields, want 6",
		`statemachine/ghost.trigger.json: /: there is no workflow "ghost"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	repo["statemachine/alpha.asl.json"].Data = []byte(passASL)
	delete(repo, "statemachine/alpha.schedule.json")
	delete(repo, "statemachine/ghost.trigger.json")
	st, err := Open(ctx, Options{DataDir: dir, Repo: repo, NoS3: true})
	if err != nil {
		t.Fatalf("Open after fixing the files: %v", err)
	}
	st.Close()
}

// TestDurablePatternCoversEveryTrigger: the S3 outbox's pattern matches
// the events of every workflow's trigger and no other.
func TestDurablePatternCoversEveryTrigger(t *testing.T) {
	proj, err := workflow.Load(project(map[string]string{
		"statemachine/a.asl.json": passASL, "statemachine/a.trigger.json": triggerOn("in/a/"),
		"statemachine/b.asl.json": passASL, "statemachine/b.trigger.json": triggerOn("in/b/"),
		"statemachine/c.asl.json": passASL,
	}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := durablePattern(proj)
	if err != nil {
		t.Fatal(err)
	}
	p, err := eventpattern.Compile(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	for key, want := range map[string]bool{"in/a/1": true, "in/b/2": true, "in/c/3": false, "x": false} {
		ev := map[string]any{"source": "aws.s3", "detail-type": "Object Created", "detail": map[string]any{"object": map[string]any{"key": key}}}
		doc, _ := json.Marshal(ev)
		var v any
		json.Unmarshal(doc, &v)
		if got := p.MatchValue(v); got != want {
			t.Errorf("%s: match = %v, want %v (pattern %s)", key, got, want, b)
		}
	}
	one, _ := workflow.Load(project(map[string]string{"statemachine/a.asl.json": passASL, "statemachine/a.trigger.json": triggerOn("in/a/")}))
	if b, _ := durablePattern(one); strings.Contains(string(b), "$or") {
		t.Errorf("one trigger: pattern %s, want the trigger's own", b)
	}
	none, _ := workflow.Load(project(map[string]string{"statemachine/c.asl.json": passASL}))
	if b, _ := durablePattern(none); b != nil {
		t.Errorf("no trigger: pattern %s, want nil", b)
	}
}

// BenchmarkOpenWorkflows measures Open (without S3) of a checkout with 1
// and with 3 workflows, on a fresh data directory each time: reading and
// validating the files, deploying, publishing and aliasing each workflow.
func BenchmarkOpenWorkflows(b *testing.B) {
	for _, n := range []int{1, 3} {
		files := map[string]string{}
		for i, name := range []string{"alpha", "beta", "gamma"}[:n] {
			files["statemachine/"+name+".asl.json"] = helloASL
			if i == 1 {
				files["statemachine/"+name+".trigger.json"] = triggerOn("in/")
			}
			if i == 2 {
				files["statemachine/"+name+".schedule.json"] = `{"schedules": [{"name": "nightly", "expression": "cron(0 2 * * ? *)", "timezone": "Europe/Berlin"}]}`
			}
		}
		repo := project(files)
		b.Run(fmt.Sprintf("workflows=%d", n), func(b *testing.B) {
			for b.Loop() {
				st, err := Open(context.Background(), Options{DataDir: b.TempDir(), Repo: repo, NoS3: true, Steps: helloSteps()})
				if err != nil {
					b.Fatal(err)
				}
				st.Close()
			}
		})
	}
}
