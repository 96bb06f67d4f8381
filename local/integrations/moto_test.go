package integrations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/stepwise-dev/stepwise/local/integrations"
	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// One moto_server and one local S3 serve every test of the package.
var (
	motoURL  string
	motoSkip string
	localS3  *s3.Client
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "integrations-s3-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := locals3.Start(ctx, locals3.Options{Dir: dir, Addr: "127.0.0.1:0", DisableEvents: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local S3:", err)
		return 1
	}
	defer srv.Close()
	if localS3, err = srv.NewClient(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		motoSkip = "SKIPPED: moto_server is not installed (pip install 'moto[server]'); the sqs, sns, events and dynamodb integrations are not exercised"
		return m.Run()
	}
	url, stop, err := startMoto(bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	motoURL = url
	return m.Run()
}

func needMoto(t *testing.T) {
	t.Helper()
	if motoSkip != "" {
		t.Skip(motoSkip)
	}
}

// startMoto runs moto_server on a free port of 127.0.0.1, without the
// process's AWS_* settings.
func startMoto(bin string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
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
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("moto_server did not start on %s: %v\n%s", url, err, logs.String())
		}
	}
}

func awsConfig() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
}

func motoEndpoints() map[string]string {
	return map[string]string{"sqs": motoURL, "sns": motoURL, "events": motoURL, "dynamodb": motoURL}
}

// result is an execution's end and its Task events, decoded as the
// GetExecutionHistory API writes them.
type result struct {
	x      *statemachine.Execution
	events []map[string]any
	engine *statemachine.Engine
}

// task returns the details of the first event of type typ.
func (r *result) task(t *testing.T, typ string) map[string]any {
	t.Helper()
	key := strings.ToLower(typ[:1]) + typ[1:] + "EventDetails"
	for _, ev := range r.events {
		if ev["type"] == typ {
			d, _ := ev[key].(map[string]any)
			return d
		}
	}
	t.Fatalf("no %s event in %v", typ, r.types())
	return nil
}

func (r *result) types() []string {
	var out []string
	for _, ev := range r.events {
		out = append(out, ev["type"].(string))
	}
	return out
}

