package integrations_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/local/integrations"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// The HTTP Task against an httptest server on 127.0.0.1.

const testConnArn = "arn:aws:events:us-east-1:123456789012:connection/Stripe/81210c42-8af1-456b-9c4a-6ff02fc664ac"

// seen is one request the API server received.
type seen struct {
	method, path, rawQuery, body string
	header                       http.Header
}

// apiServer answers every request with handler and records what came.
type apiServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newAPIServer(t *testing.T, handler http.HandlerFunc) *apiServer {
	t.Helper()
	s := &apiServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Clone()})
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) last(t *testing.T) seen {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("the API server received no request")
	}
	return s.reqs[len(s.reqs)-1]
}

func jsonAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// httpParams are a GET of url with the test connection.
func httpParams(url string, more map[string]any) map[string]any {
	p := map[string]any{"ApiEndpoint": url, "Method": "GET", "Authentication": map[string]any{"ConnectionArn": testConnArn}}
	for k, v := range more {
		p[k] = v
	}
	return p
}

func newHTTPInvoker(t *testing.T, cfg integrations.Config) *integrations.Invoker {
	t.Helper()
	inv, err := integrations.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestHTTPTaskJSON(t *testing.T) {
	srv := newAPIServer(t, jsonAnswer(200, `{"id":"cus_1","count":2,"tags":["a"]}`))
	inv := newHTTPInvoker(t, integrations.Config{})
	r := run(t, inv, "arn:aws:states:::http:invoke", httpParams(srv.URL+"/v1/customers", map[string]any{
		"Headers":         map[string]any{"X-Trace": "t1", "Accept": "application/json"},
		"QueryParameters": map[string]any{"currency": "usd", "q": "a b&c", "ids": []any{"1", "2"}},
	}), nil)
	checkEvents(t, r, "http", "invoke", "")
	req := srv.last(t)
	if req.method != "GET" || req.path != "/v1/customers" {
		t.Errorf("request %s %s", req.method, req.path)
	}
	if want := "currency=usd&ids=1&ids=2&q=a%20b%26c"; req.rawQuery != want {
		t.Errorf("query %q, want %q", req.rawQuery, want)
	}
	for h, want := range map[string]string{"User-Agent": "Amazon|StepFunctions|HttpInvoke|us-east-1", "Range": "bytes=0-262144", "X-Trace": "t1", "Accept": "application/json", "Authorization": "", "Content-Type": ""} {
		if got := req.header.Get(h); got != want {
			t.Errorf("header %s: %q, want %q", h, got, want)
		}
	}
	if req.body != "" {
		t.Errorf("a GET without RequestBody sent a body: %q", req.body)
	}
	out := r.output(t)
	if out["StatusCode"] != float64(200) || out["StatusText"] != "OK" {
		t.Errorf("StatusCode %v StatusText %v", out["StatusCode"], out["StatusText"])
	}
	body, _ := out["ResponseBody"].(map[string]any)
	if body["id"] != "cus_1" || body["count"] != float64(2) {
		t.Errorf("ResponseBody %#v, want the parsed JSON document", out["ResponseBody"])
	}
	hs, _ := out["Headers"].(map[string]any)
	if l, _ := hs["X-Request-Id"].([]any); len(l) != 1 || l[0] != "req-1" {
		t.Errorf("Headers %v: want X-Request-Id as a list of its values", hs)
	}
	sched := r.task(t, "TaskScheduled")
	var p map[string]any
	if err := json.Unmarshal([]byte(sched["parameters"].(string)), &p); err != nil || p["ApiEndpoint"] != srv.URL+"/v1/customers" {
		t.Errorf("TaskScheduled parameters %v (%v)", sched["parameters"], err)
	}
}

func TestHTTPTaskTextAndJSONBody(t *testing.T) {
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(201)
		io.WriteString(w, `{"looks":"like json"}`)
	})
	inv := newHTTPInvoker(t, integrations.Config{})
	r := run(t, inv, "arn:aws:states:::http:invoke", httpParams(srv.URL, map[string]any{
		"Method": "POST", "RequestBody": map[string]any{"Card": map[string]any{"Number": "1234", "Name": "A <b>"}},
	}), nil)
	checkEvents(t, r, "http", "invoke", "")
	req := srv.last(t)
	if want := `{"Card":{"Name":"A <b>","Number":"1234"}}`; req.body != want {
		t.Errorf("body %q, want %q", req.body, want)
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type %q, want the JSON default", ct)
	}
	out := r.output(t)
	if out["ResponseBody"] != `{"looks":"like json"}` || out["StatusCode"] != float64(201) || out["StatusText"] != "Created" {
		t.Errorf("output %v: a text/plain answer is ResponseBody text", out)
	}
}

