package lambdalocal

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// invokeInProcess calls the function's handler in a goroutine of this
// process, bounded by the function's concurrency limit and timeout.
func (f *function) invokeInProcess(ctx context.Context, inv *invocation) (statemachine.LambdaResult, error) {
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return statemachine.LambdaResult{}, ctx.Err()
	}
	deadline := time.Now().Add(f.Timeout)
	hctx, cancel := context.WithDeadline(ctx, deadline)
	hctx = lambdacontext.NewContext(hctx, &lambdacontext.LambdaContext{
		AwsRequestID:       inv.requestID,
		InvokedFunctionArn: inv.arn,
	})
	done := make(chan statemachine.LambdaResult, 1)
	go func() {
		defer func() { <-f.slots }()
		defer cancel()
		done <- callHandler(hctx, f.handler, inv.payload)
	}()
	timer := time.NewTimer(f.Timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		// A handler that returns after its deadline still timed out, as on
		// AWS, where the sandbox is frozen at the deadline.
		if time.Now().After(deadline) {
			return timeoutResult(inv.requestID, f.Timeout), nil
		}
		return res, nil
	case <-timer.C:
		return timeoutResult(inv.requestID, f.Timeout), nil
	case <-ctx.Done():
		return statemachine.LambdaResult{}, ctx.Err()
	}
}

// callHandler runs one invocation through lambda.NewHandler(fn).Invoke and
// turns a returned error or a panic into Lambda's error document. A fresh
// Handler per call: aws-lambda-go's Handler recycles its output buffer
// through a pool, so the bytes one Invoke returns can be overwritten by a
// concurrent Invoke on the same Handler.
func callHandler(ctx context.Context, fn any, payload []byte) (res statemachine.LambdaResult) {
	defer func() {
		if v := recover(); v != nil {
			res = statemachine.LambdaResult{
				FunctionError: "Unhandled",
				Payload:       errorDocument(typeName(v), fmt.Sprintf("%v", v), panicStack()),
			}
		}
	}()
	out, err := awslambda.NewHandler(fn).Invoke(ctx, payload)
	if err != nil {
		if ive, ok := err.(messages.InvokeResponse_Error); ok {
			return statemachine.LambdaResult{FunctionError: "Unhandled", Payload: errorDocument(ive.Type, ive.Message, ive.StackTrace)}
		}
		return statemachine.LambdaResult{FunctionError: "Unhandled", Payload: errorDocument(typeName(err), err.Error(), nil)}
	}
	return statemachine.LambdaResult{Payload: append([]byte(nil), out...)}
}

// typeName is aws-lambda-go's errorType: the dynamic type's name with one
// pointer level removed ("" for unnamed types, as there).
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// panicStack returns the panicking goroutine's stack in aws-lambda-go's
// stack frame format (path relative to the package root, label without the
// package).
func panicStack() []*messages.InvokeResponse_Error_StackFrame {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs) // runtime.Callers, panicStack, the deferred func
	frames := runtime.CallersFrames(pcs[:n])
	var out []*messages.InvokeResponse_Error_StackFrame
	for {
		fr, more := frames.Next()
		out = append(out, stackFrame(fr))
		if !more {
			break
		}
	}
	return out
}

func stackFrame(fr runtime.Frame) *messages.InvokeResponse_Error_StackFrame {
	path, label := fr.File, fr.Function
	// Keep as many trailing path elements as the function's import path
	// has, plus the file name.
	i := len(path)
	for n := strings.Count(label, "/") + 2; n > 0; n-- {
		if i = strings.LastIndex(path[:i], "/"); i < 0 {
			break
		}
	}
	path = path[i+1:]
	label = label[strings.LastIndex(label, "/")+1:]
	label = label[strings.Index(label, ".")+1:]
	return &messages.InvokeResponse_Error_StackFrame{Path: path, Line: int32(fr.Line), Label: label}
}
