package activity_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/vclock"
	"github.com/stepwise-dev/stepwise/steps/activity"
)

// Encode is the input of the example's long step.
type Encode struct {
	Video string `json:"video"`
}

// Encoded is its output.
type Encoded struct {
	Minutes int    `json:"minutes"`
	Output  string `json:"output"`
}

// A step that takes 20 minutes, longer than a Lambda function may run,
// runs as an activity worker. Here the local Step Functions API runs on a
// virtual clock, so the 20 minutes pass at once; against AWS the same
// worker takes a client from sfn.NewFromConfig and time.Now's clock.
func Example() {
	ctx := context.Background()
	clock := vclock.New(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	clock.SetAuto(true)
	defer clock.Close()
	eng, _ := statemachine.New(statemachine.Options{Clock: clock})
	defer eng.Close()
	srv := httptest.NewServer(sfnapi.NewHandler(eng, sfnapi.Options{}))
	defer srv.Close()
	client := sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")},
		sfnapi.ClientOptions(srv.URL))

	// The activity, and a state machine whose Task runs it: a worker that
	// is silent for 60 s is presumed dead, and the task is retried.
	act, err := client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("encode-video")})
	if err != nil {
		panic(err)
	}
	def := `{"StartAt":"Encode","States":{"Encode":{"Type":"Task","Resource":"` + aws.ToString(act.ActivityArn) + `",
	  "HeartbeatSeconds":60,"Retry":[{"ErrorEquals":["States.HeartbeatTimeout"],"MaxAttempts":2}],"End":true}}}`
	sm, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("video"), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/stepwise")})
	if err != nil {
		panic(err)
	}

	// The worker: it heartbeats every 20 s while the handler runs.
	w := &activity.Worker{Client: client, ActivityArn: aws.ToString(act.ActivityArn), Name: "encoder-1",
		HeartbeatInterval: 20 * time.Second, Clock: clock}
	workerCtx, stop := context.WithCancel(ctx)
	stopped := make(chan error)
	go func() {
		stopped <- w.Run(workerCtx, activity.Typed(func(ctx context.Context, in Encode) (Encoded, error) {
			select { // the 20 minutes of encoding
			case <-clock.After(20 * time.Minute):
			case <-ctx.Done():
				return Encoded{}, context.Cause(ctx)
			}
			return Encoded{Minutes: 20, Output: in.Video + ".mp4"}, nil
		}))
	}()

	x, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"video":"keynote"}`)})
	if err != nil {
		panic(err)
	}
	done, err := eng.WaitExecution(ctx, aws.ToString(x.ExecutionArn))
	if err != nil {
		panic(err)
	}
	stop() // graceful: no task is running any more
	fmt.Println(<-stopped)
	fmt.Println(done.Status, aws.ToString(done.Output))
	fmt.Println("virtual time:", done.StopDate.Sub(done.StartDate).Round(time.Minute))
	// Output:
	// <nil>
	// SUCCEEDED {"minutes":20,"output":"keynote.mp4"}
	// virtual time: 20m0s
}
