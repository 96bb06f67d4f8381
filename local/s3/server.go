package s3

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stepwise-dev/stepwise/local/eventpattern"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// Defaults used when [Options] leaves a field empty. The keys are not
// secrets: the server only listens on the loopback interface.
const (
	DefaultAddr      = "127.0.0.1:0"
	DefaultAccessKey = "stepwise"
	DefaultSecretKey = "stepwise-local-secret"
	DefaultRegion    = "us-east-1"
	DefaultAccount   = "123456789012"
)

// Options configures [Start].
type Options struct {
	// Dir is the data directory. Buckets live in Dir/buckets/<bucket>/<key>;
	// Dir/meta and Dir/tls hold metadata and the TLS certificate. Required.
	Dir string
	// Addr is the listen address, DefaultAddr ("127.0.0.1:0", a free
	// port) when empty.
	Addr string
	// AccessKey and SecretKey are the only accepted credentials
	// (DefaultAccessKey and DefaultSecretKey when empty).
	AccessKey, SecretKey string
	// TLS serves HTTPS with a self-signed certificate for 127.0.0.1
	// (see [Server.CACertFile]).
	TLS bool
	// Region is the region the server and its events report
	// (DefaultRegion when empty).
	Region string
	// Account is the account id put into events (DefaultAccount when empty).
	Account string
	// DisableEvents turns object-created notifications off; [Server.Events]
	// then never delivers anything.
	DisableEvents bool
	// DurableEvents is an EventBridge event pattern (as in a rule's
	// pattern file). Events that match it are recorded on disk, with the
	// object fsync'd, before the write is acknowledged, and are delivered
	// again by every [Start] until [Server.Ack] removes them: such an event
	// is delivered at least once, whatever crashes. Nil records nothing:
	// events are delivered at most once and lost if the process dies.
	DurableEvents []byte
	// Log receives the server process's error output; os.Stderr when nil.
	Log io.Writer

	// limits replaces the request limits (front.go) in tests.
	limits *limits
}

// Server is a running local S3 server in a child process. Its methods are
// safe for concurrent use.
type Server struct {
	opts     Options
	endpoint string
	certPEM  []byte
	certFile string

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	exited  chan struct{} // closed when the child has exited
	waitErr error

	events    chan Event
	outbox    *outbox // nil without DurableEvents
	closing   chan struct{}
	closeOnce sync.Once
}

// Start starts the S3 server on opts.Dir and returns once it accepts
// requests. ctx bounds the start-up only; the server runs until
// [Server.Close] (or until this process exits: the child never outlives
// it).
func Start(ctx context.Context, opts Options) (*Server, error) {
	root, metaDir, tlsDir, err := absDirs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.setDefaults()
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	s := &Server{opts: opts, events: make(chan Event), closing: make(chan struct{}), exited: make(chan struct{})}
	cfg := childConfig{
		Root: root, MetaDir: metaDir, Addr: opts.Addr,
		AccessKey: opts.AccessKey, SecretKey: opts.SecretKey,
		Region: opts.Region, Account: opts.Account, Events: !opts.DisableEvents,
		Limits: opts.limits,
	}
	lockFile := filepath.Join(filepath.Dir(root), lockFileName)
	if err := waitUnlocked(lockFile, lockWait); err != nil {
		return nil, err
	}
	cfg.LockFile = lockFile
	var replay []Event
	if opts.DurableEvents != nil && !opts.DisableEvents {
		if _, err := eventpattern.Compile(opts.DurableEvents); err != nil {
			return nil, fmt.Errorf("local s3: durable events pattern: %w", err)
		}
		s.outbox = &outbox{dir: filepath.Join(filepath.Dir(root), outboxDirName)}
		if err := os.MkdirAll(s.outbox.dir, 0o700); err != nil {
			return nil, fmt.Errorf("local s3: %w", err)
		}
		// Events recorded before a crash (or a stop) that were never
		// acknowledged go out first.
		if replay, err = s.outbox.pending(); err != nil {
			return nil, err
		}
		cfg.Outbox, cfg.Durable = s.outbox.dir, opts.DurableEvents
	}
	if opts.TLS {
		cfg.CertFile, cfg.KeyFile, s.certPEM, err = ensureCert(tlsDir)
		if err != nil {
			return nil, err
		}
		s.certFile = cfg.CertFile
	}
	msgR, err := s.spawn(cfg)
	if err != nil {
		return nil, err
	}

	ready := make(chan childMessage, 1)
	raw2 := make(chan Event)
	go s.readMessages(msgR, ready, raw2)
	go s.deliver(replay, raw2)

	select {
	case m, ok := <-ready:
		if !ok {
			<-s.exited
			return nil, fmt.Errorf("local s3: server process exited during start-up: %v", s.waitErr)
		}
		if m.Error != "" {
			s.Close()
			return nil, errors.New(m.Error)
		}
		scheme := "http"
		if opts.TLS {
			scheme = "https"
		}
		s.endpoint = scheme + "://" + m.Ready
		return s, nil
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("local s3: start: %w", ctx.Err())
	}
}

// readMessages reads the child's message stream: the first ready or error
// line goes to ready (which is closed unsent if the stream ends first),
// events go to events.
func (s *Server) readMessages(r *os.File, ready chan<- childMessage, events chan<- Event) {
	defer r.Close()
	defer close(events)
	first := true
	defer func() {
		if first {
			close(ready)
		}
	}()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		var m childMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		switch {
		case m.Event != nil:
			select {
			case events <- *m.Event:
			case <-s.closing:
				return
			}
		case first && (m.Ready != "" || m.Error != ""):
			first = false
			ready <- m
		}
	}
}

