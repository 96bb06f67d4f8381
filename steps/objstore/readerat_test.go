package objstore_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

func TestReaderAt(t *testing.T) {
	m := objstore.NewMemory()
	m.PutBytes("b", "k", []byte("0123456789"))
	r := objstore.NewReaderAt(context.Background(), m, "b", "k")
	tests := []struct {
		off  int64
		n    int
		want string
		err  error
	}{
		{0, 4, "0123", nil},
		{6, 4, "6789", nil},
		{8, 4, "89", io.EOF},
	}
	for _, tc := range tests {
		p := make([]byte, tc.n)
		n, err := r.ReadAt(p, tc.off)
		if string(p[:n]) != tc.want || err != tc.err {
			t.Errorf("ReadAt(%d, %d) = %q, %v; want %q, %v", tc.n, tc.off, p[:n], err, tc.want, tc.err)
		}
	}
	var nf *export.NotFound
	if _, err := objstore.NewReaderAt(context.Background(), m, "b", "missing").ReadAt(make([]byte, 1), 0); !errors.As(err, &nf) {
		t.Errorf("missing object: %v, want *export.NotFound", err)
	}
}
