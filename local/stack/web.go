package stack

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepwise-dev/stepwise/local/console"
	"github.com/stepwise-dev/stepwise/local/sfnapi"
)

// withConsole serves the web console on the Step Functions API's address:
// API calls (POST / with X-Amz-Target, as every SDK sends them) go to api,
// everything else — GET /, the pages, the console's own POST /actions/... —
// to the console. The console is a client of this very API (the same SDK
// calls a user makes) and of the local S3 for export approvals.
func (st *Stack) withConsole(ctx context.Context, api http.Handler, endpoint string, opts Options) http.Handler {
	client := sfn.New(sfn.Options{Region: opts.Region, Credentials: credentials.NewStaticCredentialsProvider("stepwise", "stepwise", "")},
		sfnapi.ClientOptions(endpoint))
	copts := console.Options{SFN: client, Known: map[string]console.WorkflowInfo{}}
	for _, w := range st.Workflows {
		info := console.WorkflowInfo{Trigger: w.TriggerFile}
		for _, sc := range w.Schedules {
			info.Schedules = append(info.Schedules, fmt.Sprintf("%s: %s (%s)", sc.Name, sc.Expression, sc.Timezone))
		}
		copts.Known[w.Arn] = info
	}
	if st.s3 != nil {
		if s3c, err := st.s3.NewClient(ctx); err == nil {
			copts.S3, copts.Bucket = s3c, opts.Bucket
		}
	}
	ui := console.New(copts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "" || r.Method == http.MethodPost && r.URL.Path == "/" {
			api.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
}
