// Package arn parses the Amazon Resource Names that the Step Functions API
// takes (state machines, their versions and aliases, executions, Map Runs,
// IAM roles) and says what is wrong with a malformed one, in the words of
// the API's InvalidArn errors.
//
// It checks form only: whether the resource exists is the control plane's
// question. It is the one ARN validator of the engine and the local API
// server, so that every operation rejects the same strings the same way.
package arn

import (
	"fmt"
	"strings"
)

// ARN is a parsed ARN: arn:Partition:Service:Region:Account:Resource.
type ARN struct {
	Partition, Service, Region, Account string
	// Resource is everything after the account field, e.g.
	// "stateMachine:orders:1" or "role/service/stepwise".
	Resource string
}

// DefaultAccount is the account id of local ARNs when none is configured
// (the placeholder account of the AWS documentation).
const DefaultAccount = "123456789012"

// String joins the fields back into arn:Partition:Service:Region:Account:Resource.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// States builds a Step Functions ARN in the aws partition, e.g.
// States("us-east-1", DefaultAccount, "execution", "m:run1").
func States(region, account, resourceType, resource string) string {
	return "arn:aws:states:" + region + ":" + account + ":" + resourceType + ":" + resource
}

// Type is the resource type: the part of Resource before the first ':'
// (Step Functions style) or '/' (IAM style).
func (a ARN) Type() string {
	if i := strings.IndexAny(a.Resource, ":/"); i >= 0 {
		return a.Resource[:i]
	}
	return a.Resource
}

// Parse splits s into its fields. It checks only the frame: the "arn:"
// prefix and six ':'-separated fields, the resource being the last one
// (which may itself hold ':').
func Parse(s string) (ARN, error) {
	// strings.Cut rather than SplitN: the engine parses ARNs on every
	// execution start, and this allocates nothing.
	rest, ok := strings.CutPrefix(s, "arn:")
	var f [4]string
	for i := range f {
		if !ok {
			break
		}
		f[i], rest, ok = strings.Cut(rest, ":")
	}
	if !ok {
		return ARN{}, &Error{Reason: "Invalid ARN prefix", Subject: s}
	}
	return ARN{Partition: f[0], Service: f[1], Region: f[2], Account: f[3], Resource: rest}, nil
}

// Kind is what an ARN must identify.
type Kind int

// The kinds of ARN the Step Functions API takes.
const (
	// StateMachine: arn:<partition>:states:<region>:<account>:stateMachine:<name>
	// or, for a version or an alias, …:stateMachine:<name>:<version or alias>.
	StateMachine Kind = iota + 1
	// Execution: …:execution:<machine>:<name> (a Map Run's child:
	// …:execution:<machine>/<label>:<name>) or, Express,
	// …:express:<machine>:<name>:<id>.
	Execution
	// MapRun: …:mapRun:<machine>/<label>:<id>.
	MapRun
	// Role: arn:<partition>:iam::<account>:role/<name>, what a state
	// machine runs as.
	Role
	// Taggable: a state machine or an activity (…:activity:<name>), what
	// tags attach to.
	Taggable
)

// forms are the shapes each kind allows, for error messages.
var forms = map[Kind]string{
	StateMachine: "arn:<partition>:states:<region>:<account>:stateMachine:<name>[:<version or alias>]",
	Execution:    "arn:<partition>:states:<region>:<account>:execution:<state machine>:<name> or …:express:<state machine>:<name>:<id>",
	MapRun:       "arn:<partition>:states:<region>:<account>:mapRun:<state machine>/<label>:<id>",
	Role:         "arn:<partition>:iam::<account>:role/<name>",
	Taggable:     "arn:<partition>:states:<region>:<account>:stateMachine:<name> or …:activity:<name>",
}

// Error is a malformed ARN. Its text is the message of the API's InvalidArn
// error: "Invalid Arn: '<Reason>: <Subject>'".
type Error struct {
	Reason  string
	Subject string // the ARN, or the offending part of it
}

func (e *Error) Error() string { return fmt.Sprintf("Invalid Arn: '%s: %s'", e.Reason, e.Subject) }

// Check returns nil if s is a well-formed ARN of kind k, else an [*Error]
// naming what is wrong.
func Check(s string, k Kind) error {
	a, err := Parse(s)
	if err != nil {
		return err
	}
	service := "states"
	if k == Role {
		service = "iam"
	}
	if a.Service != service {
		return &Error{Reason: "Resource type not valid in this context", Subject: a.Service + ":" + a.Type()}
	}
	typ := a.Type()
	if !allowedType(k, typ) {
		return &Error{Reason: "Resource type not valid in this context", Subject: typ}
	}
	if a.Partition == "" || a.Account == "" || (service == "states" && a.Region == "") || !wellFormed(typ, a.Resource) {
		return &Error{Reason: "Malformed ARN, expected " + forms[k], Subject: s}
	}
	return nil
}

func allowedType(k Kind, typ string) bool {
	switch k {
	case StateMachine:
		return typ == "stateMachine"
	case Execution:
		return typ == "execution" || typ == "express"
	case MapRun:
		return typ == "mapRun"
	case Role:
		return typ == "role"
	case Taggable:
		return typ == "stateMachine" || typ == "activity"
	}
	return false
}

// wellFormed checks the resource's segments after its type: each present
// and non-empty, as many as the type has.
func wellFormed(typ, resource string) bool {
	if typ == "role" {
		name := strings.TrimPrefix(resource, "role/")
		return name != resource && name != "" && !strings.HasSuffix(name, "/")
	}
	segs := strings.Split(resource, ":")[1:]
	for _, s := range segs {
		if s == "" {
			return false
		}
	}
	switch typ {
	case "stateMachine":
		return len(segs) == 1 || len(segs) == 2
	case "activity":
		return len(segs) == 1
	case "execution":
		return len(segs) == 2
	case "express":
		return len(segs) == 3
	case "mapRun":
		if len(segs) != 2 {
			return false
		}
		machine, label, ok := strings.Cut(segs[0], "/")
		return ok && machine != "" && label != ""
	}
	return false
}
