// Package stack assembles the local Stepwise stack in one process: the
// durable store, the ASL engine, the local Lambda runtime, the embedded S3
// server, the Step Functions API on 127.0.0.1, the S3 triggers and the
// scheduler, with every workflow of the repository deployed exactly as
// Terraform deploys it: the same files (statemachine/<name>.asl.json, its
// optional .trigger.json, .trigger-input.json and .schedule.json, and
// steps/steps.json, read and checked by package statemachine/workflow),
// the same placeholder values, the same names (<prefix>-<name>), a version
// published for each new definition and the alias "live" pointing at it.
// Invalid files stop [Open] with every problem, each
// "<file>: <json pointer>: <message>".
//
// A running stack announces its endpoints in <DataDir>/endpoints.json; a
// second process that tries to [Open] the same data directory gets an
// [*AlreadyRunningError] carrying them, so it can use the running server
// instead (see also [ReadEndpoints]).
//
// It is for `runner up`, tests and benchmarks. It is not a general AWS
// emulator: only the services and operations Stepwise uses are there.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stepwise-dev/stepwise/local/integrations"
	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/local/store"
	"github.com/stepwise-dev/stepwise/sfntest"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// Files inside [Options].Repo that the stack reads, besides every
// workflow file of statemachine/ (see package statemachine/workflow).
const (
	StepsFile = workflow.StepsFile // step names, memory, timeouts
	// DefinitionFile is the export workflow's definition: tools look for
	// it to recognise a Stepwise checkout.
	DefinitionFile = "statemachine/export.asl.json"
)

// ExportWorkflow is the workflow whose ARN [Endpoints].StateMachineArn
// names, for the runner's export commands.
const ExportWorkflow = "export"

// Defaults for [Options] fields left empty; the names match Terraform's
// defaults (name_prefix "stepwise").
const (
	DefaultDataDir = ".stepwise"
	DefaultPrefix  = "stepwise"
	DefaultBucket  = "stepwise"
	DefaultRegion  = "us-east-1"
	DefaultAccount = "123456789012"
)

const (
	stateDirName   = "state"
	s3DirName      = "s3"
	defaultAPIAddr = "127.0.0.1:0"
)

// Options configures [Open]. The zero value means: data in .stepwise, free
// ports on 127.0.0.1, files read from the current directory (the repository
// root), steps in process mode only if BootstrapPath is set.
type Options struct {
	// DataDir holds the store, the S3 data and endpoints.json; default
	// ".stepwise".
	DataDir string
	// Addr is the Step Functions API listen address; default a free port on
	// 127.0.0.1.
	Addr string
	// S3Addr is the S3 listen address; default a free port on 127.0.0.1.
	S3Addr string
	// S3TLS serves S3 over HTTPS with a self-signed certificate.
	S3TLS bool
	// NoS3 runs without the S3 server (and so without the trigger and
	// Distributed Map ItemReader/ResultWriter).
	NoS3 bool
	// Region and AccountID appear in every ARN; defaults us-east-1 and
	// 123456789012.
	Region, AccountID string
	// Prefix is Terraform's name_prefix: functions are <Prefix>-<step>,
	// workflows <Prefix>-<name>; default "stepwise".
	Prefix string
	// Bucket fills ${BucketName} in the workflows and is created in the
	// local S3; default "stepwise".
	Bucket string
	// Repo is where steps/steps.json and statemachine/*.json are read from;
	// default os.DirFS(".").
	Repo fs.FS
	// Steps maps step (handler) names to in-process aws-lambda-go handler
	// funcs. Steps not in it run in process mode with BootstrapPath.
	Steps map[string]any
	// BootstrapPath is the Lambda bootstrap binary for process mode.
	BootstrapPath string
	// ExtraFunctions are served in addition to the steps of steps.json
	// (tests and benchmarks); their handlers go in Steps.
	ExtraFunctions []lambdalocal.Function
	// NoDeploy skips reading and deploying the workflows (and so their
	// triggers and schedules), for tests that bring their own machines.
	// steps/steps.json is still read.
	NoDeploy bool
	// NoTrigger skips the S3 triggers.
	NoTrigger bool
	// NoSchedules skips the scheduler: no schedule fires.
	NoSchedules bool
	// NoProcessEnv keeps Open from setting the S3 endpoint, credentials,
	// region and STEPWISE_BUCKET in this process's environment. By default
	// they are set when Steps run in-process with the local S3, because
	// steps build their S3 clients from the environment as on Lambda.
	NoProcessEnv bool
	// Clock is the engine's and the scheduler's clock; nil means real
	// time.
	Clock statemachine.Clock
	// NoSync turns off fsync in the store: faster, not crash-safe. For
	// benchmarks that measure something else.
	NoSync bool
	// MockConfig, when set, is an AWS Step Functions Local mock config
	// file: StartExecution on "<stateMachineArn>#<TestCase>" runs that test
	// case, its mocked states answering from the file (see sfntest.Mocks).
	MockConfig *sfntest.MockConfig
	// ServiceEndpoints maps a service of integrations.Services ("sqs",
	// "sns", "events", "dynamodb", "s3") to the endpoint its Task
	// integrations call; aws-sdk:s3 uses the stack's S3 without one. A
	// machine calling a service with none is refused at StartExecution.
	ServiceEndpoints map[string]string
	// HTTPConnections are what the EventBridge connections of HTTP Tasks
	// add to their requests (see integrations.LoadConnections); nil: a
	// ConnectionArn adds nothing, its auth is not applied.
	HTTPConnections map[string]integrations.Connection
	// Logger receives the stack's logs; nil discards them.
	Logger *slog.Logger
	// LambdaOutput receives bootstrap processes' output; nil discards it.
	LambdaOutput io.Writer
}

