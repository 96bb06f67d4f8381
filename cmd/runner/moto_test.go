package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMoto exercises the runner's AWS code path (SDK clients with
// --endpoint-url) against moto_server, a third-party AWS emulator, with
// state machine execution switched on. Each script gets its own moto_server
// and a state machine created from its definition.asl.json: moto runs only
// the first execution after a reset reliably (a deepcopy bug), so scripts
// start one execution each.
func TestMoto(t *testing.T) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("SKIPPED: moto_server is not installed (pip install 'moto[server]'); the runner's AWS code path is not exercised")
	}
	var n atomic.Int64

	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/moto",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			ctx := context.Background()
			endpoint, stop, err := startMoto(bin)
			if err != nil {
				return err
			}
			env.Defer(stop)

			cfg := motoConfig(ctx, t)
			name := fmt.Sprintf("moto-%d-%d", time.Now().UnixNano(), n.Add(1))
			env.Setenv("MOTO", endpoint)
			env.Setenv("SM", name)
			env.Setenv("AWS_ACCESS_KEY_ID", "testing")
			env.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
			env.Setenv("AWS_REGION", "us-east-1")
			env.Setenv("AWS_CA_BUNDLE", "")
			env.Setenv("STEPWISE_DATA_DIR", filepath.Join(env.WorkDir, ".stepwise"))
			def, err := os.ReadFile(filepath.Join(env.WorkDir, "definition.asl.json"))
			if err != nil {
				return err
			}
			if bytes.Contains(def, []byte("QUEUE_URL")) {
				q, err := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) }).
					CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
				if err != nil {
					return err
				}
				def = bytes.ReplaceAll(def, []byte("QUEUE_URL"), []byte(aws.ToString(q.QueueUrl)))
				env.Setenv("QUEUE", aws.ToString(q.QueueUrl))
			}
			_, err = sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(endpoint) }).
				CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
					Name:       aws.String(name),
					Definition: aws.String(string(def)),
					RoleArn:    aws.String("arn:aws:iam::123456789012:role/stepwise-test"),
				})
			return err
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// sqs-token QUEUE_URL VAR: receive the task token the state
			// machine sent with sqs:sendMessage.waitForTaskToken into $VAR.
			"sqs-token": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: sqs-token QUEUE_URL VAR")
				}
				endpoint := ts.Getenv("MOTO")
				client := sqs.NewFromConfig(motoConfig(context.Background(), t), func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
				for i := 0; i < 100; i++ {
					out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(args[0]), WaitTimeSeconds: 1})
					ts.Check(err)
					if len(out.Messages) > 0 {
						ts.Setenv(args[1], strings.TrimSpace(aws.ToString(out.Messages[0].Body)))
						return
					}
				}
				ts.Fatalf("no task token arrived on %s", args[0])
			},
		},
	})
}

func motoConfig(ctx context.Context, t *testing.T) aws.Config {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startMoto runs moto_server on a free loopback port and switches on state
// machine execution.
func startMoto(bin string) (endpoint string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	// moto is a boto application: keep the AWS settings other tests of this
	// process may have exported (profiles, endpoints) away from it.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Post(endpoint+"/moto-api/config", "application/json",
			strings.NewReader(`{"stepfunctions":{"execute_state_machine":true}}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return endpoint, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("moto_server did not start on %s: %v\n%s", endpoint, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
