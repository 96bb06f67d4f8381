package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// The HTTP Task, arn:aws:states:::http:invoke, as the Step Functions
// developer guide describes it ("Call HTTPS APIs in Step Functions
// workflows"): the state gives ApiEndpoint, Method, the EventBridge
// connection (Authentication or InvocationConfig, ConnectionArn) and
// optionally Headers, QueryParameters, RequestBody and Transform; the
// task answers {Headers, ResponseBody, StatusCode, StatusText}.
//
// Locally there are no EventBridge connections. ConnectionArn must be a
// connection ARN, and by default the connection adds nothing to the
// request: no authorization, no parameters. With [Config.Connections]
// (`runner up --connections FILE`) a connection the file names adds its
// Basic or API key authorization and its invocation parameters, merged as
// AWS merges them; an ARN the file does not name fails the task with
// Events.ConnectionResource.ResourceNotFound.

// httpMethods are the methods the HTTP Task accepts.
var httpMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true, "OPTIONS": true, "HEAD": true}

// forbiddenHeaders are the headers a state may not give; the task fails
// with States.Runtime (the docs' list, lower case). The x-forwarded-,
// x-amz- and x-amzn- prefixes are refused too.
var forbiddenHeaders = map[string]bool{
	"a-im": true, "accept-charset": true, "accept-datetime": true, "accept-encoding": true, "authorization": true,
	"cache-control": true, "connection": true, "content-encoding": true, "content-md5": true, "date": true,
	"expect": true, "forwarded": true, "from": true, "host": true, "http2-settings": true, "if-match": true,
	"if-modified-since": true, "if-none-match": true, "if-range": true, "if-unmodified-since": true,
	"max-forwards": true, "origin": true, "pragma": true, "proxy-authorization": true, "referer": true,
	"server": true, "te": true, "trailer": true, "transfer-encoding": true, "upgrade": true, "via": true, "warning": true,
}

// httpRange is the Range header Step Functions sets on every request (the
// 256 KiB payload limit).
const httpRange = "bytes=0-262144"

// maxHTTPResponse bounds what is read of a response; the engine's payload
// limit (States.DataLimitExceeded) decides what a task may return.
const maxHTTPResponse = 8 << 20

// httpRequest is an HTTP Task's request as built from the state's
// arguments, before the connection's additions.
type httpRequest struct {
	method, endpoint string
	headers          http.Header
	query            []kv
	body             any // nil: no RequestBody
	hasBody          bool
	urlEncoded       bool
	arrayFormat      string
	connectionArn    string
}

type kv struct{ k, v string }

// invokeHTTP runs an HTTP Task.
func (inv *Invoker) invokeHTTP(ctx context.Context, req statemachine.ServiceRequest, params map[string]any) (any, error) {
	hr, err := parseHTTPArgs(params)
	if err != nil {
		return nil, err
	}
	conn, err := inv.connection(hr.connectionArn)
	if err != nil {
		return nil, err
	}
	// What the state gave, then what the connection adds (its values win).
	shown, err := hr.build(nil, inv.cfg.Region)
	if err != nil {
		return nil, err
	}
	sent := shown
	if conn != nil {
		if sent, err = hr.build(conn, inv.cfg.Region); err != nil {
			return nil, err
		}
	}
	httpReq, err := http.NewRequestWithContext(ctx, hr.method, sent.url, bytes.NewReader(sent.body))
	if err != nil {
		return nil, runtimeErr("The ApiEndpoint '%s' is not a valid URL: %v", hr.endpoint, err)
	}
	httpReq.Header = sent.headers
	if len(sent.body) == 0 {
		httpReq.Body, httpReq.ContentLength = http.NoBody, 0
	}
	var trace *statemachine.HTTPTrace
	if req.Trace != nil {
		view := shown
		if req.RevealSecrets {
			view = sent
		}
		trace = &statemachine.HTTPTrace{Request: statemachine.HTTPTraceRequest{
			Protocol: schemeOf(view.url), Method: hr.method, URL: view.url,
			Headers: headerText(view.headers), Body: string(view.body),
		}}
		defer func() { req.Trace(*trace) }()
	}
	resp, err := inv.httpTask.Do(httpReq)
	if err != nil {
		return nil, socketError(ctx, err, inv.httpTimeout)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPResponse))
	if err != nil {
		return nil, socketError(ctx, err, inv.httpTimeout)
	}
	statusText := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	if statusText == "" {
		statusText = http.StatusText(resp.StatusCode)
	}
	if trace != nil {
		trace.Response = &statemachine.HTTPTraceResponse{
			Protocol: schemeOf(sent.url), StatusCode: strconv.Itoa(resp.StatusCode), StatusMessage: statusText,
			Headers: headerText(resp.Header), Body: string(raw),
		}
	}
	ct := resp.Header.Get("Content-Type")
	if unsupportedContentType(ct) {
		return nil, runtimeErr("The HTTP Task cannot return a response with Content-Type '%s' (binary, image, video and audio responses are not supported)", ct)
	}
	if !utf8.Valid(raw) {
		return nil, runtimeErr("The HTTP Task cannot return the response of %s %s: its body is not valid text", hr.method, hr.endpoint)
	}
	out := map[string]any{
		"Headers":      responseHeaders(resp.Header),
		"ResponseBody": responseBody(ct, raw),
		"StatusCode":   float64(resp.StatusCode),
		"StatusText":   statusText,
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &statemachine.TaskError{Name: "States.Http.StatusCode." + strconv.Itoa(resp.StatusCode), Cause: marshalJSON(out)}
	}
	return out, nil
}