// output decodes the execution's output.
func (r *result) output(t *testing.T) map[string]any {
	t.Helper()
	if r.x.Output == nil {
		t.Fatalf("no output; status %s error %v cause %v", r.x.Status, deref(r.x.Error), deref(r.x.Cause))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(*r.x.Output), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// run creates a machine with one Task state calling resource with
// params, runs it to its end (answering a task token with answer when
// set) and returns what happened.
func run(t *testing.T, inv *integrations.Invoker, resource string, params any, answer func(e *statemachine.Engine) error) *result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := statemachine.New(statemachine.Options{Services: inv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	p, _ := json.Marshal(params)
	def := fmt.Sprintf(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":%q,"Parameters":%s,"End":true}}}`, resource, p)
	sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: "m", Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn, Input: `{}`, InputSet: true})
	if err != nil {
		t.Fatal(err)
	}
	if answer != nil {
		if err := answer(e); err != nil {
			t.Fatal(err)
		}
	}
	if x, err = e.WaitExecution(ctx, x.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	hist, err := e.GetExecutionHistory(ctx, x.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(hist)
	r := &result{x: x, engine: e}
	if err := json.Unmarshal(b, &r.events); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkEvents asserts the Task events AWS writes, with resourceType and
// resource, and for a failure the error name.
func checkEvents(t *testing.T, r *result, resType, res, wantErr string) {
	t.Helper()
	t.Logf("%s: %s error=%q cause=%q output=%s", res, r.x.Status, deref(r.x.Error), deref(r.x.Cause), deref(r.x.Output))
	for _, typ := range []string{"TaskScheduled", "TaskStarted"} {
		d := r.task(t, typ)
		if d["resourceType"] != resType || d["resource"] != res {
			t.Errorf("%s: resourceType %v resource %v, want %s %s", typ, d["resourceType"], d["resource"], resType, res)
		}
	}
	if wantErr == "" {
		if r.x.Status != "SUCCEEDED" {
			t.Fatalf("status %s, error %s cause %s", r.x.Status, deref(r.x.Error), deref(r.x.Cause))
		}
		d := r.task(t, "TaskSucceeded")
		if d["resourceType"] != resType || d["resource"] != res {
			t.Errorf("TaskSucceeded: resourceType %v resource %v", d["resourceType"], d["resource"])
		}
		return
	}
	if r.x.Status != "FAILED" {
		t.Fatalf("status %s, want FAILED with %s", r.x.Status, wantErr)
	}
	d := r.task(t, "TaskFailed")
	if d["error"] != wantErr || d["resourceType"] != resType || d["resource"] != res {
		t.Errorf("TaskFailed: error %v resourceType %v resource %v, want %s %s %s (cause %v)", d["error"], d["resourceType"], d["resource"], wantErr, resType, res, d["cause"])
	}
	if deref(r.x.Error) != wantErr {
		t.Errorf("execution error %q, want %q", deref(r.x.Error), wantErr)
	}
}

// checkMetadata asserts the SdkHttpMetadata / SdkResponseMetadata members
// of an optimized integration's answer.
func checkMetadata(t *testing.T, out map[string]any, contentType string) {
	t.Helper()
	md, _ := out["SdkHttpMetadata"].(map[string]any)
	if md == nil || md["HttpStatusCode"] != float64(200) {
		t.Fatalf("SdkHttpMetadata = %v", out["SdkHttpMetadata"])
	}
	hh, _ := md["HttpHeaders"].(map[string]any)
	if ct, _ := hh["Content-Type"].(string); !strings.HasPrefix(ct, contentType) {
		t.Errorf("Content-Type %q, want %s", ct, contentType)
	}
	rm, _ := out["SdkResponseMetadata"].(map[string]any)
	if id, _ := rm["RequestId"].(string); id == "" {
		t.Errorf("SdkResponseMetadata = %v, want a RequestId", out["SdkResponseMetadata"])
	}
}

func motoInvoker(t *testing.T) *integrations.Invoker {
	t.Helper()
	needMoto(t)
	inv, err := integrations.New(integrations.Config{Endpoints: motoEndpoints(), S3: localS3})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func uniq(t *testing.T) string {
	return strings.ReplaceAll(strings.ToLower(t.Name()), "/", "-") + fmt.Sprint(time.Now().UnixNano()%1e9)
}

func TestSQSSendMessage(t *testing.T) {
	inv := motoInvoker(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(awsConfig(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(motoURL) })
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(t))})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, inv, "arn:aws:states:::sqs:sendMessage", map[string]any{"QueueUrl": *q.QueueUrl, "MessageBody": map[string]any{"n": 1.5, "s": "x"}}, nil)
	checkEvents(t, r, "sqs", "sendMessage", "")
	out := r.output(t)
	if out["MessageId"] == nil || out["MD5OfMessageBody"] == nil {
		t.Errorf("output %v lacks MessageId or MD5OfMessageBody", out)
	}
	checkMetadata(t, out, "application/x-amz-json-1.0")
	msg, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(msg.Messages) != 1 {
		t.Fatalf("receive: %v %v", msg, err)
	}
	if got := *msg.Messages[0].Body; got != `{"n":1.5,"s":"x"}` {
		t.Errorf("body %s, want the MessageBody object as JSON text", got)
	}

	// A member the service requires and the state left out: the service
	// refuses it, an error its model does not list, so the name is the
	// SDK's base exception (as recorded).
	r = run(t, inv, "arn:aws:states:::sqs:sendMessage", map[string]any{"QueueUrl": *q.QueueUrl}, nil)
	checkEvents(t, r, "sqs", "sendMessage", "SQS.AmazonSQSException")

	r = run(t, inv, "arn:aws:states:::sqs:sendMessage", map[string]any{"QueueUrl": motoURL + "/123456789012/no-such-queue", "MessageBody": "x"}, nil)
	checkEvents(t, r, "sqs", "sendMessage", "SQS.QueueDoesNotExistException")
	if c := deref(r.x.Cause); !strings.Contains(c, "(Service: AmazonSQS; Status Code: 400; Error Code: ") || !strings.HasSuffix(c, "; Proxy: null)") {
		t.Errorf("cause %q is not in the SDK v1 shape", c)
	}
}

// TestSQSWaitForTaskToken: the token goes out in the message, the answer
// comes through SendTaskSuccess.
func TestSQSWaitForTaskToken(t *testing.T) {
	inv := motoInvoker(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(awsConfig(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(motoURL) })
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(t))})
	if err != nil {
		t.Fatal(err)
	}
	answer := func(e *statemachine.Engine) error {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			msg, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
			if err != nil {
				return err
			}
			if len(msg.Messages) == 0 {
				continue
			}
			var body struct{ Token string }
			if err := json.Unmarshal([]byte(*msg.Messages[0].Body), &body); err != nil {
				return err
			}
			return e.SendTaskSuccess(ctx, body.Token, `{"approved":true}`)
		}
		return fmt.Errorf("no message with the token")
	}
	r := run(t, inv, "arn:aws:states:::sqs:sendMessage.waitForTaskToken", map[string]any{"QueueUrl": *q.QueueUrl, "MessageBody": map[string]any{"Token.$": "$$.Task.Token"}}, answer)
	checkEvents(t, r, "sqs", "sendMessage.waitForTaskToken", "")
	if got := r.output(t); got["approved"] != true {
		t.Errorf("output %v, want the SendTaskSuccess output", got)
	}
	if sub := r.task(t, "TaskSubmitted"); sub["resource"] != "sendMessage.waitForTaskToken" {
		t.Errorf("TaskSubmitted %v", sub)
	}
}

