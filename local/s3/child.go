package s3

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"github.com/gofiber/fiber/v3"
	"github.com/versity/versitygw/backend"
	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"
	"github.com/versity/versitygw/s3api"

	"github.com/stepwise-dev/stepwise/local/eventpattern"
)

// childEnv marks the re-executed binary as the S3 server child. Its value is
// the JSON-encoded childConfig.
const childEnv = "STEPWISE_INTERNAL_LOCAL_S3_CHILD"

// childConfig is what the parent hands to the child process.
type childConfig struct {
	Root      string `json:"root"`    // absolute directory holding the buckets
	MetaDir   string `json:"metaDir"` // sidecar metadata directory, used when xattrs are unsupported
	Addr      string `json:"addr"`
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
	Region    string `json:"region"`
	Account   string `json:"account"`
	CertFile  string `json:"certFile"`
	KeyFile   string `json:"keyFile"`
	Events    bool   `json:"events"`
	// Outbox is the directory of durable event records ("" for none) and
	// Durable the event pattern selecting them (empty: every event).
	Outbox string `json:"outbox,omitempty"`
	// LockFile is held by the child for its life (see lock.go).
	LockFile string          `json:"lockFile,omitempty"`
	Durable  json.RawMessage `json:"durable,omitempty"`
	// Limits replaces the front server's defaultLimits (tests).
	Limits *limits `json:"limits,omitempty"`
}

// childMessage is one line the child writes to the parent on fd 3.
type childMessage struct {
	Ready string `json:"ready,omitempty"` // host:port the server listens on
	Error string `json:"error,omitempty"` // fatal start-up error
	Event *Event `json:"event,omitempty"` // an object-created event
}

func init() {
	raw, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	os.Exit(runChild(raw))
}

// runChild serves S3 until the parent closes our stdin or signals us.
func runChild(raw string) int {
	os.Unsetenv(childEnv)
	out := &messageWriter{w: os.NewFile(3, "stepwise-s3-messages")}
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		out.send(childMessage{Error: "local s3: bad child configuration: " + err.Error()})
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The parent holds the write end of our stdin; EOF means it has gone
	// (Close, crash or kill -9), so we never outlive it.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	// Ctrl-C in a terminal reaches the whole process group; the parent
	// decides when we stop (it may still need S3 while it shuts down).
	signal.Ignore(os.Interrupt)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		cancel()
	}()
	if err := serveChild(ctx, cfg, out); err != nil {
		out.send(childMessage{Error: err.Error()})
		return 1
	}
	return 0
}

func serveChild(ctx context.Context, cfg childConfig, out *messageWriter) error {
	if cfg.LockFile != "" {
		if err := holdLock(cfg.LockFile); err != nil {
			return err
		}
	}
	be, shutdown, err := openBackend(cfg, out)
	if err != nil {
		return err
	}
	defer shutdown()

	lim := defaultLimits()
	if cfg.Limits != nil {
		lim = cfg.Limits.withDefaults()
	}
	var tlsCfg *tls.Config
	if cfg.CertFile != "" {
		var err error
		if tlsCfg, err = frontTLS(cfg.CertFile, cfg.KeyFile); err != nil {
			return err
		}
	}
	// The public address is the front server's (front.go); VersityGW
	// listens on a Unix socket in a directory only this user can enter.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("local s3: listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	sockDir, err := os.MkdirTemp("", "stepwise-s3-")
	if err != nil {
		return fmt.Errorf("local s3: %w", err)
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "versitygw.sock")

	ready := make(chan struct{})
	var once sync.Once
	gw := &embedgw.Config{
		RootUserAccess: cfg.AccessKey,
		RootUserSecret: cfg.SecretKey,
		IAMService: newLocalIAM(map[string]string{
			cfg.AccessKey: cfg.SecretKey, ConventionalAccessKey: ConventionalSecretKey,
		}),
		Region: cfg.Region,
		Ports:  []string{sock},
		// The front server admits at most lim.MaxRequests requests.
		MaxConnections:    10000,
		MaxRequests:       10000,
		MultipartMaxParts: 10000,
		Quiet:             true,
		KeepAlive:         true,
		S3Options: []s3api.Option{
			s3api.WithOnListen(func() { once.Do(func() { close(ready) }) }),
			s3api.WithMiddleware("/", largeWrites()),
		},
	}
	gwCtx, stopGW := context.WithCancel(context.Background())
	defer stopGW()
	gwDone := make(chan error, 1)
	go func() { gwDone <- embedgw.RunVersityGW(gwCtx, be, gw) }()
	select {
	case <-ready:
	case err := <-gwDone:
		return fmt.Errorf("local s3: start the S3 server: %w", err)
	case <-ctx.Done():
		return nil
	}

	frontCtx, stopFront := context.WithCancel(ctx)
	defer stopFront()
	frontDone := make(chan error, 1)
	go func() { frontDone <- serveFront(frontCtx, ln, newFront(sock, cfg.Root, lim, os.Stderr), tlsCfg) }()
	out.send(childMessage{Ready: readyAddr(cfg.Addr, ln.Addr())})
	select {
	case err := <-gwDone:
		stopFront()
		<-frontDone
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("local s3: server stopped: %w", err)
	case err := <-frontDone:
		stopGW()
		<-gwDone
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("local s3: front server stopped: %w", err)
	case <-ctx.Done():
		// The front server closes its connections to VersityGW once its
		// own are done, so VersityGW's shutdown has nothing to wait for.
		<-frontDone
		stopGW()
		<-gwDone
		return nil
	}
}

