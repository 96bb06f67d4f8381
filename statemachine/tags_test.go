package statemachine

import (
	"context"
	"testing"
)

// TestTagsAndSettingsSurviveRestart: tags, logging and tracing settings are
// durable in the Store, and a version keeps the settings of the revision it
// snapshots but has no tags.
func TestTagsAndSettingsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	e, err := New(Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	logging := &LoggingConfiguration{Level: "ERROR", Destinations: []string{"arn:aws:logs:us-east-1:123456789012:log-group:g:*"}}
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "m", Definition: passDef(`{}`), Tags: []Tag{{"a", "1"}},
		Logging: logging, Tracing: &TracingConfiguration{Enabled: true}, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.TagResource(ctx, sm.Arn, []Tag{{"b", "2"}}); err != nil {
		t.Fatal(err)
	}
	e.Close()

	e2, err := New(Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	tags, err := e2.ListTagsForResource(ctx, sm.Arn)
	if err != nil || len(tags) != 2 || tags[0] != (Tag{"a", "1"}) || tags[1] != (Tag{"b", "2"}) {
		t.Errorf("tags after restart = %v, %v", tags, err)
	}
	for _, arn := range []string{sm.Arn, sm.VersionArn} {
		d, err := e2.DescribeStateMachine(ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		if !equalLogging(d.Logging, normLogging(logging)) || !d.Tracing.Enabled {
			t.Errorf("%s after restart: logging %+v tracing %+v", arn, d.Logging, d.Tracing)
		}
	}
	if _, err := e2.ListTagsForResource(ctx, sm.VersionArn); apiCode(err) != "ResourceNotFound" {
		t.Errorf("tags of a version: %v, want ResourceNotFound", err)
	}
}

// TestCheckTags pins the tag rules TagResource applies.
func TestCheckTags(t *testing.T) {
	for _, tc := range []struct {
		tag  Tag
		want string // "" valid, else the error code
	}{
		{Tag{"team", "data"}, ""},
		{Tag{"k", ""}, ""},
		{Tag{"k é:/=+-@_. 1", "v"}, ""},
		{Tag{"", "v"}, "ValidationException"},
		{Tag{"aws:k", "v"}, "ValidationException"},
		{Tag{"Aws:k", "v"}, "ValidationException"},
		{Tag{"k", "a#b"}, "ValidationException"},
	} {
		if got := apiCode(checkTags([]Tag{tc.tag})); got != tc.want {
			t.Errorf("checkTags(%+v) = %q, want %q", tc.tag, got, tc.want)
		}
	}
}