func TestHTTPTaskURLEncoded(t *testing.T) {
	body := map[string]any{"customer": "cus 1", "array": []any{"a", "b"}, "metadata": map[string]any{"order_details": "monthly report"}}
	for format, want := range map[string]string{
		"INDICES":  "array%5B0%5D=a&array%5B1%5D=b&customer=cus%201&metadata%5Border_details%5D=monthly%20report",
		"REPEAT":   "array=a&array=b&customer=cus%201&metadata%5Border_details%5D=monthly%20report",
		"COMMAS":   "array=a,b&customer=cus%201&metadata%5Border_details%5D=monthly%20report",
		"BRACKETS": "array%5B%5D=a&array%5B%5D=b&customer=cus%201&metadata%5Border_details%5D=monthly%20report",
	} {
		t.Run(format, func(t *testing.T) {
			srv := newAPIServer(t, jsonAnswer(200, `{}`))
			inv := newHTTPInvoker(t, integrations.Config{})
			r := run(t, inv, "arn:aws:states:::http:invoke", httpParams(srv.URL, map[string]any{
				"Method": "POST", "RequestBody": body,
				"Headers":   map[string]any{"Content-Type": "application/x-www-form-urlencoded"},
				"Transform": map[string]any{"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": map[string]any{"ArrayFormat": format}},
			}), nil)
			checkEvents(t, r, "http", "invoke", "")
			req := srv.last(t)
			if req.body != want {
				t.Errorf("body %q, want %q", req.body, want)
			}
			if ct := req.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// runDef runs a whole definition on input and returns what happened.
func runDef(t *testing.T, inv *integrations.Invoker, def, input string) *result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := statemachine.New(statemachine.Options{Services: inv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: "m", Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn, Input: input, InputSet: true})
	if err != nil {
		t.Fatal(err)
	}
	if x, err = e.WaitExecution(ctx, x.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	hist, err := e.GetExecutionHistory(ctx, x.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(hist)
	r := &result{x: x, engine: e}
	if err := json.Unmarshal(b, &r.events); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHTTPTaskStatusCodeCaught(t *testing.T) {
	srv := newAPIServer(t, jsonAnswer(404, `{"error":{"message":"No such customer"}}`))
	inv := newHTTPInvoker(t, integrations.Config{})
	def := fmt.Sprintf(`{"StartAt":"Call","States":{
	  "Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
	    "Parameters":{"ApiEndpoint.$":"States.Format('%s/v1/customers/{}', $.id)","Method":"GET","Authentication":{"ConnectionArn":%q}},
	    "Catch":[{"ErrorEquals":["States.Http.StatusCode.404"],"ResultPath":"$.error","Next":"Missing"}],"End":true},
	  "Missing":{"Type":"Pass","End":true}}}`, srv.URL, testConnArn)
	r := runDef(t, inv, def, `{"id":"cus_9"}`)
	if r.x.Status != "SUCCEEDED" {
		t.Fatalf("status %s error %s cause %s: the Catch should take the 404", r.x.Status, deref(r.x.Error), deref(r.x.Cause))
	}
	if p := srv.last(t).path; p != "/v1/customers/cus_9" {
		t.Errorf("path %q", p)
	}
	failed := r.task(t, "TaskFailed")
	if failed["error"] != "States.Http.StatusCode.404" || failed["resourceType"] != "http" || failed["resource"] != "invoke" {
		t.Errorf("TaskFailed %v", failed)
	}
	errOut, _ := r.output(t)["error"].(map[string]any)
	if errOut["Error"] != "States.Http.StatusCode.404" {
		t.Fatalf("caught error %v", errOut)
	}
	// The cause is the answer, in the shape of a successful task's output.
	var cause map[string]any
	if err := json.Unmarshal([]byte(errOut["Cause"].(string)), &cause); err != nil {
		t.Fatalf("cause %q is not JSON: %v", errOut["Cause"], err)
	}
	body, _ := cause["ResponseBody"].(map[string]any)
	if cause["StatusCode"] != float64(404) || cause["StatusText"] != "Not Found" || body["error"] == nil {
		t.Errorf("cause %v", cause)
	}
}

func TestHTTPTaskConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	inv := newHTTPInvoker(t, integrations.Config{})
	r := run(t, inv, "arn:aws:states:::http:invoke", httpParams("http://"+addr+"/x", nil), nil)
	checkEvents(t, r, "http", "invoke", "States.Http.Socket")
	if c := deref(r.x.Cause); !strings.Contains(c, "connection refused") {
		t.Errorf("cause %q should say the connection was refused", c)
	}
}

func TestHTTPTaskTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	inv := newHTTPInvoker(t, integrations.Config{HTTPTaskTimeout: 200 * time.Millisecond})
	r := run(t, inv, "arn:aws:states:::http:invoke", httpParams(srv.URL, nil), nil)
	checkEvents(t, r, "http", "invoke", "States.Http.Socket")
	if c := deref(r.x.Cause); !strings.Contains(c, "did not answer within 200ms") {
		t.Errorf("cause %q", c)
	}
}

func TestHTTPTaskRuntimeErrors(t *testing.T) {
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte{0x89, 'P', 'N', 'G'})
	})
	for _, c := range []struct {
		name   string
		params map[string]any
		cause  string
	}{
		{"forbidden header", httpParams(srv.URL, map[string]any{"Headers": map[string]any{"Authorization": "Bearer x"}}), "The header 'Authorization' is not allowed"},
		{"x-amz prefix", httpParams(srv.URL, map[string]any{"Headers": map[string]any{"X-Amz-Date": "now"}}), "The header 'X-Amz-Date' is not allowed"},
		{"method", httpParams(srv.URL, map[string]any{"Method": "TRACE"}), "The field 'Method' must be one of"},
		{"connection arn", httpParams(srv.URL, map[string]any{"Authentication": map[string]any{"ConnectionArn": "arn:aws:events:us-east-1:123456789012:rule/x"}}), "must be an EventBridge connection ARN"},
		{"endpoint", httpParams("ftp://127.0.0.1/x", nil), "The field 'ApiEndpoint' must be an http(s) URL"},
		{"image answer", httpParams(srv.URL, nil), "Content-Type 'image/png'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := newHTTPInvoker(t, integrations.Config{})
			r := run(t, inv, "arn:aws:states:::http:invoke", c.params, nil)
			checkEvents(t, r, "http", "invoke", "States.Runtime")
			if !strings.Contains(deref(r.x.Cause), c.cause) {
				t.Errorf("cause %q, want it to contain %q", deref(r.x.Cause), c.cause)
			}
		})
	}
}

