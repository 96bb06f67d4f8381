package workflow_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

// TestLoadRepository loads the workflows of this repository: they are
// valid, and export calls the steps of steps.json.
func TestLoadRepository(t *testing.T) {
	proj, err := workflow.Load(os.DirFS("../.."))
	if err != nil {
		t.Fatalf("Load(repository):\n%v", err)
	}
	w := proj.Workflow("export")
	if w == nil {
		t.Fatalf("no export workflow in %v", proj.Names())
	}
	if w.File != "statemachine/export.asl.json" || w.TriggerFile != "statemachine/export.trigger.json" || w.TriggerInput == nil {
		t.Errorf("export files: %q %q %d bytes of trigger input", w.File, w.TriggerFile, len(w.TriggerInput))
	}
	if got := strings.Join(w.Steps, ","); got != "cleanup,exportpart,merge,plan,publish,requestapproval" {
		t.Errorf("export steps = %s", got)
	}
	def, err := proj.Render(w, proj.Vars("stepwise", "us-east-1", "123456789012", "bkt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(def), `"arn:aws:lambda:us-east-1:123456789012:function:stepwise-plan"`) || strings.Contains(string(def), "${") {
		t.Errorf("rendered export lacks the plan ARN or keeps a placeholder")
	}
}

const stepsJSON = `{"steps": {
  "hello": {"arn_placeholder": "HelloFunctionArn", "memory_mb": 128, "timeout_seconds": 10, "description": "d"}}}`

const helloASL = `{
  "StartAt": "Hello",
  "States": {
    "Hello": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${HelloFunctionArn}", "Payload.$": "$"}, "End": true}
  }
}`

func project(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{"steps/steps.json": {Data: []byte(stepsJSON)}}
	for k, v := range files {
		if v == "" {
			delete(fsys, k)
			continue
		}
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fsys
}

func TestLoadMinimal(t *testing.T) {
	proj, err := workflow.Load(project(map[string]string{
		"statemachine/hello.asl.json":      helloASL,
		"statemachine/hello.schedule.json": `{"schedules": [{"name": "daily", "expression": "cron(0 6 ? * MON-FRI *)", "timezone": "Europe/Berlin", "input": {"a": [1, 2]}, "flexible_window_minutes": 15}]}`,
		"statemachine/main.go":             "package x",
		"statemachine/testdata/x.json":     "not json",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(proj.Workflows) != 1 {
		t.Fatalf("workflows = %v", proj.Names())
	}
	w := proj.Workflows[0]
	if w.Name != "hello" || len(w.Steps) != 1 || w.Steps[0] != "hello" || w.Trigger != nil {
		t.Errorf("workflow = %+v", w)
	}
	if len(w.Schedules) != 1 {
		t.Fatalf("schedules = %+v", w.Schedules)
	}
	s := w.Schedules[0]
	if s.Name != "daily" || s.Timezone != "Europe/Berlin" || string(s.Input) != `{"a":[1,2]}` || s.FlexibleWindow.Minutes() != 15 || !s.Enabled {
		t.Errorf("schedule = %+v", s)
	}
	if got := w.StateMachineName("stepwise"); got != "stepwise-hello" {
		t.Errorf("StateMachineName = %s", got)
	}
}

const activityStepsJSON = `{"steps": {
  "hello": {"arn_placeholder": "HelloFunctionArn", "memory_mb": 128, "timeout_seconds": 10}},
 "activities": {"encode": {"arn_placeholder": "EncodeActivityArn", "description": "Encode a video (hours)."}}}`

const encodeASL = `{
  "StartAt": "Encode",
  "States": {
    "Encode": {"Type": "Task", "Resource": "${EncodeActivityArn}", "HeartbeatSeconds": 60, "Next": "Hello"},
    "Hello": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${HelloFunctionArn}", "Payload.$": "$"}, "End": true}
  }
}`

// TestLoadActivities: an activity of steps.json is a placeholder the
// definitions may use as a Task's Resource; the workflow lists it, and
// Vars gives it the ARN of activity <prefix>-<name>.
func TestLoadActivities(t *testing.T) {
	proj, err := workflow.Load(project(map[string]string{
		"steps/steps.json":            activityStepsJSON,
		"statemachine/video.asl.json": encodeASL,
		"statemachine/hello.asl.json": helloASL,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(proj.Activities) != 1 || proj.Activities[0] != (workflow.Activity{Name: "encode", ArnPlaceholder: "EncodeActivityArn", Description: "Encode a video (hours)."}) {
		t.Errorf("activities = %+v", proj.Activities)
	}
	w := proj.Workflow("video")
	if strings.Join(w.Activities, ",") != "encode" || strings.Join(w.Steps, ",") != "hello" {
		t.Errorf("video: activities %v, steps %v", w.Activities, w.Steps)
	}
	if a := proj.Workflow("hello").Activities; len(a) != 0 {
		t.Errorf("hello names no activity, got %v", a)
	}
	def, err := proj.Render(w, proj.Vars("team", "eu-west-1", "111122223333", "bkt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(def), `"Resource": "arn:aws:states:eu-west-1:111122223333:activity:team-encode"`) {
		t.Errorf("rendered:\n%s", def)
	}
}

// TestLoadErrors pins the whole message of each kind of mistake: the file,
// the JSON pointer and what to do.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"missing step", map[string]string{
			"statemachine/a.asl.json": strings.ReplaceAll(helloASL, "HelloFunctionArn", "ByeFunctionArn"),
		}, []string{
			`statemachine/a.asl.json: /States/Hello/Parameters/FunctionName: unknown placeholder ${ByeFunctionArn}: no step in steps/steps.json has arn_placeholder "ByeFunctionArn" (add the step there, or use one of ${BucketName}, ${HelloFunctionArn}) (line 5, column 38)`,
		}},
		{"unknown placeholder", map[string]string{
			"statemachine/a.asl.json": strings.ReplaceAll(helloASL, `"Payload.$": "$"`, `"Payload": {"b": "${Bucket}"}`),
		}, []string{
			`statemachine/a.asl.json: /States/Hello/Parameters/Payload/b: unknown placeholder ${Bucket} (known: ${BucketName}, ${HelloFunctionArn}) (line 5, column 78)`,
		}},
		{"literal lambda", map[string]string{
			"statemachine/a.asl.json": strings.ReplaceAll(helloASL, "${HelloFunctionArn}", "my-function"),
		}, []string{
			`statemachine/a.asl.json: /States/Hello/Parameters/FunctionName: Lambda function "my-function" is not a step of steps/steps.json: list the step there and write its ${...FunctionArn} placeholder here (line 5, column 38)`,
		}},
		{"literal lambda resource", map[string]string{
			"statemachine/a.asl.json": `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:x", "End": true}}}`,
		}, []string{
			`statemachine/a.asl.json: /States/A/Resource: Lambda function "arn:aws:lambda:us-east-1:123456789012:function:x" is not a step of steps/steps.json: list the step there and write its ${...FunctionArn} placeholder here (line 1, column 63)`,
		}},
		{"orphan trigger and schedule", map[string]string{
			"statemachine/a.asl.json":           helloASL,
			"statemachine/b.trigger.json":       `{"source": ["aws.s3"]}`,
			"statemachine/b.schedule.json":      `{"schedules": []}`,
			"statemachine/a.trigger-input.json": `{"input_template": "<k>", "input_paths": {"k": "$.detail"}}`,
		}, []string{
			`statemachine/a.trigger-input.json: /: an input transformer needs a trigger: statemachine/a.trigger.json is missing (create it, or remove this file)`,
			`statemachine/b.schedule.json: /: there is no workflow "b": statemachine/b.asl.json is missing (create it, or rename or remove this file)`,
			`statemachine/b.trigger.json: /: there is no workflow "b": statemachine/b.asl.json is missing (create it, or rename or remove this file)`,
		}},
		{"bad names", map[string]string{
			"statemachine/Report.asl.json": helloASL,
			"statemachine/notes.json":      `{}`,
		}, []string{
			`statemachine/Report.asl.json: /: workflow name "Report" must match ^[a-z][a-z0-9-]{0,39}$ (lower-case letters, digits and '-', starting with a letter, at most 40 characters)`,
			`statemachine/notes.json: /: not a workflow file: want <name>.asl.json, <name>.trigger.json, <name>.trigger-input.json or <name>.schedule.json (move other JSON files to a subdirectory such as statemachine/testdata/)`,
		}},
		{"malformed JSON", map[string]string{
			"statemachine/a.asl.json": "{\n  \"StartAt\": \"A\",\n  \"States\": {\n}",
		}, []string{
			`statemachine/a.asl.json: /: malformed JSON: unexpected end of JSON input (an unclosed object, array or string?) (line 4, column 2)`,
		}},
		{"malformed JSON inside", map[string]string{
			"statemachine/a.asl.json":     helloASL,
			"statemachine/a.trigger.json": "{\n  \"source\": [\"aws.s3\",]\n}",
		}, []string{
			`statemachine/a.trigger.json: /: malformed JSON: invalid character ']' looking for beginning of value (line 2, column 23)`,
		}},
		{"ASL error", map[string]string{
			"statemachine/a.asl.json": strings.ReplaceAll(helloASL, `"End": true`, `"Next": "Nope"`),
		}, []string{
			`statemachine/a.asl.json: /States: Workflow has no terminal state (line 3, column 3)`,
			`statemachine/a.asl.json: /States/Hello/Next: Missing 'Next' target: Nope; the states here are Hello (line 5, column 80)`,
		}},
		{"schedule", map[string]string{
			"statemachine/a.asl.json": helloASL,
			"statemachine/a.schedule.json": `{"schedules": [
 {"name": "d", "expression": "cron(0 6 * * *)"},
 {"name": "e", "expression": "rate(1 minutes)", "flexible_window_minutes": 2000},
 {"name": "bad name!", "expression": "every day", "enabled": "yes", "start_date": "tomorrow"},
 {"expression": "at(2026-02-30T00:00:00)", "extra": 1},
 {"name": "ok", "expression": "rate(5 minutes)"},
 {"name": "ok", "expression": "rate(1 day)"},
 {"name": "f", "expression": "rate(5 minutes)", "timezone": "Mars/Base"}]}`,
		}, []string{
			`statemachine/a.schedule.json: /schedules/0/expression: cron(0 6 * * *) has 5 fields, want 6 (minutes hours day-of-month month day-of-week year) (line 2, column 30)`,
			`statemachine/a.schedule.json: /schedules/1/expression: rate(1 minutes) needs the singular unit "minute" with value 1, not "minutes" (line 3, column 30)`,
			`statemachine/a.schedule.json: /schedules/1/flexible_window_minutes: 2000 is not 0 (off) or a whole number of minutes 1-1440 (line 3, column 76)`,
			`statemachine/a.schedule.json: /schedules/2/name: "bad name!" is not a valid name: want 1-40 of A-Z a-z 0-9 _ . - (line 4, column 11)`,
			`statemachine/a.schedule.json: /schedules/2/expression: "every day" is not a schedule expression; want cron(m h dom mon dow y), rate(N unit) or at(yyyy-mm-ddThh:mm:ss) (line 4, column 38)`,
			`statemachine/a.schedule.json: /schedules/2/enabled: want true or false, got a string ("yes") (line 4, column 62)`,
			`statemachine/a.schedule.json: /schedules/2/start_date: "tomorrow" is not an RFC 3339 date-time such as "2026-01-01T00:00:00Z" (line 4, column 83)`,
			`statemachine/a.schedule.json: /schedules/3/name: required (line 5, column 2)`,
			`statemachine/a.schedule.json: /schedules/3/expression: at(2026-02-30T00:00:00) wants a local date-time yyyy-mm-ddThh:mm:ss (no zone: the zone is the timezone field) (line 5, column 17)`,
			`statemachine/a.schedule.json: /schedules/3/extra: unknown field "extra"; known fields: name, expression, timezone, input, flexible_window_minutes, enabled, start_date, end_date (line 5, column 53)`,
			`statemachine/a.schedule.json: /schedules/5/name: "ok" is already the name of /schedules/4; names must be unique in the file (line 7, column 11)`,
			`statemachine/a.schedule.json: /schedules/6/timezone: unknown time zone "Mars/Base"; want an IANA name such as "Europe/Berlin" or "UTC" (line 8, column 61)`,
		}},
		{"steps.json", map[string]string{
			"statemachine/a.asl.json": `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`,
			"steps/steps.json": `{"steps": {"a b": {"arn_placeholder": "X", "memory_mb": 64, "timeout_seconds": 10},
 "c": {"arn_placeholder": "X", "memory_mb": 128}}}`,
		}, []string{
			`steps/steps.json: /steps/a b: step name "a b" must match ^[A-Za-z][A-Za-z0-9_-]{0,47}$ (it is a Go registry key and part of a Lambda function name) (line 1, column 19)`,
			`steps/steps.json: /steps/a b/memory_mb: 64 is outside Lambda's memory range 128..10240 (line 1, column 57)`,
			`steps/steps.json: /steps/c/timeout_seconds: missing (line 2, column 7)`,
			`steps/steps.json: /steps/c/arn_placeholder: "X" is already the placeholder of step "a b"; each step needs its own (line 2, column 27)`,
		}},
		{"literal activity", map[string]string{
			"steps/steps.json":        activityStepsJSON,
			"statemachine/a.asl.json": strings.ReplaceAll(encodeASL, "${EncodeActivityArn}", "arn:aws:states:us-east-1:123456789012:activity:encode"),
		}, []string{
			`statemachine/a.asl.json: /States/Encode/Resource: activity "arn:aws:states:us-east-1:123456789012:activity:encode" is not an activity of steps/steps.json: list it under "activities" there (Terraform and the local stack create it) and write its ${...ActivityArn} placeholder here (line 4, column 44)`,
		}},
		{"unknown activity", map[string]string{
			"steps/steps.json":        activityStepsJSON,
			"statemachine/a.asl.json": strings.ReplaceAll(encodeASL, "${EncodeActivityArn}", "${DecodeActivityArn}"),
		}, []string{
			`statemachine/a.asl.json: /States/Encode/Resource: unknown placeholder ${DecodeActivityArn}: no activity in steps/steps.json has arn_placeholder "DecodeActivityArn" (add it under "activities" there, or use one of ${BucketName}, ${EncodeActivityArn}, ${HelloFunctionArn}) (line 4, column 44)`,
		}},
		{"activities in steps.json", map[string]string{
			"statemachine/a.asl.json": `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`,
			"steps/steps.json": `{"steps": {"a": {"arn_placeholder": "AFunctionArn", "memory_mb": 128, "timeout_seconds": 10}},
 "activities": {"x y": {"arn_placeholder": "AFunctionArn", "timeout_seconds": 3600},
 "b": {"description": 1},
 "c": {"arn_placeholder": "BucketName"}}}`,
		}, []string{
			`steps/steps.json: /activities/x y: activity name "x y" must match ^[A-Za-z][A-Za-z0-9_-]{0,47}$ (it is part of the activity's name, <prefix>-x y) (line 2, column 24)`,
			`steps/steps.json: /activities/x y/arn_placeholder: "AFunctionArn" is already the placeholder of step "a"; each activity needs its own (line 2, column 44)`,
			`steps/steps.json: /activities/x y/timeout_seconds: unknown field "timeout_seconds" (want arn_placeholder, description; an activity's timeouts are the Task state's TimeoutSeconds and HeartbeatSeconds) (line 2, column 79)`,
			`steps/steps.json: /activities/b/arn_placeholder: missing (line 3, column 7)`,
			`steps/steps.json: /activities/b/description: want a string, got a number (line 3, column 23)`,
			`steps/steps.json: /activities/c/arn_placeholder: "BucketName" is not usable as a ${...} placeholder (want a plain name such as CActivityArn, not BucketName) (line 4, column 27)`,
		}},
		{"activities not an object", map[string]string{
			"statemachine/a.asl.json": `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`,
			"steps/steps.json":        `{"steps": {"a": {"arn_placeholder": "AFunctionArn", "memory_mb": 128, "timeout_seconds": 10}}, "activities": ["encode"]}`,
		}, []string{
			`steps/steps.json: /activities: want an object of activities by name, e.g. {"encode": {"arn_placeholder": "EncodeActivityArn"}}, got an array (line 1, column 110)`,
		}},
		{"no steps file", map[string]string{"steps/steps.json": "", "statemachine/a.asl.json": `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`}, []string{
			`steps/steps.json: /: cannot read it: file does not exist (every Lambda step of every workflow is listed there)`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := workflow.Load(project(c.files))
			var es workflow.Errors
			if !errors.As(err, &es) {
				t.Fatalf("Load: err = %v, want workflow.Errors", err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}