// gwWriteBuffer is the size of the buffer VersityGW's HTTP server
// (fasthttp) writes responses through. Its default, 4 KiB, costs a write
// system call per 4 KiB of object data on the Unix socket to the front
// server (a Unix socket cannot take the file directly, as a TCP socket
// can with sendfile): 262,144 of them per GiB, about as much CPU as the
// copies themselves. 64 KiB makes that 16,384 and halved the local S3's
// CPU time in bench/report.sh.
const gwWriteBuffer = 64 << 10

// largeWrites returns a middleware that sets the write buffer of
// VersityGW's fasthttp server on the first request. embedgw builds the
// fiber app itself and offers no option for it. The server reads the size
// when it creates a writer for a connection (writers are pooled), which is
// after that connection's first request went through this middleware
// (sync.Once orders the write before those reads), except for a request
// with "Expect: 100-continue" that opens a connection: its "100 Continue"
// is written before any handler runs. That read of an int may see either
// size (the Go memory model rules out a torn value), and a connection
// that got the small buffer only writes in smaller pieces.
func largeWrites() fiber.Handler {
	var once sync.Once
	return func(c fiber.Ctx) error {
		once.Do(func() {
			if srv := c.App().Server(); srv != nil && srv.WriteBufferSize < gwWriteBuffer {
				srv.WriteBufferSize = gwWriteBuffer
			}
		})
		return c.Next()
	}
}

// openBackend opens the buckets under cfg.Root as VersityGW's posix
// backend (xattr metadata, or a sidecar directory where the file system
// has no xattrs), wrapped to send object-created events when cfg.Events.
func openBackend(cfg childConfig, out *messageWriter) (backend.Backend, func(), error) {
	var ms meta.MetadataStorer = meta.XattrMeta{}
	opts := posix.PosixOpts{
		// Zero would make every CopyObject and UploadPartCopy fail; 5 GiB
		// is S3's own limit.
		CopyObjectThreshold: 5 << 30,
		Concurrency:         5000,
	}
	if err := (meta.XattrMeta{}).Test(cfg.Root); err != nil {
		if err := os.MkdirAll(cfg.MetaDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("local s3: %w", err)
		}
		sc, err := meta.NewSideCar(cfg.MetaDir)
		if err != nil {
			return nil, nil, fmt.Errorf("local s3: sidecar metadata in %s: %w", cfg.MetaDir, err)
		}
		ms = sc
		opts.SideCarDir = cfg.MetaDir
	}
	// posix.New changes the working directory: harmless here, this process
	// exists only to serve S3.
	px, err := posix.New(cfg.Root, ms, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("local s3: open %s: %w", cfg.Root, err)
	}
	if !cfg.Events {
		return px, px.Shutdown, nil
	}
	nb := &notifyingBackend{Backend: px, notify: newNotifier(cfg.Region, cfg.Account, out.sendEvent), root: cfg.Root}
	if cfg.Outbox != "" {
		nb.outbox = &outbox{dir: cfg.Outbox}
		if len(cfg.Durable) > 0 {
			p, err := eventpattern.Compile(cfg.Durable)
			if err != nil {
				px.Shutdown()
				return nil, nil, fmt.Errorf("local s3: durable events pattern: %w", err)
			}
			nb.durable = p
		}
	}
	return nb, px.Shutdown, nil
}

// readyAddr is the host:port clients use: the configured host with the
// port bound (a free one for ":0").
func readyAddr(configured string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(configured)
	tcp, ok := bound.(*net.TCPAddr)
	if err != nil || !ok {
		return bound.String()
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// messageWriter writes newline-delimited JSON messages, one at a time.
type messageWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (m *messageWriter) send(msg childMessage) {
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.w.Write(append(b, '\n'))
}

func (m *messageWriter) sendEvent(ev Event) { m.send(childMessage{Event: &ev}) }

// absDirs returns the absolute bucket root and metadata directory under dir.
func absDirs(dir string) (root, metaDir, tlsDir string, err error) {
	if dir == "" {
		return "", "", "", errors.New("local s3: Options.Dir is required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", "", fmt.Errorf("local s3: %w", err)
	}
	return filepath.Join(abs, "buckets"), filepath.Join(abs, "meta"), filepath.Join(abs, "tls"), nil
}