// testConnections is a connections file's content: Basic auth plus one
// parameter of each kind, the header and query ones overriding the
// state's.
func testConnections(t *testing.T) map[string]integrations.Connection {
	t.Helper()
	var conns map[string]integrations.Connection
	err := json.Unmarshal([]byte(`{"Stripe": {"AuthorizationType": "BASIC",
	  "AuthParameters": {"BasicAuthParameters": {"Username": "user", "Password": "s3cret"},
	    "InvocationHttpParameters": {
	      "HeaderParameters": [{"Key": "Header-Param", "Value": "connection_header"}],
	      "QueryStringParameters": [{"Key": "QueryParam", "Value": "connection_query"}],
	      "BodyParameters": [{"Key": "BodyParam", "Value": "connection_body"}]}}}}`), &conns)
	if err != nil {
		t.Fatal(err)
	}
	return conns
}

func TestHTTPTaskConnection(t *testing.T) {
	srv := newAPIServer(t, jsonAnswer(200, `{}`))
	inv := newHTTPInvoker(t, integrations.Config{Connections: testConnections(t)})
	r := run(t, inv, "arn:aws:states:::http:invoke", httpParams(srv.URL+"/path", map[string]any{
		"Method":          "POST",
		"Headers":         map[string]any{"Request-Id": "r1", "Header-Param": "state_header"},
		"QueryParameters": map[string]any{"QueryParam": "state_query"},
		"RequestBody":     map[string]any{"Job": "Engineer", "BodyParam": "state_body"},
	}), nil)
	checkEvents(t, r, "http", "invoke", "")
	req := srv.last(t)
	if u, p, ok := (&http.Request{Header: req.header}).BasicAuth(); !ok || u != "user" || p != "s3cret" {
		t.Errorf("Authorization %q: want the connection's Basic credentials", req.header.Get("Authorization"))
	}
	if req.header.Get("Header-Param") != "connection_header" || req.header.Get("Request-Id") != "r1" {
		t.Errorf("headers %v: the connection's value wins, the state's others stay", req.header)
	}
	if req.rawQuery != "QueryParam=connection_query" {
		t.Errorf("query %q", req.rawQuery)
	}
	if want := `{"BodyParam":"connection_body","Job":"Engineer"}`; req.body != want {
		t.Errorf("body %s, want %s", req.body, want)
	}

	// A connection the file does not name.
	other := strings.Replace(testConnArn, "Stripe", "Other", 1)
	r = run(t, inv, "arn:aws:states:::http:invoke", httpParams(srv.URL, map[string]any{"Authentication": map[string]any{"ConnectionArn": other}}), nil)
	checkEvents(t, r, "http", "invoke", "Events.ConnectionResource.ResourceNotFound")
}