// deliver moves events from in to s.events through an unbounded queue, so
// that a slow consumer never blocks S3 requests.
func (s *Server) deliver(q []Event, in <-chan Event) {
	defer close(s.events)
	for in != nil || len(q) > 0 {
		var out chan Event
		var next Event
		if len(q) > 0 {
			out, next = s.events, q[0]
		}
		select {
		case ev, ok := <-in:
			if !ok {
				in = nil
				continue
			}
			q = append(q, ev)
		case out <- next:
			q = q[1:]
		case <-s.closing:
			return
		}
	}
}

// Endpoint returns the server's base URL, "http://127.0.0.1:<port>" (or
// https with [Options].TLS).
func (s *Server) Endpoint() string { return s.endpoint }

// Region returns the region the server reports.
func (s *Server) Region() string { return s.opts.Region }

// Credentials returns the access key and secret key the server accepts.
func (s *Server) Credentials() (accessKey, secretKey string) {
	return s.opts.AccessKey, s.opts.SecretKey
}

// CACertFile returns the PEM file of the server's self-signed certificate
// ("" without TLS). Point AWS_CA_BUNDLE (or the AWS CLI's --ca-bundle) at
// it to reach the server over HTTPS.
func (s *Server) CACertFile() string { return s.certFile }

// Env returns the environment variables that make an AWS SDK client in
// another process (a Lambda step, the AWS CLI) talk to this server:
// endpoint, credentials, region and, with TLS, AWS_CA_BUNDLE. Clients must
// still use path-style addressing.
func (s *Server) Env() []string {
	env := []string{
		"AWS_ENDPOINT_URL_S3=" + s.endpoint,
		"AWS_ACCESS_KEY_ID=" + s.opts.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.opts.SecretKey,
		"AWS_REGION=" + s.opts.Region,
	}
	if s.certFile != "" {
		env = append(env, "AWS_CA_BUNDLE="+s.certFile)
	}
	return env
}

// Events returns the channel of object-created events, one per PutObject,
// CopyObject and CompleteMultipartUpload that succeeded, in the order the
// server performed them; with [Options].DurableEvents, the recorded events
// not yet acknowledged come first. The channel is closed when the server
// stops. Events queue without bound until read.
func (s *Server) Events() <-chan Event { return s.events }

// Ack tells the server that the consumer has acted on ev durably (for the
// trigger: the execution is started, or exists already), so its outbox
// record can go. Acknowledging an event that was not recorded, or twice,
// is harmless. Without [Options].DurableEvents it does nothing.
func (s *Server) Ack(ev Event) error {
	if s.outbox == nil {
		return nil
	}
	if err := s.outbox.remove(ev); err != nil {
		return fmt.Errorf("local s3: acknowledge event for %s: %w", ev.Detail.Object.Key, err)
	}
	return nil
}

// setDefaults fills the zero fields of o with the Default* values.
func (o *Options) setDefaults() {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.AccessKey == "" {
		o.AccessKey = DefaultAccessKey
	}
	if o.SecretKey == "" {
		o.SecretKey = DefaultSecretKey
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Account == "" {
		o.Account = DefaultAccount
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
}

// spawn runs this executable as the server process with cfg and returns
// the read end of the pipe the child reports on (start-up, events). The
// child's exit closes s.exited.
func (s *Server) spawn(cfg childConfig) (*os.File, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("local s3: find own executable to run the server: %w", err)
	}
	msgR, msgW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	cmd.ExtraFiles = []*os.File{msgW}
	// VersityGW prints start-up chatter on stdout; only errors matter.
	cmd.Stdout, cmd.Stderr = io.Discard, s.opts.Log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		msgR.Close()
		msgW.Close()
		return nil, fmt.Errorf("local s3: %w", err)
	}
	if err := cmd.Start(); err != nil {
		msgR.Close()
		msgW.Close()
		return nil, fmt.Errorf("local s3: start server process: %w", err)
	}
	msgW.Close()
	s.cmd, s.stdin = cmd, stdin
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return msgR, nil
}

// NewClient returns an aws-sdk-go-v2 S3 client for this server, built as
// the Lambda steps build theirs: config.LoadDefaultConfig (so checksum
// and retry defaults are the production ones) with static credentials, the
// server's region, BaseEndpoint and path-style addressing. With TLS the
// client trusts the server's certificate in addition to the system roots
// and to any AWS_CA_BUNDLE.
func (s *Server) NewClient(ctx context.Context) (*awss3.Client, error) {
	loadOpts := []func(*config.LoadOptions) error{
		config.WithRegion(s.opts.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.opts.AccessKey, s.opts.SecretKey, "")),
	}
	if s.certPEM != nil {
		pool, err := certPool(s.certPEM)
		if err != nil {
			return nil, err
		}
		// A BuildableClient, not a plain *http.Client: LoadDefaultConfig
		// adds AWS_CA_BUNDLE to it and fails on any other client type.
		hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig.RootCAs = pool
		})
		loadOpts = append(loadOpts, config.WithHTTPClient(hc))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("local s3: client config: %w", err)
	}
	return objstore.NewS3Client(cfg, objstore.S3Options{Endpoint: s.endpoint}), nil
}

// Done is closed when the server process has exited, after [Server.Close]
// or because it crashed; [Server.Err] then tells why.
func (s *Server) Done() <-chan struct{} { return s.exited }

// Err returns the server process's exit error once [Server.Done] is
// closed (nil for a clean exit, and nil before that).
func (s *Server) Err() error {
	select {
	case <-s.exited:
		return s.waitErr
	default:
		return nil
	}
}

// Close stops the server process and waits for it to exit. Data stays in
// Dir. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		// Closing stdin asks the child to shut down; kill it if it does
		// not within a few seconds.
		_ = s.stdin.Close()
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return nil
}
