package lambdalocal

import (
	"context"
	"testing"
	"time"
)

// BenchmarkInvokeInProcess measures one in-process invocation: JSON in,
// handler, JSON out, with context, deadline and concurrency slot.
func BenchmarkInvokeInProcess(b *testing.B) {
	r, err := New(Options{
		Functions: []Function{{Name: "f", Handler: "h", Timeout: time.Minute, Concurrency: 64}},
		Handlers:  map[string]any{"h": func(in struct{ A, B int }) (int, error) { return in.A + in.B, nil }},
	})
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"A":1,"B":2}`)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Invoke(context.Background(), "f", payload); err != nil {
				b.Error(err)
			}
		}
	})
}

// BenchmarkInvokeProcessWarm measures a warm process-mode invocation: one
// round trip through the Runtime API to a bootstrap child process.
func BenchmarkInvokeProcessWarm(b *testing.B) {
	bootstrap := buildBootstrap(b)
	r, err := New(Options{Bootstrap: bootstrap, Functions: []Function{{Name: "e", Handler: "echo", Timeout: time.Minute, Concurrency: 4}}})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	payload := []byte(`{"n":1}`)
	r.Invoke(context.Background(), "e", payload) // cold start outside the timing
	b.ResetTimer()
	for b.Loop() {
		if res, err := r.Invoke(context.Background(), "e", payload); err != nil || res.FunctionError != "" {
			b.Fatal(err, string(res.Payload))
		}
	}
}
