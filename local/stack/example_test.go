package stack_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/local/stack"
)

// A local stack with one in-process Lambda function, driven with the AWS
// SDK exactly as a deployed Step Functions would be.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "stepwise-example")
	defer os.RemoveAll(dir)
	st, err := stack.Open(ctx, stack.Options{
		DataDir: filepath.Join(dir, ".stepwise"), Repo: os.DirFS(filepath.Join("..", "..")),
		NoS3: true, NoDeploy: true, NoTrigger: true,
		ExtraFunctions: []lambdalocal.Function{{Name: "greet", Handler: "greet"}},
		Steps:          map[string]any{"greet": func(in struct{ Name string }) (string, error) { return "hello " + in.Name, nil }},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	client := sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")},
		sfnapi.ClientOptions(st.Endpoints.StepFunctions))
	sm, _ := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("hello"), RoleArn: aws.String("arn:aws:iam::123456789012:role/local"),
		Definition: aws.String(`{"StartAt":"Greet","States":{"Greet":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:greet","End":true}}}`),
	})
	ex, _ := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"Name":"Ada"}`)})
	done, _ := st.Engine.WaitExecution(ctx, *ex.ExecutionArn)
	fmt.Println(done.Status, *done.Output)
	// Output: SUCCEEDED "hello Ada"
}