// Stack is a running local stack.
type Stack struct {
	// Engine is the running engine, for in-process callers.
	Engine *statemachine.Engine
	// Endpoints are the stack's addresses, as written to endpoints.json.
	Endpoints Endpoints
	// StepEnv is the environment a step needs to reach the local S3
	// (endpoint, credentials, region, STEPWISE_BUCKET); bootstrap processes
	// get it.
	StepEnv []string
	// Workflows are the deployed workflows, sorted by name; empty with
	// [Options].NoDeploy.
	Workflows []Workflow
	// Functions are the ARNs of the Lambda functions served, one per step
	// (<prefix>-<step>) plus [Options].ExtraFunctions, sorted by name.
	Functions []string
	// Activities are the ARNs of the activities of steps.json
	// (<prefix>-<name>), sorted; empty with [Options].NoDeploy. Their
	// workers are programs of one's own, polling the Step Functions API.
	Activities []string
	// ApprovalURL is the approval decision page (see withApproval); empty
	// without S3.
	ApprovalURL string

	dataDir string
	log     *slog.Logger
	store   *store.Store
	lambda  *lambdalocal.Runtime
	s3      *locals3.Server
	srv     *http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func() error
	once    sync.Once
	err     error

	wroteEndpoints bool

	// s3client is a client of s3, for the aws-sdk:s3 integration.
	s3client *s3.Client
}

// AlreadyRunningError is returned by [Open] when another process serves the
// data directory.
type AlreadyRunningError struct {
	DataDir   string
	Endpoints *Endpoints // nil if the other process has not announced them
}

// Error implements error.
func (e *AlreadyRunningError) Error() string {
	if e.Endpoints == nil {
		return fmt.Sprintf("stack: %s is in use by another Stepwise process", e.DataDir)
	}
	return fmt.Sprintf("stack: %s is in use by Stepwise process %d; use its Step Functions API at %s",
		e.DataDir, e.Endpoints.PID, e.Endpoints.StepFunctions)
}

