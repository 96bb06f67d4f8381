package integrations

import (
	"context"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// The optimized integrations: sqs:sendMessage, sns:publish,
// events:putEvents and dynamodb:getItem|putItem|updateItem|deleteItem.

// sendMessage is sqs:sendMessage. A MessageBody that is not a string is
// sent as its JSON text, the usual way of passing $$.Task.Token.
func (inv *Invoker) sendMessage(ctx context.Context, params map[string]any) (any, error) {
	p := copyParams(params)
	if b, ok := p["MessageBody"]; ok {
		p["MessageBody"] = textOf(b)
	}
	var in sqs.SendMessageInput
	if err := decode(svcSQS, p, &in); err != nil {
		return nil, err
	}
	out, err := inv.sqs.SendMessage(ctx, &in)
	if err != nil {
		return nil, serviceError(svcSQS, err)
	}
	return inv.optimized(out, out.ResultMetadata, sqsHeaders), nil
}

// publish is sns:publish. A Message that is not a string is sent as its
// JSON text.
func (inv *Invoker) publish(ctx context.Context, params map[string]any) (any, error) {
	p := copyParams(params)
	if m, ok := p["Message"]; ok {
		p["Message"] = textOf(m)
	}
	var in sns.PublishInput
	if err := decode(svcSNS, p, &in); err != nil {
		return nil, err
	}
	out, err := inv.sns.Publish(ctx, &in)
	if err != nil {
		return nil, serviceError(svcSNS, err)
	}
	return inv.optimized(out, out.ResultMetadata, snsHeaders), nil
}

// putEvents is events:putEvents. An entry's Detail that is not a string
// is sent as its JSON text. The answer has no HTTP metadata (as
// recorded), and when an entry failed the task fails with
// EventBridge.FailedEntry and the whole answer as the cause.
func (inv *Invoker) putEvents(ctx context.Context, params map[string]any) (any, error) {
	p := copyParams(params)
	if es, ok := p["Entries"].([]any); ok {
		entries := make([]any, len(es))
		for i, e := range es {
			if m, ok := e.(map[string]any); ok {
				m = copyParams(m)
				if d, ok := m["Detail"]; ok {
					m["Detail"] = textOf(d)
				}
				e = m
			}
			entries[i] = e
		}
		p["Entries"] = entries
	}
	var in eventbridge.PutEventsInput
	if err := decode(svcEvents, p, &in); err != nil {
		return nil, err
	}
	out, err := inv.events.PutEvents(ctx, &in)
	if err != nil {
		return nil, serviceError(svcEvents, err)
	}
	doc, _ := toDoc(reflect.ValueOf(out))
	res, _ := doc.(map[string]any)
	res["FailedEntryCount"] = float64(out.FailedEntryCount)
	if out.FailedEntryCount > 0 {
		return nil, &statemachine.TaskError{Name: "EventBridge.FailedEntry", Cause: marshalJSON(res)}
	}
	return res, nil
}

// optimized is an optimized integration's answer: the response members
// and the SDK v1 metadata.
func (inv *Invoker) optimized(out any, md middleware.Metadata, hs headerSet) map[string]any {
	doc, _ := toDoc(reflect.ValueOf(out))
	res, _ := doc.(map[string]any)
	if res == nil {
		res = map[string]any{}
	}
	return withMetadata(res, md, hs, inv.cfg.Now())
}

func copyParams(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
