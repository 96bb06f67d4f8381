package arn

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	const sm = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
	cases := []struct {
		s    string
		k    Kind
		want string // "" for valid
	}{
		{sm, StateMachine, ""},
		{sm + ":1", StateMachine, ""},
		{sm + ":live", StateMachine, ""},
		{"arn:aws:states:us-east-1:123456789012:stateMachine:orders/Map", StateMachine, ""},
		{"notanarn", StateMachine, "Invalid Arn: 'Invalid ARN prefix: notanarn'"},
		{"", StateMachine, "Invalid Arn: 'Invalid ARN prefix: '"},
		{"arn:aws:states:us-east-1:123456789012", StateMachine, "Invalid Arn: 'Invalid ARN prefix: arn:aws:states:us-east-1:123456789012'"},
		{"arn:aws:states:us-east-1:123456789012:stateMachine:", StateMachine,
			"Invalid Arn: 'Malformed ARN, expected arn:<partition>:states:<region>:<account>:stateMachine:<name>[:<version or alias>]: arn:aws:states:us-east-1:123456789012:stateMachine:'"},
		{"arn:aws:states:us-east-1:123456789012:stateMachine", StateMachine, "Malformed ARN"},
		{sm + ":", StateMachine, "Malformed ARN"},
		{sm + ":1:2", StateMachine, "Malformed ARN"},
		{"arn:aws:states::123456789012:stateMachine:orders", StateMachine, "Malformed ARN"},
		{"arn:aws:states:us-east-1::stateMachine:orders", StateMachine, "Malformed ARN"},
		{"arn:aws:states:us-east-1:123456789012:execution:orders:e1", StateMachine,
			"Invalid Arn: 'Resource type not valid in this context: execution'"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", StateMachine,
			"Invalid Arn: 'Resource type not valid in this context: lambda:function'"},

		{"arn:aws:states:us-east-1:123456789012:execution:orders:e1", Execution, ""},
		{"arn:aws:states:us-east-1:123456789012:execution:orders/Map:e1", Execution, ""},
		{"arn:aws:states:us-east-1:123456789012:express:orders:e1:0a1b", Execution, ""},
		{"arn:aws:states:us-east-1:123456789012:execution:orders:", Execution, "Malformed ARN"},
		{"arn:aws:states:us-east-1:123456789012:execution:orders", Execution, "Malformed ARN"},
		{"arn:aws:states:us-east-1:123456789012:express:orders:e1", Execution, "Malformed ARN"},
		{sm, Execution, "Invalid Arn: 'Resource type not valid in this context: stateMachine'"},

		{"arn:aws:states:us-east-1:123456789012:mapRun:orders/Map:5e1c", MapRun, ""},
		{"arn:aws:states:us-east-1:123456789012:mapRun:orders:5e1c", MapRun, "Malformed ARN"},
		{"arn:aws:states:us-east-1:123456789012:mapRun:", MapRun, "Malformed ARN"},
		{"arn:aws:states:us-east-1:123456789012:mapRun", MapRun, "Malformed ARN"},

		{"arn:aws:iam::123456789012:role/stepwise", Role, ""},
		{"arn:aws:iam::123456789012:role/service-role/stepwise", Role, ""},
		{"notanarn", Role, "Invalid Arn: 'Invalid ARN prefix: notanarn'"},
		{"arn:aws:iam::123456789012:role/", Role, "Malformed ARN"},
		{"arn:aws:iam::123456789012:role", Role, "Malformed ARN"},
		{"arn:aws:iam::123456789012:user/bob", Role, "Invalid Arn: 'Resource type not valid in this context: user'"},
		{sm, Role, "Invalid Arn: 'Resource type not valid in this context: states:stateMachine'"},

		{sm, Taggable, ""},
		{"arn:aws:states:us-east-1:123456789012:activity:approve", Taggable, ""},
		{"arn:aws:states:us-east-1:123456789012:execution:orders:e1", Taggable, "Resource type not valid"},
	}
	for _, c := range cases {
		err := Check(c.s, c.k)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("Check(%q, %d) = %v, want nil", c.s, c.k, err)
		case c.want != "" && err == nil:
			t.Errorf("Check(%q, %d) = nil, want %q", c.s, c.k, c.want)
		case c.want != "" && !strings.Contains(err.Error(), c.want):
			t.Errorf("Check(%q, %d) = %q, want %q", c.s, c.k, err, c.want)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("Check(%q) error is %T, want *Error", c.s, err)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("arn:aws:states:us-east-1:123456789012:mapRun:orders/Map:5e1c")
	f.Add("arn:aws:iam::123456789012:role/r")
	f.Add("arn:aws:states:us-east-1:123456789012:stateMachine:")
	f.Fuzz(func(t *testing.T, s string) {
		for k := StateMachine; k <= Taggable; k++ {
			Check(s, k) // must not panic
		}
	})
}

func TestStatesBuildsWhatParseReads(t *testing.T) {
	s := States("eu-west-1", DefaultAccount, "execution", "m/Label:run1")
	if want := "arn:aws:states:eu-west-1:123456789012:execution:m/Label:run1"; s != want {
		t.Fatalf("States = %q, want %q", s, want)
	}
	a, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if a.String() != s || a.Type() != "execution" || a.Account != DefaultAccount {
		t.Fatalf("Parse(%q) = %+v (String %q)", s, a, a.String())
	}
	if err := Check(s, Execution); err != nil {
		t.Fatalf("Check: %v", err)
	}
}
