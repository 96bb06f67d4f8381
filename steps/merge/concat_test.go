package merge

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// TestConcat checks that every mix of part sizes concatenates exactly and
// that the multipart upload obeys S3's 5 MiB minimum (the memory store
// rejects smaller non-last parts as S3 does).
func TestConcat(t *testing.T) {
	const M = objstore.MinPartSize
	tests := []struct {
		sizes  []int
		method string
	}{
		{[]int{0}, "stream"},
		{[]int{10}, "copy"},
		{[]int{10, 0, 20}, "stream"},
		{[]int{M}, "copy"},
		{[]int{M, 1}, "multipart"},
		{[]int{1, M}, "multipart"},
		{[]int{1, 2*M + 3}, "multipart"},
		{[]int{M - 1, M - 1, M - 1}, "multipart"},
		{[]int{3, M + 7, 0, 5, 2 * M, M / 2}, "multipart"},
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 3 {
		var sizes []int
		for range 1 + r.IntN(4) {
			sizes = append(sizes, []int{0, 1, r.IntN(M), M - 1, M, M + r.IntN(M)}[r.IntN(6)])
		}
		tests = append(tests, struct {
			sizes  []int
			method string
		}{sizes, ""})
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.sizes), func(t *testing.T) {
			st := objstore.NewMemory()
			var parts []objstore.ObjectInfo
			var want []byte
			for i, n := range tt.sizes {
				b := bytes.Repeat([]byte{byte('a' + i)}, n)
				key := fmt.Sprintf("work/e/parts/%05d.csv", i)
				st.PutBytes("b", key, b)
				parts = append(parts, objstore.ObjectInfo{Bucket: "b", Key: key, Size: int64(n)})
				want = append(want, b...)
			}
			method, err := Concat(context.Background(), st, "b", "work/e/merged.csv", parts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.method != "" && method != tt.method {
				t.Errorf("method %s, want %s", method, tt.method)
			}
			got, _ := st.Object("b", "work/e/merged.csv")
			if !bytes.Equal(got, want) {
				t.Fatalf("merged %d bytes, want %d", len(got), len(want))
			}
			if st.OpenUploads() != 0 {
				t.Fatal("multipart upload left open")
			}
		})
	}
}
