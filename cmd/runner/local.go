package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// connectLocal uses the stack that `runner up` serves on the data
// directory, or else starts the embedded stack in this process for the
// length of the command. Either way the command talks to it through the
// same SDK clients it would use against AWS.
func (a *app) connectLocal(ctx context.Context) (*target, error) {
	if err := a.checkLocalFlags(); err != nil {
		return nil, err
	}
	if ep, err := stack.ReadEndpoints(a.g.dataDir); err == nil {
		return a.serverTarget(ctx, ep)
	}
	st, err := openStack(ctx, a.g.dataDir, "", "", a.g.bootstrap)
	var running *stack.AlreadyRunningError
	if errors.As(err, &running) && running.Endpoints != nil {
		return a.serverTarget(ctx, running.Endpoints)
	}
	if err != nil {
		return nil, err
	}
	t, err := localTarget(ctx, &st.Endpoints)
	if err != nil {
		st.Close()
		return nil, err
	}
	t.kind = "local"
	t.close = st.Close
	return t, nil
}

// serverTarget is the target of a `runner up` serving the data directory.
// That server runs the steps as it was started; this command only talks to
// it, so a --bootstrap given here could not apply and is refused rather
// than silently ignored.
func (a *app) serverTarget(ctx context.Context, ep *stack.Endpoints) (*target, error) {
	if a.g.bootstrap != "" {
		why := fmt.Sprintf("`runner up` is serving the data directory %s (Step Functions API %s) and runs the steps as it was started; this command only talks to it", a.g.dataDir, ep.StepFunctions)
		if a.g.set["bootstrap"] {
			return nil, usagef("--bootstrap %s does not apply: %s. Pass --bootstrap to `runner up` instead (stop it and start it again with the flag), or use another --data-dir", a.g.bootstrap, why)
		}
		fmt.Fprintf(a.stderr, "runner: note: STEPWISE_BOOTSTRAP=%s is not used: %s\n", a.g.bootstrap, why)
	}
	t, err := localTarget(ctx, ep)
	if err != nil {
		return nil, err
	}
	t.kind = "local-server"
	return t, nil
}

// checkLocalFlags refuses flags that the local stack cannot honour.
func (a *app) checkLocalFlags() error {
	if a.g.region != "" && a.g.region != stack.DefaultRegion {
		return usagef("--region %s does not apply to the local stack (it is always %s): add --aws to target AWS in %s", a.g.region, stack.DefaultRegion, a.g.region)
	}
	if a.g.bucket != "" && a.g.bucket != stack.DefaultBucket {
		return usagef("--bucket %s does not apply to the local stack (its bucket is %s): add --aws (or --endpoint-url) to use another bucket", a.g.bucket, stack.DefaultBucket)
	}
	return nil
}