// parseHTTPArgs reads the state's arguments. Problems with them are
// States.Runtime, naming the field.
func parseHTTPArgs(p map[string]any) (*httpRequest, error) {
	hr := &httpRequest{headers: http.Header{}, arrayFormat: "INDICES"}
	ep, _ := p["ApiEndpoint"].(string)
	u, err := url.Parse(ep)
	if ep == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, runtimeErr("The field 'ApiEndpoint' must be an http(s) URL, got %s", preview(p["ApiEndpoint"]))
	}
	hr.endpoint = ep
	m, _ := p["Method"].(string)
	if !httpMethods[m] {
		return nil, runtimeErr("The field 'Method' must be one of GET, POST, PUT, DELETE, PATCH, OPTIONS or HEAD, got %s", preview(p["Method"]))
	}
	hr.method = m
	var field string
	var arnVal any
	for _, f := range []string{"Authentication", "InvocationConfig"} {
		if v, ok := p[f]; ok {
			if field != "" {
				return nil, runtimeErr("Give the connection in 'Authentication' or 'InvocationConfig', not both")
			}
			field = f
			o, _ := v.(map[string]any)
			arnVal = o["ConnectionArn"]
			hr.connectionArn, _ = arnVal.(string)
		}
	}
	if field == "" {
		return nil, runtimeErr("The field 'Authentication' (or 'InvocationConfig') with a 'ConnectionArn' is required")
	}
	if connectionName(hr.connectionArn) == "" {
		return nil, runtimeErr("The field '%s.ConnectionArn' must be an EventBridge connection ARN (arn:aws:events:REGION:ACCOUNT:connection/NAME/ID), got %s", field, preview(arnVal))
	}
	if v, ok := p["Headers"]; ok && v != nil {
		hs, ok := v.(map[string]any)
		if !ok {
			return nil, runtimeErr("The field 'Headers' must be an object of header names and values, got %s", preview(v))
		}
		for _, name := range sortedKeys(hs) {
			if err := checkHeader(name); err != nil {
				return nil, err
			}
			for _, s := range scalarList(hs[name]) {
				hr.headers.Add(name, s)
			}
		}
	}
	if v, ok := p["QueryParameters"]; ok && v != nil {
		q, err := queryPairs(v)
		if err != nil {
			return nil, err
		}
		hr.query = q
	}
	if v, ok := p["RequestBody"]; ok {
		hr.body, hr.hasBody = v, true
	}
	if v, ok := p["Transform"]; ok && v != nil {
		t, ok := v.(map[string]any)
		if !ok {
			return nil, runtimeErr("The field 'Transform' must be an object, got %s", preview(v))
		}
		switch enc := t["RequestBodyEncoding"]; enc {
		case nil, "NONE":
		case "URL_ENCODED":
			hr.urlEncoded = true
		default:
			return nil, runtimeErr("The field 'Transform.RequestBodyEncoding' must be NONE or URL_ENCODED, got %s", preview(enc))
		}
		if o, ok := t["RequestEncodingOptions"].(map[string]any); ok {
			switch f := o["ArrayFormat"]; f {
			case nil:
			case "INDICES", "REPEAT", "COMMAS", "BRACKETS":
				hr.arrayFormat = f.(string)
			default:
				return nil, runtimeErr("The field 'Transform.RequestEncodingOptions.ArrayFormat' must be INDICES, REPEAT, COMMAS or BRACKETS, got %s", preview(f))
			}
		}
	}
	return hr, nil
}

