package stack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/steps/approval"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// ApprovalKeyFile is the decision links' signing key, inside the data
// directory (mode 0600, created on first start).
const ApprovalKeyFile = "approval.key"

// ApprovalPath is where the API address serves the approval decision page.
const ApprovalPath = "/approval"

// withApproval serves the approval decision page (package steps/approval)
// at ApprovalPath on the Step Functions API's address, and points the steps
// at it: STEPWISE_APPROVAL_URL and STEPWISE_APPROVAL_KEY_FILE go into
// StepEnv and, for in-process steps, into this process's environment (set
// here, once the port is known; requestapproval reads them when it first
// finds them set). With no SNS topic configured the notifications land in
// the outbox, approvals/outbox/<execution>.txt. The page answers tasks
// through this very API with the same SDK client a user has.
func (st *Stack) withApproval(ctx context.Context, h http.Handler, addr string, opts Options) (http.Handler, error) {
	if st.s3 == nil {
		return h, nil // no records to show without S3
	}
	keyFile := filepath.Join(st.dataDir, ApprovalKeyFile)
	key, err := approval.LoadOrCreateKey(keyFile)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	s3c, err := st.s3.NewClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("stack: approval page: %w", err)
	}
	endpoint := "http://" + addr
	tasks := sfn.New(sfn.Options{Region: opts.Region, Credentials: credentials.NewStaticCredentialsProvider("stepwise", "stepwise", "")}, sfnapi.ClientOptions(endpoint))
	page := &approval.Page{Key: key, Store: objstore.NewSDK(s3c), Bucket: opts.Bucket, Prefixes: export.DefaultPrefixes, Tasks: tasks, Log: opts.Logger}
	st.ApprovalURL = endpoint + ApprovalPath
	env := []string{approval.EnvURL + "=" + st.ApprovalURL, approval.EnvKeyFile + "=" + keyFile}
	st.StepEnv = append(st.StepEnv, env...)
	// Bootstrap processes start on their first invocation, after this:
	// they get the page's address and key file too.
	if st.lambda != nil {
		st.lambda.AddEnv(env...)
	}
	// Unlike the S3 settings this is done with NoProcessEnv too: the
	// runner sets those itself before building the steps, but only the
	// stack knows the page's address.
	if len(opts.Steps) > 0 {
		os.Setenv(approval.EnvURL, st.ApprovalURL)
		os.Setenv(approval.EnvKeyFile, keyFile)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ApprovalPath {
			page.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}), nil
}