// openStack starts the embedded stack with the steps running in-process,
// or, given a bootstrap binary, as child processes of it behind the local
// Lambda Runtime API (process mode: what runs on Lambda, one process per
// concurrent invocation).
func openStack(ctx context.Context, dataDir, addr, s3Addr, bootstrap string) (*stack.Stack, error) {
	repo, err := workflowFiles()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	// The steps' JSON logs and metrics go to a file, not into the runner's
	// output: on Lambda they would go to CloudWatch Logs.
	logFile, err := os.OpenFile(filepath.Join(dataDir, "steps.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := openStackLogging(ctx, dataDir, addr, s3Addr, bootstrap, repo, logFile)
	if err != nil {
		logFile.Close()
	}
	return st, err
}

func openStackLogging(ctx context.Context, dataDir, addr, s3Addr, bootstrap string, repo fs.FS, logFile *os.File) (*stack.Stack, error) {
	// Schedules fire only in the stack `runner up` serves (it alone passes
	// listen addresses): the stack a single command opens for itself lives
	// as long as the command, and must not start scheduled executions, or
	// catch up missed ones, as a side effect of `runner list`. Fires missed
	// meanwhile are caught up by the next `runner up`.
	conns, err := httpConnections()
	if err != nil {
		return nil, err
	}
	opts := stack.Options{DataDir: dataDir, Addr: addr, S3Addr: s3Addr, Repo: repo, NoSchedules: addr == "", MockConfig: stackMockConfig,
		ServiceEndpoints: serviceEndpoints(), HTTPConnections: conns}
	if bootstrap != "" {
		path, err := checkBootstrap(bootstrap)
		if err != nil {
			return nil, err
		}
		// Bootstrap processes get the local S3 endpoint and credentials in
		// their own environment; this process's stays as it is.
		opts.BootstrapPath, opts.LambdaOutput, opts.NoProcessEnv = path, logFile, true
		return stack.Open(ctx, opts)
	}
	s3Addr, err = inProcessStepEnv(s3Addr)
	if err != nil {
		return nil, err
	}
	env, err := stepkit.FromOS(ctx)
	if err != nil {
		return nil, err
	}
	env.Log = logFile
	opts.S3Addr, opts.Steps = s3Addr, steps.New(env)
	// A team's own step, registered and listed in the checkout but not
	// built into this runner, runs from a bootstrap built from the checkout.
	if opts.BootstrapPath, err = userStepsBootstrap(ctx, dataDir, opts.Steps, repo, os.Stderr); err != nil {
		return nil, err
	}
	opts.LambdaOutput = logFile
	// inProcessStepEnv has set the environment already, before the steps'
	// S3 client was built.
	opts.NoProcessEnv = true
	return stack.Open(ctx, opts)
}

// checkBootstrap makes the --bootstrap path absolute (bootstrap processes
// run in their own directory) and checks that it is an executable file.
func checkBootstrap(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", usagef("--bootstrap %s: %v (build it with: go build -tags lambda.norpc -o bootstrap ./cmd/steps)", path, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", usagef("--bootstrap %s: not an executable file", path)
	}
	return abs, nil
}

// inProcessStepEnv gives the in-process steps the environment a deployed
// function gets from Terraform, pointed at the local S3: they build their
// SDK clients from the process environment on first use, exactly as on
// Lambda. It picks the S3 port up front (a free one unless addr names one)
// so the endpoint is known before any step (for example one resumed from a
// previous run) can start. Real credentials, profiles and the EC2 metadata
// service are never consulted.
func inProcessStepEnv(addr string) (s3Addr string, err error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if _, port, _ := net.SplitHostPort(addr); port == "0" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return "", err
		}
		addr = l.Addr().String()
		l.Close()
	}
	s3Addr = addr
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		os.Unsetenv(k)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3":       "http://" + s3Addr,
		"AWS_ACCESS_KEY_ID":         locals3.DefaultAccessKey,
		"AWS_SECRET_ACCESS_KEY":     locals3.DefaultSecretKey,
		"AWS_REGION":                stack.DefaultRegion,
		"AWS_EC2_METADATA_DISABLED": "true",
		"STEPWISE_S3_PATH_STYLE":    "true",
		"STEPWISE_BUCKET":           stack.DefaultBucket,
	} {
		if err := os.Setenv(k, v); err != nil {
			return "", err
		}
	}
	return s3Addr, nil
}

// localTarget builds SDK clients for a local stack's endpoints.
func localTarget(ctx context.Context, ep *stack.Endpoints) (*target, error) {
	region := ep.Region
	if region == "" {
		region = "us-east-1"
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ep.S3AccessKey, ep.S3SecretKey, "")),
	}
	if ep.S3AccessKey == "" {
		opts[1] = config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("stepwise", "stepwise", ""))
	}
	if ep.S3CACert != "" {
		f, err := os.Open(ep.S3CACert)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		opts = append(opts, config.WithCustomCABundle(f))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	t := &target{cfg: cfg, bucket: ep.Bucket, smArn: ep.StateMachineArn}
	t.sfn = sfn.NewFromConfig(cfg, sfnapi.ClientOptions(ep.StepFunctions))
	if ep.S3 != "" {
		t.s3 = objstore.NewS3Client(cfg, objstore.S3Options{Endpoint: ep.S3})
	}
	return t, nil
}
