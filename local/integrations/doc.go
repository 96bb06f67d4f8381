// Package integrations runs the AWS service integrations of Task states
// other than Lambda and Step Functions (which the engine runs itself) with
// aws-sdk-go-v2 clients against endpoints the user configures: the
// optimized sqs:sendMessage, sns:publish, events:putEvents and
// dynamodb:getItem|putItem|updateItem|deleteItem, and the AWS SDK
// integrations aws-sdk:dynamodb (those four, query and scan) and aws-sdk:s3
// for the common object operations, against the local stack's S3 by
// default; and the HTTP Task (http:invoke), which calls the state's
// ApiEndpoint itself (http.go; what its EventBridge connection adds comes
// from [Config.Connections], see connections.go).
//
// Requests take the state's Parameters (or Arguments) as Step Functions
// does: PascalCase members of the service API, with a JSON value where the
// API wants a string (MessageBody, Message, Detail, Body) serialised.
// Results and errors take AWS's shapes: the optimized integrations answer
// with the service's response members plus SdkHttpMetadata and
// SdkResponseMetadata and fail with <Service>.<Exception> and the AWS SDK
// for Java v1 cause; aws-sdk:s3 answers with the response members alone
// and fails with S3.<Exception> and the SDK v2 cause (errors.go has the
// naming rules, from recorded AWS histories).
//
// An [Invoker] never falls back to a default AWS endpoint: a service with
// no endpoint fails, and [Invoker.CheckService] lets the engine refuse
// StartExecution for a machine that calls one, naming the state and how to
// configure the endpoint. It is not an emulator of the services: point it
// at moto_server, LocalStack or real queues and tables.
package integrations