// Open starts the stack. ctx bounds the start-up only. On error everything
// already started is stopped again.
func Open(ctx context.Context, opts Options) (st *Stack, err error) {
	opts.defaults()
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	st = &Stack{dataDir: dataDir, log: opts.Logger}
	started := st
	defer func() {
		if err != nil {
			started.Close()
			st = nil
		}
	}()

	// 1. The store: it also takes the data directory's lock.
	if err := st.openStore(opts); err != nil {
		return nil, err
	}
	steps, err := readSteps(opts.Repo)
	if err != nil {
		return nil, err
	}
	proj := &workflow.Project{}
	if !opts.NoDeploy {
		if proj, err = loadProject(opts.Repo); err != nil {
			return nil, err
		}
	}

	// 2. S3.
	st.Endpoints = Endpoints{Region: opts.Region, AccountID: opts.AccountID, PID: os.Getpid()}
	var objects statemachine.ObjectStore
	if !opts.NoS3 {
		if objects, err = st.startS3(ctx, opts, proj); err != nil {
			return nil, err
		}
	}

	// 3. Lambda.
	if err := st.startLambda(opts, steps); err != nil {
		return nil, err
	}

	// 4. The engine: resumes RUNNING executions from the store.
	engOpts := statemachine.Options{
		Clock: opts.Clock, Lambda: st.lambda, Objects: objects, Store: st.store,
		Region: opts.Region, AccountID: opts.AccountID, Logger: opts.Logger,
	}
	services, err := integrations.New(integrations.Config{Endpoints: opts.ServiceEndpoints, S3: st.s3client, Region: opts.Region, Connections: opts.HTTPConnections})
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	engOpts.Services = services
	var mocks *sfntest.Mocks
	if opts.MockConfig != nil {
		mocks = sfntest.NewMocks(opts.MockConfig, st.lambda, services)
		engOpts.Lambda, engOpts.Services = mocks, mocks
	}
	eng, err := statemachine.New(engOpts)
	if err != nil {
		return nil, fmt.Errorf("stack: start engine: %w", err)
	}
	st.Engine = eng
	st.closers = append(st.closers, eng.Close)

	// 5. The activities of steps.json, then the workflows, rendered as
	// Terraform renders them.
	if !opts.NoDeploy {
		if st.Activities, err = createActivities(ctx, eng, opts, steps); err != nil {
			return nil, err
		}
		st.Endpoints.Activities = st.Activities
	}
	if st.Workflows, err = deployAll(ctx, eng, opts, proj, steps); err != nil {
		return nil, err
	}
	for _, w := range st.Workflows {
		st.Endpoints.Workflows = append(st.Endpoints.Workflows, EndpointWorkflow{Name: w.Name, Arn: w.Arn, AliasArn: w.AliasArn})
		if w.Name == ExportWorkflow {
			st.Endpoints.StateMachineArn = w.Arn
		}
	}

	// 6. The Step Functions API.
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("stack: Step Functions API: %w", err)
	}
	apiOpts := sfnapi.Options{Logger: opts.Logger}
	if mocks != nil {
		mocks.SetEngine(eng)
		apiOpts.StartHook = mocks.StartHook
	}
	st.srv = newAPIServer(st.withConsole(ctx, sfnapi.NewHandler(eng, apiOpts), "http://"+ln.Addr().String(), opts))
	if st.srv.Handler, err = st.withApproval(ctx, st.srv.Handler, ln.Addr().String(), opts); err != nil {
		ln.Close()
		return nil, err
	}
	st.wg.Go(func() { st.srv.Serve(ln) })
	st.Endpoints.StepFunctions = "http://" + ln.Addr().String()

	// 7. The triggers and the schedules.
	runCtx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	if st.s3 != nil && !opts.NoTrigger {
		ts, err := newTriggers(opts, eng, proj, st.Workflows)
		if err != nil {
			return nil, err
		}
		if len(ts) > 0 {
			st.wg.Go(func() { serveTriggers(runCtx, st.s3, ts) })
		}
	}
	if !opts.NoSchedules {
		sch, err := st.newScheduler(opts)
		if err != nil {
			return nil, err
		}
		if sch != nil {
			st.wg.Go(func() {
				if err := sch.Run(runCtx); err != nil && runCtx.Err() == nil {
					opts.Logger.Error("stack: the scheduler stopped; no schedule fires until the stack restarts", "err", err)
				}
			})
		}
	}

	if err := writeEndpoints(dataDir, &st.Endpoints); err != nil {
		return nil, err
	}
	st.wroteEndpoints = true
	return st, nil
}

// openStore opens the durable store in the data directory, which takes
// the directory's lock: a second stack on it is an [AlreadyRunningError].
func (st *Stack) openStore(opts Options) error {
	db, err := store.Open(filepath.Join(st.dataDir, stateDirName), store.Options{NoSync: opts.NoSync})
	if errors.Is(err, store.ErrLocked) {
		ep, _ := ReadEndpoints(st.dataDir)
		return &AlreadyRunningError{DataDir: st.dataDir, Endpoints: ep}
	}
	if err != nil {
		return err
	}
	st.store = db
	st.closers = append(st.closers, db.Close)
	os.Remove(filepath.Join(st.dataDir, EndpointsFile)) // stale, from a killed run
	return nil
}

