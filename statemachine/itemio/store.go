package itemio

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