func checkHeader(name string) error {
	l := strings.ToLower(name)
	if forbiddenHeaders[l] || strings.HasPrefix(l, "x-forwarded-") || strings.HasPrefix(l, "x-amz-") || strings.HasPrefix(l, "x-amzn-") {
		hint := ""
		if l == "authorization" {
			hint = "; authorization belongs in the EventBridge connection (locally: runner up --connections FILE)"
		}
		return runtimeErr("The header '%s' is not allowed in an HTTP Task's Headers%s", name, hint)
	}
	return nil
}

// builtRequest is the request as sent, or as TestState shows it without
// the connection's secrets.
type builtRequest struct {
	url     string
	headers http.Header
	body    []byte
}

// build merges the connection's additions (nil: none) into the state's
// request and serialises it.
func (hr *httpRequest) build(conn *Connection, region string) (builtRequest, error) {
	headers := hr.headers.Clone()
	query := append([]kv(nil), hr.query...)
	body, hasBody := hr.body, hr.hasBody
	if conn != nil {
		ps := conn.AuthParameters.InvocationHttpParameters
		for _, h := range ps.HeaderParameters {
			headers.Set(h.Key, h.Value)
		}
		switch conn.AuthorizationType {
		case "BASIC":
			b := conn.AuthParameters.BasicAuthParameters
			r := http.Request{Header: http.Header{}}
			r.SetBasicAuth(b.Username, b.Password)
			headers.Set("Authorization", r.Header.Get("Authorization"))
		case "API_KEY":
			k := conn.AuthParameters.ApiKeyAuthParameters
			headers.Set(k.ApiKeyName, k.ApiKeyValue)
		}
		for _, q := range ps.QueryStringParameters {
			query = withPair(query, q.Key, q.Value)
		}
		if len(ps.BodyParameters) > 0 {
			switch b := body.(type) {
			case nil:
				m := map[string]any{}
				for _, p := range ps.BodyParameters {
					m[p.Key] = p.Value
				}
				body, hasBody = m, true
			case map[string]any:
				m := make(map[string]any, len(b)+len(ps.BodyParameters))
				for k, v := range b {
					m[k] = v
				}
				for _, p := range ps.BodyParameters {
					m[p.Key] = p.Value
				}
				body = m
			default:
				return builtRequest{}, runtimeErr("The RequestBody is not an object, so the body parameters of connection '%s' cannot be merged into it", conn.arn)
			}
		}
	}
	var out builtRequest
	out.url = hr.endpoint
	if len(query) > 0 {
		parts := make([]string, len(query))
		for i, q := range query {
			parts[i] = encodeComponent(q.k) + "=" + encodeComponent(q.v)
		}
		sep := "?"
		if strings.Contains(out.url, "?") {
			sep = "&"
		}
		out.url += sep + strings.Join(parts, "&")
	}
	if hasBody {
		if hr.urlEncoded {
			switch b := body.(type) {
			case string:
				out.body = []byte(b) // already form data
			case map[string]any:
				out.body = []byte(formEncode(b, hr.arrayFormat))
			default:
				return builtRequest{}, runtimeErr("The RequestBody must be an object to be URL-encoded, got %s", preview(body))
			}
		} else {
			out.body = []byte(marshalJSON(body))
		}
		if headers.Get("Content-Type") == "" {
			headers.Set("Content-Type", "application/json; charset=UTF-8")
		}
	}
	// Step Functions sets these, whatever the state gave.
	headers.Set("User-Agent", "Amazon|StepFunctions|HttpInvoke|"+region)
	headers.Set("Range", httpRange)
	out.headers = headers
	return out, nil
}

// withPair sets key to value in q, replacing the pairs of that key.
func withPair(q []kv, key, value string) []kv {
	out := q[:0:0]
	for _, p := range q {
		if p.k != key {
			out = append(out, p)
		}
	}
	return append(out, kv{key, value})
}