func TestSNSPublish(t *testing.T) {
	inv := motoInvoker(t)
	ctx := context.Background()
	client := sns.NewFromConfig(awsConfig(), func(o *sns.Options) { o.BaseEndpoint = aws.String(motoURL) })
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq(t))})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, inv, "arn:aws:states:::sns:publish", map[string]any{"TopicArn": *topic.TopicArn, "Message": map[string]any{"Message": "HelloWorld!"}}, nil)
	checkEvents(t, r, "sns", "publish", "")
	out := r.output(t)
	if out["MessageId"] == nil {
		t.Errorf("output %v lacks MessageId", out)
	}
	checkMetadata(t, out, "text/xml")

	r = run(t, inv, "arn:aws:states:::sns:publish", map[string]any{"TopicArn": "arn:aws:sns:us-east-1:123456789012:no-such-topic", "Message": "x"}, nil)
	checkEvents(t, r, "sns", "publish", "SNS.NotFoundException")
	if c := deref(r.x.Cause); !strings.Contains(c, "(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: ") {
		t.Errorf("cause %q, want the recorded shape", c)
	}
}

func TestEventsPutEvents(t *testing.T) {
	inv := motoInvoker(t)
	r := run(t, inv, "arn:aws:states:::events:putEvents", map[string]any{"Entries": []any{
		map[string]any{"Detail": map[string]any{"Message": "HelloWorld"}, "DetailType": "t", "Source": "some.source"},
	}}, nil)
	checkEvents(t, r, "events", "putEvents", "")
	out := r.output(t)
	if out["FailedEntryCount"] != float64(0) || len(out["Entries"].([]any)) != 1 {
		t.Errorf("output %v", out)
	}
	if _, ok := out["SdkHttpMetadata"]; ok {
		t.Errorf("putEvents answers without HTTP metadata, got %v", out)
	}

	r = run(t, inv, "arn:aws:states:::events:putEvents", map[string]any{"Entries": []any{
		map[string]any{"Detail": map[string]any{"Message": "HelloWorld"}, "DetailType": "t"},
	}}, nil)
	checkEvents(t, r, "events", "putEvents", "EventBridge.FailedEntry")
	var cause map[string]any
	if err := json.Unmarshal([]byte(deref(r.x.Cause)), &cause); err != nil || cause["FailedEntryCount"] != float64(1) {
		t.Errorf("cause %q, want the answer with FailedEntryCount 1", deref(r.x.Cause))
	}
}

