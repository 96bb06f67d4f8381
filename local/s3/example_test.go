package s3_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

// ExampleStart runs a local S3 server, writes an object with the AWS SDK
// and receives the EventBridge-shaped event for it.
func ExampleStart() {
	dir, err := os.MkdirTemp("", "stepwise-s3-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	srv, err := locals3.Start(ctx, locals3.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client, err := srv.NewClient(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("reports")}); err != nil {
		log.Fatal(err)
	}
	_, err = client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String("reports"),
		Key:    aws.String("requests/monthly sales.json"),
		Body:   strings.NewReader(`{"report":"sales"}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	ev := <-srv.Events()
	fmt.Println(ev.DetailType, ev.Detail.Reason, ev.Detail.Bucket.Name, ev.Detail.Object.Key, ev.Detail.Object.Size)
	// Output: Object Created PutObject reports requests/monthly+sales.json 18
}
