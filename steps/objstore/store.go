// Package objstore implements the object store the engine and the steps
// share ([objects.Store]): over an aws-sdk-go-v2 S3 client ([SDK]; the
// local S3 server or AWS, only the endpoint differs) and in memory for
// tests ([Memory]). [NewS3Client] is the one place S3 clients are built.
//
// Failures are mapped to the export error types the state machine
// matches: a missing object is [export.NotFound], and throttling, 5xx
// responses and dropped connections (after the SDK's own retries) are
// [export.S3Unavailable].
package objstore

import "github.com/stepwise-dev/stepwise/statemachine/objects"

// The steps spell the shared types through this package, next to the
// implementations; they are the same types as package objects'.
type (
	// Store is [objects.Store].
	Store = objects.Store
	// ObjectInfo is [objects.ObjectInfo].
	ObjectInfo = objects.ObjectInfo
	// Part is [objects.Part].
	Part = objects.Part
)

// MinPartSize is [objects.MinPartSize].
const MinPartSize = objects.MinPartSize

// MaxCopyPartSize is [objects.MaxCopyPartSize].
const MaxCopyPartSize = objects.MaxCopyPartSize
