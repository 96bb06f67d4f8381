package integrations

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// DynamoDB: the optimized dynamodb:getItem|putItem|updateItem|deleteItem
// and the AWS SDK integration aws-sdk:dynamodb with query and scan too.
// Key, Item, ExpressionAttributeValues and ExclusiveStartKey are
// attribute values in DynamoDB's JSON ({"S": "..."}, {"N": "1"}, ...); so
// are the answer's Item, Items, Attributes and LastEvaluatedKey.

// svcDynamoDbSDK names the AWS SDK integration in errors, as recorded:
// DynamoDb.ResourceNotFoundException, the base DynamoDb.DynamoDbException,
// causes "(Service: DynamoDb, Status Code: 400, Request ID: …)".
var svcDynamoDbSDK = svc{"DynamoDb", "DynamoDbException", ""}

// dynamoAttributeFields are the request members that hold attribute values.
var dynamoAttributeFields = []string{"Key", "Item", "ExpressionAttributeValues", "ExclusiveStartKey"}

// dynamo runs one DynamoDB action; sdk is the AWS SDK integration, whose
// answer has no HTTP metadata.
func (inv *Invoker) dynamo(ctx context.Context, action string, params map[string]any, sdk bool) (any, error) {
	s := svcDynamoDB
	if sdk {
		s = svcDynamoDbSDK
	}
	p := copyParams(params)
	avs := map[string]map[string]ddbtypes.AttributeValue{}
	for _, f := range dynamoAttributeFields {
		raw, ok := p[f]
		if !ok {
			continue
		}
		delete(p, f)
		m, err := attributeMap(raw, f)
		if err != nil {
			return nil, paramError(s, "%v", err)
		}
		avs[f] = m
	}
	out, md, err := inv.dynamoCall(ctx, s, action, p, avs)
	if err != nil {
		return nil, err
	}
	if sdk {
		doc, _ := toDoc(reflect.ValueOf(out))
		if doc == nil {
			doc = map[string]any{}
		}
		return doc, nil
	}
	return inv.optimized(out, md, dynamoHeaders), nil
}

// dynamoCall decodes the request of action and sends it.
func (inv *Invoker) dynamoCall(ctx context.Context, s svc, action string, p map[string]any, avs map[string]map[string]ddbtypes.AttributeValue) (out any, md middleware.Metadata, err error) {
	c := inv.dynamodb
	switch action {
	case "getItem":
		var in dynamodb.GetItemInput
		if err = decode(s, p, &in); err == nil {
			in.Key = avs["Key"]
			var o *dynamodb.GetItemOutput
			if o, err = c.GetItem(ctx, &in); err == nil {
				return o, o.ResultMetadata, nil
			}
		}
	case "putItem":
		var in dynamodb.PutItemInput
		if err = decode(s, p, &in); err == nil {
			in.Item, in.ExpressionAttributeValues = avs["Item"], avs["ExpressionAttributeValues"]
			var o *dynamodb.PutItemOutput
			if o, err = c.PutItem(ctx, &in); err == nil {
				return o, o.ResultMetadata, nil
			}
		}
	case "updateItem":
		var in dynamodb.UpdateItemInput
		if err = decode(s, p, &in); err == nil {
			in.Key, in.ExpressionAttributeValues = avs["Key"], avs["ExpressionAttributeValues"]
			var o *dynamodb.UpdateItemOutput
			if o, err = c.UpdateItem(ctx, &in); err == nil {
				return o, o.ResultMetadata, nil
			}
		}
	case "deleteItem":
		var in dynamodb.DeleteItemInput
		if err = decode(s, p, &in); err == nil {
			in.Key, in.ExpressionAttributeValues = avs["Key"], avs["ExpressionAttributeValues"]
			var o *dynamodb.DeleteItemOutput
			if o, err = c.DeleteItem(ctx, &in); err == nil {
				return o, o.ResultMetadata, nil
			}
		}
	case "query":
		var in dynamodb.QueryInput
		if err = decode(s, p, &in); err == nil {
			in.ExpressionAttributeValues, in.ExclusiveStartKey = avs["ExpressionAttributeValues"], avs["ExclusiveStartKey"]
			var o *dynamodb.QueryOutput
			if o, err = c.Query(ctx, &in); err == nil {
				return o, o.ResultMetadata, nil
			}
		}
	case "scan":
		var in dynamodb.ScanInput
		if err = decode(s, p, &in); err == nil {
			in.ExpressionAttributeValues, in.ExclusiveStartKey = avs["ExpressionAttributeValues"], avs["ExclusiveStartKey"]
			var o *dynamodb.ScanOutput
			if o, err = c.Scan(ctx, &in); err == nil {
				return o, o.ResultMetadata, nil
			}
		}
	default:
		return nil, md, &statemachine.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("dynamodb %s is not run by the local stack", action)}
	}
	var te *statemachine.TaskError
	if errors.As(err, &te) {
		return nil, md, err // a parameter the request cannot take
	}
	return nil, md, serviceError(s, err)
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