func TestDynamoDB(t *testing.T) {
	inv := motoInvoker(t)
	ctx := context.Background()
	client := dynamodb.NewFromConfig(awsConfig(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(motoURL) })
	table := uniq(t)
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	key := map[string]any{"id": map[string]any{"S": "id1"}}
	r := run(t, inv, "arn:aws:states:::dynamodb:putItem", map[string]any{"TableName": table, "Item": map[string]any{
		"id": map[string]any{"S": "id1"}, "n": map[string]any{"N": "12345678901234567890.5"}, "l": map[string]any{"L": []any{map[string]any{"BOOL": true}}}}}, nil)
	checkEvents(t, r, "dynamodb", "putItem", "")
	checkMetadata(t, r.output(t), "application/x-amz-json-1.0")

	r = run(t, inv, "arn:aws:states:::dynamodb:updateItem", map[string]any{"TableName": table, "Key": key,
		"UpdateExpression": "SET s = :v", "ExpressionAttributeValues": map[string]any{":v": map[string]any{"S": "updated"}}, "ReturnValues": "UPDATED_NEW"}, nil)
	checkEvents(t, r, "dynamodb", "updateItem", "")
	if got := r.output(t)["Attributes"]; fmt.Sprint(got) != "map[s:map[S:updated]]" {
		t.Errorf("Attributes %v", got)
	}

	r = run(t, inv, "arn:aws:states:::dynamodb:getItem", map[string]any{"TableName": table, "Key": key}, nil)
	checkEvents(t, r, "dynamodb", "getItem", "")
	item, _ := r.output(t)["Item"].(map[string]any)
	if fmt.Sprint(item["n"]) != "map[N:12345678901234567890.5]" || fmt.Sprint(item["l"]) != "map[L:[map[BOOL:true]]]" || fmt.Sprint(item["s"]) != "map[S:updated]" {
		t.Errorf("Item %v: numbers must stay exact strings, lists and updates kept", item)
	}

	r = run(t, inv, "arn:aws:states:::dynamodb:putItem", map[string]any{"TableName": table, "Item": key, "ConditionExpression": "attribute_not_exists(id)"}, nil)
	checkEvents(t, r, "dynamodb", "putItem", "DynamoDB.ConditionalCheckFailedException")
	if c := deref(r.x.Cause); !strings.Contains(c, "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: ") {
		t.Errorf("cause %q", c)
	}

	r = run(t, inv, "arn:aws:states:::dynamodb:deleteItem", map[string]any{"TableName": table, "Key": key, "ReturnValues": "ALL_OLD"}, nil)
	checkEvents(t, r, "dynamodb", "deleteItem", "")
	if got := r.output(t)["Attributes"]; got == nil {
		t.Errorf("deleteItem ALL_OLD returned no Attributes")
	}

	// DynamoDB's ValidationException is not in the SDK's model: the base
	// exception, as recorded.
	r = run(t, inv, "arn:aws:states:::dynamodb:updateItem", map[string]any{"TableName": table, "Key": key, "UpdateExpression": "SET = nonsense"}, nil)
	checkEvents(t, r, "dynamodb", "updateItem", "DynamoDB.AmazonDynamoDBException")
	if c := deref(r.x.Cause); !strings.Contains(c, "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: ") {
		t.Errorf("cause %q", c)
	}

	r = run(t, inv, "arn:aws:states:::dynamodb:getItem", map[string]any{"TableName": "no-such-table", "Key": key}, nil)
	checkEvents(t, r, "dynamodb", "getItem", "DynamoDB.ResourceNotFoundException")
}

