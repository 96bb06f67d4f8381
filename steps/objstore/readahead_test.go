package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

func TestReadAhead(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 40 {
		size := r.IntN(5000)
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(r.IntN(256))
		}
		st := NewMemory()
		st.PutBytes("b", "k", data)
		info, _ := st.Head(context.Background(), "b", "k")
		chunk, n := int64(1+r.IntN(700)), 1+r.IntN(5)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			rc := ReadAhead(context.Background(), st, "b", "k", info.ETag, int64(size), chunk, n)
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("size %d chunk %d n %d: %d bytes, err %v", size, chunk, n, len(got), err)
			}
		})
	}
}

func TestReadAheadErrors(t *testing.T) {
	st := NewMemory()
	st.PutBytes("b", "k", bytes.Repeat([]byte("x"), 1000))
	var calls atomic.Int32
	st.Fail = func(op, b, k string) error {
		if calls.Add(1) == 3 {
			return errors.New("injected")
		}
		return nil
	}
	rc := ReadAhead(context.Background(), st, "b", "k", "", 1000, 100, 2)
	got, err := io.ReadAll(rc)
	rc.Close()
	if err == nil || !strings.Contains(err.Error(), "injected") || len(got) >= 1000 || len(got)%100 != 0 {
		t.Fatalf("read %d bytes, err %v; want whole chunks, then the injected error", len(got), err)
	}
	st = NewMemory() // fetches of the closed reader may still be finishing on the old one
	st.PutBytes("b", "k", bytes.Repeat([]byte("x"), 1000))
	rc = ReadAhead(context.Background(), st, "b", "k", `"other"`, 1000, 100, 2)
	if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "changed while being read") {
		t.Fatalf("err %v, want a changed-object error", err)
	}
	rc.Close()
}
