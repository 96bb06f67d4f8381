package jsonpath

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// countdownCtx is a context whose Err turns to Canceled after n calls, to
// cancel an evaluation part-way through without goroutines or clocks.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// getBounded runs GetContext and fails the test, instead of running for
// minutes, when it has not returned after a generous while.
func getBounded(t *testing.T, ctx context.Context, p *Path, doc any) (any, error) {
	t.Helper()
	type res struct {
		v   any
		err error
	}
	done := make(chan res, 1)
	go func() {
		v, err := p.GetContext(ctx, doc)
		done <- res{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not return", p)
		return nil, nil
	}
}

// quadraticDoc is an array of n objects; a filter that scans the whole
// document from each of them does n*n work.
func quadraticDoc(n int) any {
	a := make([]any, n)
	for i := range a {
		a[i] = map[string]any{"x": float64(i), "y": []any{float64(i)}}
	}
	return map[string]any{"a": a}
}

// TestGetContextLimit: a path whose filters do quadratic work on a large
// document fails with ErrLimit; the same path on a small one works, with
// the result of Get.
func TestGetContextLimit(t *testing.T) {
	// The real bound takes seconds to reach; the mechanism is the same.
	defer func(old int64) { stepLimit = old }(stepLimit)
	stepLimit = 200_000
	for _, c := range []struct {
		src        string
		small, big any
	}{
		{`$..[?($..x)]`, quadraticDoc(10), quadraticDoc(2000)},
		{`$.a[?(@.x in $..x)]`, quadraticDoc(10), quadraticDoc(2000)},
		{`$..*..*..*`, deepDoc(10), deepDoc(300)},
	} {
		p := MustCompile(c.src)
		want, err := p.Get(c.small)
		if err != nil {
			t.Fatal(err)
		}
		got, err := getBounded(t, context.Background(), p, c.small)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s on a small document: %v, %v; want %v", c.src, got, err, want)
		}
		_, err = getBounded(t, context.Background(), p, c.big)
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("%s on a large document: err = %v, want ErrLimit", c.src, err)
		}
	}
}

// deepDoc nests n objects: {"c":{"c":...}}; chained deep scans do n^3
// work on it.
func deepDoc(n int) any {
	var v any = "leaf"
	for range n {
		v = map[string]any{"c": v}
	}
	return v
}

// TestGetContextCancel: a cancelled context stops the evaluation and the
// error wraps its cause.
func TestGetContextCancel(t *testing.T) {
	p := MustCompile(`$..[?($..x)]`)
	ctx := &countdownCtx{Context: context.Background(), n: 2}
	_, err := getBounded(t, ctx, p, quadraticDoc(20000))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrLimit) {
		t.Fatalf("a cancelled evaluation is not ErrLimit: %v", err)
	}
}