// TestS3 runs the aws-sdk:s3 object calls against the local S3.
func TestS3(t *testing.T) {
	inv, err := integrations.New(integrations.Config{S3: localS3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bucket := "b" + uniq(t)
	if _, err := localS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	sdk := func(action string) string { return "arn:aws:states:::aws-sdk:s3:" + action }

	r := run(t, inv, sdk("putObject"), map[string]any{"Bucket": bucket, "Key": "a.json", "Body": map[string]any{"Dict": "Value"}}, nil)
	checkEvents(t, r, "aws-sdk:s3", "putObject", "")
	if out := r.output(t); out["ETag"] == nil || out["SdkHttpMetadata"] != nil {
		t.Errorf("putObject output %v: want ETag and no HTTP metadata", out)
	}
	r = run(t, inv, sdk("putObject"), map[string]any{"Bucket": bucket, "Key": "b.txt", "Body": "text data"}, nil)
	checkEvents(t, r, "aws-sdk:s3", "putObject", "")

	r = run(t, inv, sdk("getObject"), map[string]any{"Bucket": bucket, "Key": "a.json"}, nil)
	checkEvents(t, r, "aws-sdk:s3", "getObject", "")
	out := r.output(t)
	if out["Body"] != `{"Dict":"Value"}` || out["ContentLength"] != float64(16) || out["ContentType"] != "text/plain; charset=UTF-8" {
		t.Errorf("getObject output %v", out)
	}
	if lm, _ := out["LastModified"].(string); !strings.HasSuffix(lm, "Z") || !strings.Contains(lm, "T") {
		t.Errorf("LastModified %q, want ISO 8601", lm)
	}
	r = run(t, inv, sdk("getObject"), map[string]any{"Bucket": bucket, "Key": "b.txt"}, nil)
	if got := r.output(t)["Body"]; got != `"text data"` {
		t.Errorf("a string Body is stored as its JSON text, as recorded; got %q", got)
	}

	r = run(t, inv, sdk("headObject"), map[string]any{"Bucket": bucket, "Key": "a.json"}, nil)
	checkEvents(t, r, "aws-sdk:s3", "headObject", "")
	r = run(t, inv, sdk("copyObject"), map[string]any{"Bucket": bucket, "Key": "c.json", "CopySource": bucket + "/a.json"}, nil)
	checkEvents(t, r, "aws-sdk:s3", "copyObject", "")
	r = run(t, inv, sdk("listObjectsV2"), map[string]any{"Bucket": bucket}, nil)
	checkEvents(t, r, "aws-sdk:s3", "listObjectsV2", "")
	var keys []string
	for _, c := range r.output(t)["Contents"].([]any) {
		keys = append(keys, c.(map[string]any)["Key"].(string))
	}
	if strings.Join(keys, ",") != "a.json,b.txt,c.json" {
		t.Errorf("listObjectsV2 keys %v", keys)
	}
	r = run(t, inv, sdk("deleteObject"), map[string]any{"Bucket": bucket, "Key": "c.json"}, nil)
	checkEvents(t, r, "aws-sdk:s3", "deleteObject", "")

	r = run(t, inv, sdk("getObject"), map[string]any{"Bucket": bucket, "Key": "c.json"}, nil)
	checkEvents(t, r, "aws-sdk:s3", "getObject", "S3.NoSuchKeyException")
	if c := deref(r.x.Cause); !strings.HasPrefix(c, "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: ") || !strings.Contains(c, ", Extended Request ID: ") {
		t.Errorf("cause %q is not in the recorded SDK v2 shape", c)
	}
}

// TestStartRefusedWithoutEndpoint: a machine calling a service with no
// endpoint is refused at StartExecution, naming the state and the fix; an
// integration the stack does not run is refused too; Lambda and Step
// Functions tasks are not the invoker's business.
func TestStartRefusedWithoutEndpoint(t *testing.T) {
	inv, err := integrations.New(integrations.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := statemachine.New(statemachine.Options{Services: inv})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, c := range []struct{ name, def, want string }{
		{"sqs", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"Notify","States":{"Notify":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody.$":"$$.Task.Token"},"End":true}}}]}}}`,
			"the state 'Notify' calls arn:aws:states:::sqs:sendMessage.waitForTaskToken, but no sqs endpoint is configured: start the stack with `runner up --endpoint sqs=URL` or set AWS_ENDPOINT_URL_SQS"},
		{"s3", `{"StartAt":"Get","States":{"Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject","Parameters":{"Bucket":"b","Key":"k"},"End":true}}}`,
			"the state 'Get' calls arn:aws:states:::aws-sdk:s3:getObject, but no s3 endpoint is configured"},
		{"unsupported", `{"StartAt":"Batch","States":{"Batch":{"Type":"Task","Resource":"arn:aws:states:::batch:submitJob.sync","Parameters":{},"End":true}}}`,
			"the state 'Batch' calls arn:aws:states:::batch:submitJob.sync, which the local stack does not run"},
		{"lambda", `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}}}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: strings.ReplaceAll(c.name, " ", "-"), Definition: c.def})
			if err != nil {
				t.Fatalf("CreateStateMachine accepts what AWS accepts: %v", err)
			}
			_, err = e.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn})
			if c.want == "" {
				if err != nil {
					t.Fatalf("StartExecution: %v", err)
				}
				return
			}
			var ae *statemachine.APIError
			if !errors.As(err, &ae) || ae.Code != "ValidationException" || !strings.Contains(ae.Message, c.want) {
				t.Fatalf("StartExecution error %v, want ValidationException containing %q", err, c.want)
			}
		})
	}
}

// TestRuntimeErrorWithoutEndpoint: when the check is bypassed (a mock
// harness wraps the invoker), the task fails with States.Runtime saying
// what to configure.
func TestRuntimeErrorWithoutEndpoint(t *testing.T) {
	inv, err := integrations.New(integrations.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = inv.InvokeService(context.Background(), statemachine.ServiceRequest{Resource: "arn:aws:states:::sns:publish", Service: "sns", Action: "publish"})
	var te *statemachine.TaskError
	if !errors.As(err, &te) || te.Name != "States.Runtime" || !strings.Contains(te.Cause, "--endpoint sns=URL") {
		t.Fatalf("err %v", err)
	}
}

func TestEndpointsFromEnv(t *testing.T) {
	env := map[string]string{"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:1", "AWS_ENDPOINT_URL": "http://127.0.0.1:2", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:3"}
	got := integrations.EndpointsFromEnv(func(k string) string { return env[k] })
	want := map[string]string{"sqs": "http://127.0.0.1:1", "sns": "http://127.0.0.1:2", "events": "http://127.0.0.1:2", "dynamodb": "http://127.0.0.1:2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v (S3 stays the stack's own)", got, want)
	}
	for _, c := range []struct{ in, svc, err string }{
		{"sqs=http://127.0.0.1:5000", "sqs", ""},
		{"EventBridge=http://127.0.0.1:5000", "events", ""},
		{"sqs", "", "want SERVICE=URL"},
		{"kinesis=http://127.0.0.1:1", "", `unknown service "kinesis"`},
		{"sqs=127.0.0.1:5000", "", "is not an http(s) URL"},
	} {
		svc, _, err := integrations.ParseEndpoint(c.in)
		if svc != c.svc || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ParseEndpoint(%q) = %q, %v; want %q, %q", c.in, svc, err, c.svc, c.err)
		}
	}
}

// TestSNSWaitForTaskToken: the token goes out in a message published to
// a topic (delivered to a subscribed queue), the answer comes through
// SendTaskFailure, whose error and cause fail the task.
func TestSNSWaitForTaskToken(t *testing.T) {
	inv := motoInvoker(t)
	ctx := context.Background()
	topics := sns.NewFromConfig(awsConfig(), func(o *sns.Options) { o.BaseEndpoint = aws.String(motoURL) })
	queues := sqs.NewFromConfig(awsConfig(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(motoURL) })
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq(t))})
	if err != nil {
		t.Fatal(err)
	}
	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(t))})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	answer := func(e *statemachine.Engine) error {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			msg, err := queues.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
			if err != nil {
				return err
			}
			if len(msg.Messages) == 0 {
				continue
			}
			var body struct{ TaskToken string }
			if err := json.Unmarshal([]byte(*msg.Messages[0].Body), &body); err != nil {
				return fmt.Errorf("message %s: %v", *msg.Messages[0].Body, err)
			}
			return e.SendTaskFailure(ctx, body.TaskToken, "Rejected", "no thanks")
		}
		return fmt.Errorf("no message with the token")
	}
	r := run(t, inv, "arn:aws:states:::sns:publish.waitForTaskToken", map[string]any{"TopicArn": *topic.TopicArn, "Message": map[string]any{"TaskToken.$": "$$.Task.Token"}}, answer)
	checkEvents(t, r, "sns", "publish.waitForTaskToken", "Rejected")
	if deref(r.x.Cause) != "no thanks" {
		t.Errorf("cause %q", deref(r.x.Cause))
	}
}

// TestNoAnswer: an endpoint that answers nothing fails the task with the
// service's SdkClientException; a parameter of the wrong type is a
// validation error naming it, before any call.
func TestNoAnswer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	inv, err := integrations.New(integrations.Config{Endpoints: map[string]string{"sqs": closed, "dynamodb": closed}})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, inv, "arn:aws:states:::sqs:sendMessage", map[string]any{"QueueUrl": closed + "/123456789012/q", "MessageBody": "x"}, nil)
	checkEvents(t, r, "sqs", "sendMessage", "SQS.SdkClientException")
	if c := deref(r.x.Cause); !strings.HasPrefix(c, "Unable to execute HTTP request: ") {
		t.Errorf("cause %q", c)
	}
	r = run(t, inv, "arn:aws:states:::sqs:sendMessage", map[string]any{"QueueUrl": closed + "/123456789012/q", "MessageBody": "x", "DelaySeconds": "ten"}, nil)
	checkEvents(t, r, "sqs", "sendMessage", "SQS.AmazonSQSException")
	if c := deref(r.x.Cause); !strings.Contains(c, "DelaySeconds") {
		t.Errorf("cause %q does not name the parameter", c)
	}
	r = run(t, inv, "arn:aws:states:::dynamodb:getItem", map[string]any{"TableName": "t", "Key": map[string]any{"id": "a"}}, nil)
	checkEvents(t, r, "dynamodb", "getItem", "DynamoDB.AmazonDynamoDBException")
	if c := deref(r.x.Cause); !strings.Contains(c, "Key.id") {
		t.Errorf("cause %q does not name the attribute", c)
	}
}

// TestDynamoDBSDK: aws-sdk:dynamodb answers the response members alone
// (putItem {}), query and scan too; its errors are DynamoDb.*, as
// recorded.
func TestDynamoDBSDK(t *testing.T) {
	inv := motoInvoker(t)
	ctx := context.Background()
	client := dynamodb.NewFromConfig(awsConfig(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(motoURL) })
	table := uniq(t)
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	sdk := func(action string) string { return "arn:aws:states:::aws-sdk:dynamodb:" + action }
	r := run(t, inv, sdk("putItem"), map[string]any{"TableName": table, "Item": map[string]any{"id": map[string]any{"S": "id1"}, "data": map[string]any{"S": "HelloWorld"}}}, nil)
	checkEvents(t, r, "aws-sdk:dynamodb", "putItem", "")
	if out := deref(r.x.Output); out != "{}" {
		t.Errorf("putItem output %s, want {} as recorded", out)
	}
	r = run(t, inv, sdk("query"), map[string]any{"TableName": table, "KeyConditionExpression": "id = :id", "ExpressionAttributeValues": map[string]any{":id": map[string]any{"S": "id1"}}}, nil)
	checkEvents(t, r, "aws-sdk:dynamodb", "query", "")
	out := r.output(t)
	if out["Count"] != float64(1) || out["ScannedCount"] != float64(1) || fmt.Sprint(out["Items"]) != "[map[data:map[S:HelloWorld] id:map[S:id1]]]" {
		t.Errorf("query output %v", out)
	}
	r = run(t, inv, sdk("scan"), map[string]any{"TableName": table}, nil)
	checkEvents(t, r, "aws-sdk:dynamodb", "scan", "")
	r = run(t, inv, sdk("getItem"), map[string]any{"TableName": "no-such-table", "Key": map[string]any{"id": map[string]any{"S": "id1"}}}, nil)
	checkEvents(t, r, "aws-sdk:dynamodb", "getItem", "DynamoDb.ResourceNotFoundException")
	if c := deref(r.x.Cause); !strings.HasPrefix(c, "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: ") || !strings.HasSuffix(c, ")") {
		t.Errorf("cause %q, want the recorded shape", c)
	}
}
