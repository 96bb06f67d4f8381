package integrations

import (
	"context"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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

// dynamo is dynamodb:getItem|putItem|updateItem|deleteItem. Key, Item and
// ExpressionAttributeValues are attribute values in DynamoDB's JSON
// ({"S": "..."}, {"N": "1"}, ...); the answer's Item and Attributes too.
func (inv *Invoker) dynamo(ctx context.Context, action string, params map[string]any) (any, error) {
	p := copyParams(params)
	avs := map[string]map[string]ddbtypes.AttributeValue{}
	for _, f := range []string{"Key", "Item", "ExpressionAttributeValues", "ExclusiveStartKey"} {
		raw, ok := p[f]
		if !ok {
			continue
		}
		delete(p, f)
		m, err := attributeMap(raw, f)
		if err != nil {
			return nil, paramError(svcDynamoDB, "%v", err)
		}
		avs[f] = m
	}
	var out any
	var md middleware.Metadata
	var err error
	switch action {
	case "getItem":
		var in dynamodb.GetItemInput
		if err := decode(svcDynamoDB, p, &in); err != nil {
			return nil, err
		}
		in.Key = avs["Key"]
		var o *dynamodb.GetItemOutput
		if o, err = inv.dynamodb.GetItem(ctx, &in); err == nil {
			out, md = o, o.ResultMetadata
		}
	case "putItem":
		var in dynamodb.PutItemInput
		if err := decode(svcDynamoDB, p, &in); err != nil {
			return nil, err
		}
		in.Item, in.ExpressionAttributeValues = avs["Item"], avs["ExpressionAttributeValues"]
		var o *dynamodb.PutItemOutput
		if o, err = inv.dynamodb.PutItem(ctx, &in); err == nil {
			out, md = o, o.ResultMetadata
		}
	case "updateItem":
		var in dynamodb.UpdateItemInput
		if err := decode(svcDynamoDB, p, &in); err != nil {
			return nil, err
		}
		in.Key, in.ExpressionAttributeValues = avs["Key"], avs["ExpressionAttributeValues"]
		var o *dynamodb.UpdateItemOutput
		if o, err = inv.dynamodb.UpdateItem(ctx, &in); err == nil {
			out, md = o, o.ResultMetadata
		}
	case "deleteItem":
		var in dynamodb.DeleteItemInput
		if err := decode(svcDynamoDB, p, &in); err != nil {
			return nil, err
		}
		in.Key, in.ExpressionAttributeValues = avs["Key"], avs["ExpressionAttributeValues"]
		var o *dynamodb.DeleteItemOutput
		if o, err = inv.dynamodb.DeleteItem(ctx, &in); err == nil {
			out, md = o, o.ResultMetadata
		}
	default:
		return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("dynamodb:%s is not an optimized integration", action)}
	}
	if err != nil {
		return nil, serviceError(svcDynamoDB, err)
	}
	return inv.optimized(out, md, dynamoHeaders), nil
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

// attributeMap reads a map of DynamoDB attribute values from its JSON
// form; field names the parameter in messages.
func attributeMap(raw any, field string) (map[string]ddbtypes.AttributeValue, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the parameter '%s' must be an object of attribute values such as {\"id\": {\"S\": \"a\"}}", field)
	}
	out := make(map[string]ddbtypes.AttributeValue, len(m))
	for k, v := range m {
		av, err := toAttribute(v, field+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = av
	}
	return out, nil
}

// toAttribute reads one attribute value, {"<type>": value}.
func toAttribute(v any, at string) (ddbtypes.AttributeValue, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("the attribute value at '%s' must be an object with one of S, N, B, BOOL, NULL, L, M, SS, NS, BS", at)
	}
	var typ string
	var val any
	for typ, val = range m {
	}
	bad := func(want string) error {
		return fmt.Errorf("the attribute value at '%s' has type %s, which takes %s", at, typ, want)
	}
	strs := func() ([]string, error) {
		l, ok := val.([]any)
		if !ok {
			return nil, bad("an array of strings")
		}
		out := make([]string, len(l))
		for i, e := range l {
			if out[i], ok = e.(string); !ok {
				return nil, bad("an array of strings")
			}
		}
		return out, nil
	}
	switch typ {
	case "S", "N", "B":
		s, ok := val.(string)
		if !ok {
			return nil, bad("a string")
		}
		switch typ {
		case "S":
			return &ddbtypes.AttributeValueMemberS{Value: s}, nil
		case "N":
			return &ddbtypes.AttributeValueMemberN{Value: s}, nil
		}
		b, err := decodeBase64(s)
		if err != nil {
			return nil, bad("a base64 string")
		}
		return &ddbtypes.AttributeValueMemberB{Value: b}, nil
	case "BOOL", "NULL":
		b, ok := val.(bool)
		if !ok {
			return nil, bad("true or false")
		}
		if typ == "BOOL" {
			return &ddbtypes.AttributeValueMemberBOOL{Value: b}, nil
		}
		return &ddbtypes.AttributeValueMemberNULL{Value: b}, nil
	case "L":
		l, ok := val.([]any)
		if !ok {
			return nil, bad("an array of attribute values")
		}
		out := make([]ddbtypes.AttributeValue, len(l))
		for i, e := range l {
			av, err := toAttribute(e, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &ddbtypes.AttributeValueMemberL{Value: out}, nil
	case "M":
		mm, err := attributeMap(val, at)
		if err != nil {
			return nil, err
		}
		return &ddbtypes.AttributeValueMemberM{Value: mm}, nil
	case "SS", "NS":
		l, err := strs()
		if err != nil {
			return nil, err
		}
		if typ == "SS" {
			return &ddbtypes.AttributeValueMemberSS{Value: l}, nil
		}
		return &ddbtypes.AttributeValueMemberNS{Value: l}, nil
	case "BS":
		l, err := strs()
		if err != nil {
			return nil, err
		}
		out := make([][]byte, len(l))
		for i, s := range l {
			if out[i], err = decodeBase64(s); err != nil {
				return nil, bad("an array of base64 strings")
			}
		}
		return &ddbtypes.AttributeValueMemberBS{Value: out}, nil
	}
	return nil, fmt.Errorf("the attribute value at '%s' has the unknown type %q; the types are S, N, B, BOOL, NULL, L, M, SS, NS, BS", at, typ)
}

// attributeValue writes a DynamoDB attribute value in its JSON form; ok
// is false when v is not one.
func attributeValue(v reflect.Value) (any, bool) {
	av, ok := v.Interface().(ddbtypes.AttributeValue)
	if !ok {
		return nil, false
	}
	return fromAttribute(av), true
}

func fromAttribute(av ddbtypes.AttributeValue) any {
	switch a := av.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return map[string]any{"S": a.Value}
	case *ddbtypes.AttributeValueMemberN:
		return map[string]any{"N": a.Value}
	case *ddbtypes.AttributeValueMemberB:
		return map[string]any{"B": encodeBase64(a.Value)}
	case *ddbtypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": a.Value}
	case *ddbtypes.AttributeValueMemberNULL:
		return map[string]any{"NULL": a.Value}
	case *ddbtypes.AttributeValueMemberL:
		l := make([]any, len(a.Value))
		for i, e := range a.Value {
			l[i] = fromAttribute(e)
		}
		return map[string]any{"L": l}
	case *ddbtypes.AttributeValueMemberM:
		m := make(map[string]any, len(a.Value))
		for k, e := range a.Value {
			m[k] = fromAttribute(e)
		}
		return map[string]any{"M": m}
	case *ddbtypes.AttributeValueMemberSS:
		return map[string]any{"SS": strList(a.Value)}
	case *ddbtypes.AttributeValueMemberNS:
		return map[string]any{"NS": strList(a.Value)}
	case *ddbtypes.AttributeValueMemberBS:
		l := make([]any, len(a.Value))
		for i, b := range a.Value {
			l[i] = encodeBase64(b)
		}
		return map[string]any{"BS": l}
	}
	return nil
}

func strList(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}
