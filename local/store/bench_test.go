package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// BenchmarkCommit measures durable commits/s (fsync on) through the group
// committer with 1, 8 and 64 concurrent committers; each commit is a typical
// engine transition (an execution record and a history event, ~300 bytes).
// For comparison, bboltBatch runs the same load as plain bbolt transactions
// grouped by bbolt's own DB.Batch (no log).
func BenchmarkCommit(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("committer/%d", n), func(b *testing.B) {
			s := open(b, b.TempDir())
			benchCommits(b, n, s.Commit)
		})
	}
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("bboltBatch/%d", n), func(b *testing.B) {
			s := open(b, b.TempDir())
			benchCommits(b, n, func(ctx context.Context, bt *statemachine.Batch) error {
				return s.db.Batch(func(tx *bolt.Tx) error { return apply(tx.Bucket(bucket), bt) })
			})
		})
	}
}

func benchCommits(b *testing.B, workers int, commit func(context.Context, *statemachine.Batch) error) {
	ctx := context.Background()
	value := make([]byte, 150)
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				bt := &statemachine.Batch{}
				bt.Put(fmt.Sprintf("exec/%08d", i%1000), value)
				bt.Put(fmt.Sprintf("hist/%08d/%08d", i%1000, i), value)
				if err := commit(ctx, bt); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
