package sfntest

import (
	"encoding/json"
	"fmt"
)

// Answer is how the harness answers the task token of a .waitForTaskToken
// task as soon as its call has been made: see [Succeed], [Fail] and
// [NoAnswer], given with [OnToken].
type Answer struct {
	kind      answerKind
	output    json.RawMessage
	errorName string
	cause     string
}

type answerKind int

const (
	answerSucceed answerKind = iota
	answerFail
	answerNone
)

// Succeed answers with SendTaskSuccess; output is marshalled to JSON
// (json.RawMessage is taken as is).
func Succeed(output any) Answer {
	raw, ok := output.(json.RawMessage)
	if !ok {
		b, err := json.Marshal(output)
		if err != nil {
			panic(fmt.Sprintf("sfntest.Succeed: %v", err))
		}
		raw = b
	}
	return Answer{kind: answerSucceed, output: raw}
}

// Fail answers with SendTaskFailure.
func Fail(errorName, cause string) Answer {
	return Answer{kind: answerFail, errorName: errorName, cause: cause}
}

// NoAnswer leaves the token unanswered and lets virtual time run on, so
// the task's TimeoutSeconds or HeartbeatSeconds fire (States.Timeout,
// States.HeartbeatTimeout).
func NoAnswer() Answer { return Answer{kind: answerNone} }

// OnToken answers the task token of the named .waitForTaskToken state
// every time the state asks for one. Without it, [Workflow.Run] fails when
// the state asks (nothing could answer), and an execution from
// [Workflow.Start] stops its virtual clock until the test answers through
// [Execution.Token].
func OnToken(state string, a Answer) Option {
	return func(c *config) error {
		c.answers[state] = a
		return nil
	}
}
