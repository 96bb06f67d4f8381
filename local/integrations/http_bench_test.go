package integrations_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stepwise-dev/stepwise/local/integrations"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// BenchmarkHTTPTaskExecution measures one execution of a one-state
// machine whose HTTP Task POSTs a JSON body to an API on 127.0.0.1 and
// parses its JSON answer: the engine, the invoker and the loopback round
// trip together.
func BenchmarkHTTPTaskExecution(b *testing.B) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"cus_1","items":[1,2,3]}`)
	}))
	defer api.Close()
	inv, err := integrations.New(integrations.Config{})
	if err != nil {
		b.Fatal(err)
	}
	e, err := statemachine.New(statemachine.Options{Services: inv})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	p, _ := json.Marshal(httpParams(api.URL+"/v1", map[string]any{"Method": "POST", "RequestBody": map[string]any{"n.$": "$.n"}}))
	ctx := context.Background()
	sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: "bench",
		Definition: fmt.Sprintf(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":%s,"End":true}}}`, p)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, err := e.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn, Input: `{"n":1}`, InputSet: true})
		if err != nil {
			b.Fatal(err)
		}
		if x, err = e.WaitExecution(ctx, x.ExecutionArn); err != nil || x.Status != "SUCCEEDED" {
			b.Fatalf("%v %v", err, x.Status)
		}
	}
}
