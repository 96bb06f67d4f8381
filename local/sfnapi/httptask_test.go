package sfnapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/local/integrations"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// httpEnv is an API server whose engine runs HTTP Tasks (with a
// connection adding Basic auth), and an API for them to call on
// 127.0.0.1.
type httpEnv struct {
	url, api string
	lastAuth chan string // the Authorization header each API call carried
}

func newHTTPEnv(t *testing.T) *httpEnv {
	t.Helper()
	he := &httpEnv{lastAuth: make(chan string, 8)}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		he.lastAuth <- r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	}))
	var conns map[string]integrations.Connection
	if err := json.Unmarshal([]byte(`{"api": {"AuthorizationType": "BASIC", "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}}}}`), &conns); err != nil {
		t.Fatal(err)
	}
	inv, err := integrations.New(integrations.Config{Connections: conns})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := statemachine.New(statemachine.Options{Services: inv})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(eng, Options{}))
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
		api.Close()
	})
	he.url, he.api = srv.URL, api.URL
	return he
}

// task is an HTTP Task state calling the API's /v1/items.
func (he *httpEnv) task() string {
	return fmt.Sprintf(`{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"%s/v1/items","Method":"POST",
	  "Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/api/0f8b2c1e"},"RequestBody":{"n.$":"$.n"}},"End":true}`, he.api)
}

// TestSDKTestStateHTTPTrace: TestState at inspection level TRACE through
// the Go SDK returns the HTTP Task's request and response; the
// connection's Authorization header shows only with revealSecrets.
func TestSDKTestStateHTTPTrace(t *testing.T) {
	he := newHTTPEnv(t)
	c := sfn.New(sfn.Options{Region: "eu-west-3", Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")}, ClientOptions(he.url))
	for _, reveal := range []bool{false, true} {
		out, err := c.TestState(context.Background(), &sfn.TestStateInput{Definition: aws.String(he.task()), RoleArn: aws.String(testRole),
			Input: aws.String(`{"n":3}`), InspectionLevel: types.InspectionLevelTrace, RevealSecrets: reveal})
		if err != nil {
			t.Fatal(err)
		}
		if auth := <-he.lastAuth; !strings.HasPrefix(auth, "Basic ") {
			t.Errorf("the API got Authorization %q, want the connection's Basic auth", auth)
		}
		if out.Status != types.TestExecutionStatusSucceeded || out.InspectionData == nil {
			t.Fatalf("status %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		req, resp := out.InspectionData.Request, out.InspectionData.Response
		if req == nil || resp == nil {
			t.Fatalf("reveal %v: no request or response in %+v", reveal, out.InspectionData)
		}
		if aws.ToString(req.Method) != "POST" || aws.ToString(req.Url) != he.api+"/v1/items" || aws.ToString(req.Protocol) != "http" || aws.ToString(req.Body) != `{"n":3}` {
			t.Errorf("request %s %s %s body %s", aws.ToString(req.Protocol), aws.ToString(req.Method), aws.ToString(req.Url), aws.ToString(req.Body))
		}
		if shown := strings.Contains(aws.ToString(req.Headers), "Authorization"); shown != reveal {
			t.Errorf("revealSecrets %v: request headers %s", reveal, aws.ToString(req.Headers))
		}
		if aws.ToString(resp.StatusCode) != "200" || aws.ToString(resp.StatusMessage) != "OK" || aws.ToString(resp.Body) != `{"path":"/v1/items"}` {
			t.Errorf("response %s %s %s", aws.ToString(resp.StatusCode), aws.ToString(resp.StatusMessage), aws.ToString(resp.Body))
		}
	}
}

// TestAWSCLITestStateHTTPTrace: the same with the real AWS CLI, through
// the endpoint form `runner up` prints for it.
func TestAWSCLITestStateHTTPTrace(t *testing.T) {
	he := newHTTPEnv(t)
	c := newCLI(t, CLIEndpoint(he.url), nil)
	out := c.ok("test-state", "--definition", he.task(), "--role-arn", testRole, "--input", `{"n":4}`, "--inspection-level", "TRACE")
	<-he.lastAuth
	d, _ := out["inspectionData"].(map[string]any)
	req, _ := d["request"].(map[string]any)
	resp, _ := d["response"].(map[string]any)
	if out["status"] != "SUCCEEDED" || req == nil || resp == nil {
		t.Fatalf("test-state = %v", out)
	}
	if req["method"] != "POST" || req["url"] != he.api+"/v1/items" || req["body"] != `{"n":4}` || strings.Contains(req["headers"].(string), "Authorization") {
		t.Errorf("request %v (no Authorization without --reveal-secrets)", req)
	}
	if resp["statusCode"] != "200" || resp["statusMessage"] != "OK" || resp["body"] != `{"path":"/v1/items"}` {
		t.Errorf("response %v", resp)
	}
	out = c.ok("test-state", "--definition", he.task(), "--role-arn", testRole, "--input", `{"n":4}`, "--inspection-level", "TRACE", "--reveal-secrets")
	<-he.lastAuth
	req, _ = out["inspectionData"].(map[string]any)["request"].(map[string]any)
	if h, _ := req["headers"].(string); !strings.Contains(h, "Basic ") {
		t.Errorf("--reveal-secrets: request headers %q, want the connection's Authorization", h)
	}
}