// startS3 starts the local S3 server, makes sure the bucket exists and
// records the endpoint; it returns the object store the engine's
// ItemReader and ResultWriter use.
func (st *Stack) startS3(ctx context.Context, opts Options, proj *workflow.Project) (statemachine.ObjectStore, error) {
	durable, err := durablePattern(proj)
	if err != nil {
		return nil, err
	}
	s3opts := locals3.Options{
		Dir: filepath.Join(st.dataDir, s3DirName), Addr: opts.S3Addr, TLS: opts.S3TLS,
		Region: opts.Region, Account: opts.AccountID, DisableEvents: opts.NoTrigger || durable == nil,
	}
	if !s3opts.DisableEvents {
		// Events any trigger acts on are recorded before the write is
		// acknowledged and delivered again until every trigger has
		// settled them (see package local/trigger).
		s3opts.DurableEvents = durable
	}
	srv, err := locals3.Start(ctx, s3opts)
	if err != nil {
		return nil, fmt.Errorf("stack: start S3: %w", err)
	}
	st.s3 = srv
	st.closers = append(st.closers, srv.Close)
	client, err := srv.NewClient(ctx)
	if err != nil {
		return nil, err
	}
	if err := ensureBucket(ctx, client, opts.Bucket); err != nil {
		return nil, err
	}
	st.s3client = client
	ak, sk := srv.Credentials()
	st.Endpoints.S3, st.Endpoints.S3AccessKey, st.Endpoints.S3SecretKey = srv.Endpoint(), ak, sk
	st.Endpoints.S3CACert = srv.CACertFile()
	st.Endpoints.Bucket = opts.Bucket
	return objstore.NewSDK(client), nil
}

// startLambda starts the local Lambda runtime. Without a bootstrap, only
// steps with an in-process handler exist; invoking another is
// Lambda.ResourceNotFoundException.
func (st *Stack) startLambda(opts Options, steps *lambdalocal.Steps) error {
	// In-process steps build their S3 clients from the process environment,
	// as they do on Lambda: point it at the local S3.
	var lambdaEnv []string
	if st.s3 != nil {
		lambdaEnv = st.s3.Env()
	}
	stepEnv := append(lambdaEnv, "STEPWISE_BUCKET="+opts.Bucket, "STEPWISE_S3_PATH_STYLE=true")
	st.StepEnv = stepEnv
	if len(opts.Steps) > 0 && st.s3 != nil && !opts.NoProcessEnv {
		for _, kv := range stepEnv {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	}
	var fns []lambdalocal.Function
	for _, f := range steps.Functions(opts.Prefix) {
		if _, ok := opts.Steps[f.Handler]; ok || opts.BootstrapPath != "" {
			fns = append(fns, f)
		} else {
			opts.Logger.Warn("stack: step has no in-process handler and no bootstrap was given; it is not served", "step", f.Handler)
		}
	}
	rt, err := lambdalocal.New(lambdalocal.Options{
		Region: opts.Region, AccountID: opts.AccountID,
		Functions: append(fns, opts.ExtraFunctions...), Handlers: opts.Steps, Bootstrap: opts.BootstrapPath,
		Env: stepEnv, Output: opts.LambdaOutput,
	})
	if err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	st.lambda = rt
	st.closers = append(st.closers, rt.Close)
	for _, f := range append(fns, opts.ExtraFunctions...) {
		st.Functions = append(st.Functions, rt.FunctionArn(f.Name))
	}
	sort.Strings(st.Functions)
	return nil
}

func (o *Options) defaults() {
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.Addr == "" {
		o.Addr = defaultAPIAddr
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.AccountID == "" {
		o.AccountID = DefaultAccount
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Bucket == "" {
		o.Bucket = DefaultBucket
	}
	if o.Repo == nil {
		o.Repo = os.DirFS(".")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// DataDir returns the stack's absolute data directory.
func (s *Stack) DataDir() string { return s.dataDir }

// Close stops the API server, the trigger, the engine (running executions
// stay RUNNING in the store and resume on the next Open), Lambda instances
// and S3, then releases the data directory.
func (s *Stack) Close() error {
	s.once.Do(func() {
		if s.wroteEndpoints {
			os.Remove(filepath.Join(s.dataDir, EndpointsFile))
		}
		if s.srv != nil {
			// Idle connections close at once; requests still running get
			// a moment, then their connections are closed: a stop is
			// prompt, and the client retries elsewhere or later.
			ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			if s.srv.Shutdown(ctx) != nil {
				s.srv.Close()
			}
			cancel()
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		for i := len(s.closers) - 1; i >= 0; i-- {
			if err := s.closers[i](); err != nil && s.err == nil {
				s.err = err
			}
		}
	})
	return s.err
}