// queryPairs reads QueryParameters: an object of names and values (a list
// value repeats the name), a list of such objects, or a query string.
func queryPairs(v any) ([]kv, error) {
	switch q := v.(type) {
	case string:
		vals, err := url.ParseQuery(strings.TrimPrefix(q, "?"))
		if err != nil {
			return nil, runtimeErr("The field 'QueryParameters' is not a query string: %v", err)
		}
		var out []kv
		for _, k := range sortedKeys(vals) {
			for _, s := range vals[k] {
				out = append(out, kv{k, s})
			}
		}
		return out, nil
	case map[string]any:
		var out []kv
		for _, k := range sortedKeys(q) {
			for _, s := range scalarList(q[k]) {
				out = append(out, kv{k, s})
			}
		}
		return out, nil
	case []any:
		var out []kv
		for _, e := range q {
			o, ok := e.(map[string]any)
			if !ok {
				return nil, runtimeErr("The field 'QueryParameters' must be an object, a list of objects or a string, got a list holding %s", preview(e))
			}
			more, _ := queryPairs(o)
			out = append(out, more...)
		}
		return out, nil
	}
	return nil, runtimeErr("The field 'QueryParameters' must be an object, a list of objects or a string, got %s", preview(v))
}

// scalarList is a header or query value as strings: a list gives one per
// element; any other value its text.
func scalarList(v any) []string {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			out = append(out, scalarText(e))
		}
		return out
	}
	return []string{scalarText(v)}
}

// scalarText is a JSON value as a parameter value: a string itself,
// null empty, anything else its JSON text.
func scalarText(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	}
	return marshalJSON(v)
}

// formEncode is RequestBody as application/x-www-form-urlencoded data,
// nested objects as key[member], arrays in the given format:
//
//	INDICES  a[0]=x&a[1]=y
//	REPEAT   a=x&a=y
//	COMMAS   a=x,y
//	BRACKETS a[]=x&a[]=y
//
// Keys and values are percent-encoded as RFC 3986 unreserved characters
// (the docs' example: a space is %20, brackets are %5B and %5D). Members
// come in key order: the engine's JSON objects keep none.
func formEncode(body map[string]any, format string) string {
	var parts []string
	var add func(key string, v any)
	add = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				add(key+"["+k+"]", x[k])
			}
		case []any:
			if format == "COMMAS" && allScalar(x) {
				vals := make([]string, len(x))
				for i, e := range x {
					vals[i] = encodeComponent(scalarText(e))
				}
				parts = append(parts, encodeComponent(key)+"="+strings.Join(vals, ","))
				return
			}
			for i, e := range x {
				switch format {
				case "REPEAT", "COMMAS":
					add(key, e)
				case "BRACKETS":
					add(key+"[]", e)
				default:
					add(key+"["+strconv.Itoa(i)+"]", e)
				}
			}
		default:
			parts = append(parts, encodeComponent(key)+"="+encodeComponent(scalarText(v)))
		}
	}
	for _, k := range sortedKeys(body) {
		add(k, body[k])
	}
	return strings.Join(parts, "&")
}

func allScalar(l []any) bool {
	for _, e := range l {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// encodeComponent percent-encodes everything but RFC 3986's unreserved
// characters.
func encodeComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// unsupportedContentType reports the response types the docs say the
// HTTP Task cannot return.
func unsupportedContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(ct))
	}
	return mt == "application/octet-stream" || strings.HasPrefix(mt, "image/") || strings.HasPrefix(mt, "video/") || strings.HasPrefix(mt, "audio/")
}

// responseBody is ResponseBody: the parsed document when the response
// says it is JSON and is, else the text.
func responseBody(ct string, raw []byte) any {
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		var v any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&v) == nil && !d.More() {
			return numbersToFloat(v)
		}
	}
	return string(raw)
}

// numbersToFloat turns json.Number into float64, the engine's numbers.
func numbersToFloat(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbersToFloat(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbersToFloat(e)
		}
	}
	return v
}

// responseHeaders is Headers: each response header with its list of
// values.
func responseHeaders(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	for k, vs := range h {
		l := make([]any, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		out[k] = l
	}
	return out
}

// headerText is headers as TestState's trace shows them: the JSON text of
// the names and their lists of values.
func headerText(h http.Header) string {
	return marshalJSON(responseHeaders(h))
}

func schemeOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Scheme
	}
	return ""
}

// socketError is the failure of a request that got no answer:
// States.Http.Socket, which the docs name for a request that timed out
// after 60 seconds; a refused or reset connection fails the same way.
func socketError(ctx context.Context, err error, timeout string) error {
	cause := "Unable to execute HTTP request: " + netCause(err)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
		cause = "Unable to execute HTTP request: the API did not answer within " + timeout
	}
	return &statemachine.TaskError{Name: "States.Http.Socket", Cause: cause}
}

func runtimeErr(format string, args ...any) error {
	return &statemachine.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf(format, args...)}
}

// preview is a value as an error message shows it: its JSON text, cut.
func preview(v any) string {
	if v == nil {
		return "nothing"
	}
	s := marshalJSON(v)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
