package picture

import "fmt"

// Error is a failure of a picture function, carrying the JSONata error
// code (for example "D3080") and, where one applies, the offending value.
type Error struct {
	// Code is the JSONata error code, such as "D3110".
	Code string
	// Message describes the failure in JSONata's wording where known.
	Message string
	// Value is the offending input or picture fragment, or nil.
	Value any
}

// Error returns the code and message as "Dxxxx: message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code string, value any, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Value: value}
}
