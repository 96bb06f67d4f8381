package integrations

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// decode fills the SDK input struct dst from the task's parameters. The
// SDK's Go field names are the API's PascalCase member names, so the
// parameters decode as a JSON document would; a member of the wrong type
// is a validation error naming it.
func decode(s svc, params map[string]any, dst any) error {
	b, err := json.Marshal(params)
	if err != nil {
		return paramError(s, "the parameters are not JSON: %v", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return paramError(s, "the parameter '%s' has the wrong type: a JSON %s where a %s is wanted", te.Field, te.Value, jsonKind(te.Type))
		}
		return paramError(s, "the parameters do not fit the %s request: %v", s.name, err)
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "base64 string"
		}
		return "array"
	}
	return "object"
}

// textOf is the string a member that the API types as a string carries
// when the state gives a JSON value: the string itself, or the value
// serialised (a MessageBody of {"token": "..."} is sent as that JSON text).
func textOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// headerSet names the response headers SdkHttpMetadata carries for a
// service, spelled as AWS writes them, with the value used when the
// endpoint did not send one.
type headerSet []struct{ name, fallback string }

var (
	// sqs:sendMessage as recorded (SQS's JSON protocol).
	sqsHeaders = headerSet{{"x-amzn-RequestId", ""}, {"connection", "keep-alive"}, {"Content-Length", ""}, {"Date", ""}, {"Content-Type", "application/x-amz-json-1.0"}}
	// sns:publish as recorded (SNS's query protocol answers XML).
	snsHeaders = headerSet{{"x-amzn-RequestId", ""}, {"connection", "keep-alive"}, {"Content-Length", ""}, {"Date", ""}, {"Content-Type", "text/xml"}}
	// dynamodb:* as recorded.
	dynamoHeaders = headerSet{{"Server", "Server"}, {"Connection", "keep-alive"}, {"x-amzn-RequestId", ""}, {"x-amz-crc32", ""}, {"Content-Length", ""}, {"Date", ""}, {"Content-Type", "application/x-amz-json-1.0"}}
)

// withMetadata adds the SdkHttpMetadata and SdkResponseMetadata members
// the optimized integrations add to a response (the AWS SDK for Java v1's
// response metadata), from the HTTP response the SDK kept in md.
func withMetadata(out map[string]any, md middleware.Metadata, hs headerSet, now time.Time) map[string]any {
	var hdr http.Header
	status := 200
	length := ""
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil {
		hdr = raw.Header
		status = raw.StatusCode
		if raw.ContentLength >= 0 {
			length = strconv.FormatInt(raw.ContentLength, 10)
		}
	}
	reqID, _ := awsmiddleware.GetRequestIDMetadata(md)
	all, single := map[string]any{}, map[string]any{}
	for _, h := range hs {
		v := hdr.Get(h.name)
		switch {
		case strings.EqualFold(h.name, "x-amzn-RequestId") && v == "":
			v = reqID
		case h.name == "Content-Length" && v == "":
			v = length
		case h.name == "Date" && v == "":
			v = strings.Replace(now.UTC().Format(time.RFC1123), "UTC", "GMT", 1)
		case v == "":
			v = h.fallback
		}
		all[h.name] = []any{v}
		single[h.name] = v
	}
	if reqID == "" {
		reqID = hdr.Get("x-amzn-RequestId")
	}
	out["SdkHttpMetadata"] = map[string]any{"AllHttpHeaders": all, "HttpHeaders": single, "HttpStatusCode": float64(status)}
	out["SdkResponseMetadata"] = map[string]any{"RequestId": reqID}
	return out
}

// isoTime is how the AWS SDK integrations write a timestamp member.
const isoTime = "2006-01-02T15:04:05.000Z"

var (
	timeType   = reflect.TypeOf(time.Time{})
	readerType = reflect.TypeOf((*io.Reader)(nil)).Elem()
)

// toDoc turns an SDK output value into the JSON document Step Functions
// returns: members by their PascalCase names, absent members (nil, "")
// left out, timestamps in ISO 8601, blobs in base64. ResultMetadata and
// streaming bodies are left to the caller.
func toDoc(v reflect.Value) (any, bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, false
		}
		if v.Type().Implements(readerType) {
			return nil, false
		}
		if av, ok := attributeValue(v); ok {
			return av, true
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).UTC().Format(isoTime), true
		}
		out := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			if d, ok := toDoc(v.Field(i)); ok {
				out[f.Name] = d
			}
		}
		return out, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		out := map[string]any{}
		it := v.MapRange()
		for it.Next() {
			if d, ok := toDoc(it.Value()); ok {
				out[fmt.Sprint(it.Key().Interface())] = d
			}
		}
		return out, true
	case reflect.Slice:
		if v.IsNil() {
			return nil, false
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(v.Bytes()), true
		}
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			d, _ := toDoc(v.Index(i))
			out = append(out, d)
		}
		return out, true
	case reflect.String:
		if v.String() == "" {
			return nil, false
		}
		return v.String(), true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	}
	return nil, false
}

// marshalJSON writes v as compact JSON without HTML escaping, as Step
// Functions writes a JSON cause.
func marshalJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
