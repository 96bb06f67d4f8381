package itemio

import (
	"context"
	"io"
	"time"
)

// ObjectStore is the slice of S3 that itemio needs. It has the method set
// of statemachine.ObjectStore, with this package's [ObjectInfo]; see
// [Adapt].
type ObjectStore interface {
	GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, error)
	ListObjects(ctx context.Context, bucket, prefix string, fn func(ObjectInfo) error) error
	PutObject(ctx context.Context, bucket, key string, body []byte) error
}

// ObjectInfo describes a listed object; it has the same fields as
// statemachine.ObjectInfo.
type ObjectInfo struct {
	Key          string
	ETag         string
	Size         int64
	LastModified time.Time
	StorageClass string
}

// ObjectInfoLike is satisfied by any struct type with exactly the fields of
// [ObjectInfo], such as statemachine.ObjectInfo.
type ObjectInfoLike interface {
	~struct {
		Key          string
		ETag         string
		Size         int64
		LastModified time.Time
		StorageClass string
	}
}

// StoreOf is an object store whose listings use the info type O.
type StoreOf[O ObjectInfoLike] interface {
	GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, error)
	ListObjects(ctx context.Context, bucket, prefix string, fn func(O) error) error
	PutObject(ctx context.Context, bucket, key string, body []byte) error
}

// Adapt turns a store whose ListObjects reports another ObjectInfo type
// with the same fields (statemachine.ObjectStore) into an [ObjectStore]:
// itemio.Adapt(engineStore). It exists because the engine's root package
// imports itemio, so itemio cannot import the engine's types.
func Adapt[O ObjectInfoLike](s StoreOf[O]) ObjectStore {
	if s == nil {
		return nil
	}
	if st, ok := any(s).(ObjectStore); ok {
		return st // statemachine.ObjectStore is an alias of ObjectStore
	}
	return adapted[O]{s}
}

type adapted[O ObjectInfoLike] struct{ s StoreOf[O] }

func (a adapted[O]) GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	return a.s.GetObject(ctx, bucket, key)
}

func (a adapted[O]) ListObjects(ctx context.Context, bucket, prefix string, fn func(ObjectInfo) error) error {
	return a.s.ListObjects(ctx, bucket, prefix, func(o O) error { return fn(ObjectInfo(o)) })
}

func (a adapted[O]) PutObject(ctx context.Context, bucket, key string, body []byte) error {
	return a.s.PutObject(ctx, bucket, key, body)
}

// Error names used by this package, as Step Functions reports them.
const (
	ErrItemReaderFailed   = "States.ItemReaderFailed"
	ErrResultWriterFailed = "States.ResultWriterFailed"
)

// Error is a failure with a Step Functions error name (one of the Err*
// constants) and a cause. The engine turns it into a statemachine.TaskError
// with the same Name and Cause.
type Error struct {
	Name  string
	Cause string
}

// Error implements error.
func (e *Error) Error() string { return e.Name + ": " + e.Cause }

func readerErr(format string, args ...any) error {
	return &Error{Name: ErrItemReaderFailed, Cause: sprintf(format, args...)}
}

func writerErr(format string, args ...any) error {
	return &Error{Name: ErrResultWriterFailed, Cause: sprintf(format, args...)}
}
