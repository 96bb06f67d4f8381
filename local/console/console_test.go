package console

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

type fakeAPI struct{ machines []types.StateMachineListItem }

func (f fakeAPI) ListStateMachines(context.Context, *sfn.ListStateMachinesInput, ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error) {
	return &sfn.ListStateMachinesOutput{StateMachines: f.machines}, nil
}

func TestWorkflowsPageEscapesAndChecksHost(t *testing.T) {
	h := &Handler{API: fakeAPI{[]types.StateMachineListItem{{Name: aws.String(`<script>window.pwned=1</script>"onmouseover=x`), StateMachineArn: aws.String("arn:x")}}}}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://127.0.0.1:8083/", nil)
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != 200 || strings.Contains(body, "<script>") || strings.Contains(body, `"onmouseover=`) || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("code %d, body:\n%s", rec.Code, body)
	}
	if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("CSP = %q", rec.Header().Get("Content-Security-Policy"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://evil.example:8083/", nil))
	if rec.Code != 403 {
		t.Errorf("Host evil.example: code %d, want 403", rec.Code)
	}
}