func TestLoadConnectionsRefusesOAuth(t *testing.T) {
	path := t.TempDir() + "/connections.json"
	if err := writeFile(path, `{"x": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {}}}`); err != nil {
		t.Fatal(err)
	}
	_, err := integrations.LoadConnections(path)
	if err == nil || !strings.Contains(err.Error(), "OAUTH_CLIENT_CREDENTIALS is not supported locally") {
		t.Fatalf("err %v", err)
	}
}

func TestHTTPTaskTestStateTrace(t *testing.T) {
	srv := newAPIServer(t, jsonAnswer(200, `{"ok":true}`))
	inv := newHTTPInvoker(t, integrations.Config{Connections: testConnections(t)})
	e, err := statemachine.New(statemachine.Options{Services: inv})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p, _ := json.Marshal(httpParams(srv.URL+"/v1", map[string]any{"QueryParameters": map[string]any{"a": "1"}, "Headers": map[string]any{"X-Mine": "m"}}))
	def := fmt.Sprintf(`{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":%s,"End":true}`, p)
	for _, reveal := range []bool{false, true} {
		out, err := e.TestState(context.Background(), statemachine.TestStateInput{Definition: def, InspectionLevel: "TRACE", RevealSecrets: reveal})
		if err != nil {
			t.Fatal(err)
		}
		d := out.InspectionData
		if out.Status != "SUCCEEDED" || d == nil || d.Request == nil || d.Response == nil {
			t.Fatalf("reveal %v: status %s %s %s, inspection %+v", reveal, out.Status, out.Error, out.Cause, d)
		}
		wantURL := srv.URL + "/v1?a=1"
		if reveal {
			wantURL += "&QueryParam=connection_query"
		}
		if d.Request.Method != "GET" || d.Request.Protocol != "http" || d.Request.URL != wantURL {
			t.Errorf("reveal %v: request %+v, want URL %s", reveal, d.Request, wantURL)
		}
		var hs map[string][]string
		if err := json.Unmarshal([]byte(d.Request.Headers), &hs); err != nil {
			t.Fatalf("request headers %q: %v", d.Request.Headers, err)
		}
		_, hasAuth := hs["Authorization"]
		if hasAuth != reveal || hs["X-Mine"] == nil || hs["User-Agent"] == nil {
			t.Errorf("reveal %v: request headers %v (Authorization shown only with revealSecrets)", reveal, hs)
		}
		if d.Response.StatusCode != "200" || d.Response.StatusMessage != "OK" || d.Response.Body != `{"ok":true}` || !strings.Contains(d.Response.Headers, "application/json") {
			t.Errorf("reveal %v: response %+v", reveal, d.Response)
		}
		if !strings.Contains(d.Result, `"StatusCode":200`) {
			t.Errorf("result %s", d.Result)
		}
	}
	// DEBUG shows no exchange.
	out, err := e.TestState(context.Background(), statemachine.TestStateInput{Definition: def, InspectionLevel: "DEBUG"})
	if err != nil {
		t.Fatal(err)
	}
	if out.InspectionData == nil || out.InspectionData.Request != nil || out.InspectionData.Response != nil {
		t.Errorf("DEBUG inspection %+v: request and response are TRACE's", out.InspectionData)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func TestHTTPTaskJSONata(t *testing.T) {
	srv := newAPIServer(t, jsonAnswer(200, `{"total":7}`))
	inv := newHTTPInvoker(t, integrations.Config{})
	def := fmt.Sprintf(`{"QueryLanguage":"JSONata","StartAt":"Call","States":{
	  "Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
	    "Arguments":{"ApiEndpoint":"{%% '%s/orders/' & $states.input.id %%}","Method":"PUT","InvocationConfig":{"ConnectionArn":%q},
	      "RequestBody":{"qty":"{%% $states.input.qty %%}"}},
	    "Output":"{%% $states.result.ResponseBody.total %%}","End":true}}}`, srv.URL, testConnArn)
	r := runDef(t, inv, def, `{"id":"o-1","qty":3}`)
	if r.x.Status != "SUCCEEDED" || deref(r.x.Output) != "7" {
		t.Fatalf("status %s output %s error %s cause %s", r.x.Status, deref(r.x.Output), deref(r.x.Error), deref(r.x.Cause))
	}
	if req := srv.last(t); req.method != "PUT" || req.path != "/orders/o-1" || req.body != `{"qty":3}` {
		t.Errorf("request %s %s %s", req.method, req.path, req.body)
	}
}
