// Package s3 runs a real S3-compatible server on 127.0.0.1 for the local
// stack, with objects stored as files on disk, and reports object-created
// notifications shaped like Amazon EventBridge's S3 "Object Created" events.
//
// The server is VersityGW's POSIX backend. Because that backend changes the
// process's working directory and allows one instance per process, it never
// runs in the caller's process: [Start] re-executes the current binary
// (os.Executable) as a child process, which serves S3 until [Server.Close]
// or until the parent dies. This works for `go test` binaries and for the
// runner alike; nothing but the package's init hook needs to be linked in.
//
// Clients talk to it with aws-sdk-go-v2's service/s3 in path style;
// [Server.NewClient] builds one the way the Lambda steps build theirs, and
// [Server.Env] gives other processes (Lambda steps, the AWS CLI) the
// endpoint, credentials and, with TLS, AWS_CA_BUNDLE. The child reports
// readiness and events over an extra file descriptor, so the package works
// on Unix-like systems (Linux, macOS), not on Windows.
//
// Clients reach VersityGW through a small net/http front server in the
// same child process, which forwards every request unchanged and streaming
// over a private Unix socket, because VersityGW's embedding API cannot set
// the limits a server on a shared machine needs. The front server
// terminates TLS, reads headers within 5 s, closes connections idle for
// 60 s, cuts off a request body that sends less than 64 KiB in 15 s of
// waiting (400 RequestTimeout) or a client that takes over 15 s to accept
// one write of a response, and admits at most 128 requests and 32 MiB of
// the XML bodies VersityGW reads into memory at a time (503 SlowDown after
// 5 s of waiting; one such body may be 4 MiB, else 400
// MaxMessageLengthExceeded). Object data is streamed and not capped.
//
// Limitations of the POSIX layout (objects are files, prefixes are
// directories): a key cannot also be a "directory" of other keys ("a" next
// to "a/b"; the second write fails with 409 ObjectParentIsFile or
// ExistingObjectIsDirectory), and keys that would leave the data directory ("../x") are
// rejected with 400.
//
// Object-created events are delivered at most once per write unless
// [Options].DurableEvents selects them: then the child fsyncs the object
// and records the event in <Dir>/outbox before the write is acknowledged,
// and every [Start] delivers the recorded events again until the consumer
// calls [Server.Ack] (at-least-once, as EventBridge delivers). A restart
// waits for an earlier server process on the same Dir to exit (it holds
// <Dir>/server.lock) so that writes it acknowledged after its parent died
// are in the outbox when the new one reads it.
//
// This package is not an S3 emulator for AWS features beyond what the
// Stepwise steps, the runner and Distributed Map use; bucket notifications
// configuration, IAM and versioning are not supported.
package s3
