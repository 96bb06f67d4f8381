package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// The write-ahead log is a sequence of segment files wal-<seq>.log. A
// segment is a sequence of records, one per commit group:
//
//	u32 payload length | u32 CRC-32C of payload | payload
//
// and a payload is uvarint #batches, then per batch uvarint #puts,
// (uvarint len, key, uvarint len, value)..., uvarint #deletes,
// (uvarint len, key).... A record is acknowledged only after the segment is
// synced, so only the last record can be torn by a crash; replay stops at
// the first record that is incomplete or fails its checksum.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type wal struct {
	seq  uint64
	path string
	f    walFile
	buf  []byte
	size int64 // bytes of complete, acknowledged records
}

// walFile is what a segment needs of its file (an *os.File; tests inject
// write failures through it).
type walFile interface {
	Write(p []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Seek(offset int64, whence int) (int64, error)
	Close() error
}

type segment struct {
	seq  uint64
	path string
}

func walName(seq uint64) string { return fmt.Sprintf("wal-%016d.log", seq) }

// createWAL creates segment seq and makes its directory entry durable.
func createWAL(dir string, seq uint64) (*wal, error) {
	path := filepath.Join(dir, walName(seq))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: create log: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return &wal{seq: seq, path: path, f: f}, nil
}

// append writes one record holding batches and, if sync, fsyncs the
// segment. It returns the bytes written.
func (w *wal) append(batches []*statemachine.Batch, sync bool) (int64, error) {
	p := w.buf[:0]
	p = append(p, 0, 0, 0, 0, 0, 0, 0, 0) // header, filled below
	p = binary.AppendUvarint(p, uint64(len(batches)))
	for _, b := range batches {
		p = binary.AppendUvarint(p, uint64(len(b.Puts)))
		for _, kv := range b.Puts {
			p = appendBytes(p, kv.Key)
			p = appendBytes(p, string(kv.Value))
		}
		p = binary.AppendUvarint(p, uint64(len(b.Deletes)))
		for _, k := range b.Deletes {
			p = appendBytes(p, k)
		}
	}
	binary.LittleEndian.PutUint32(p[0:], uint32(len(p)-8))
	binary.LittleEndian.PutUint32(p[4:], crc32.Checksum(p[8:], castagnoli))
	w.buf = p
	if _, err := w.f.Write(p); err != nil {
		return 0, w.rollback(err)
	}
	if sync {
		if err := w.f.Sync(); err != nil {
			return 0, w.rollback(err)
		}
	}
	w.size += int64(len(p))
	return int64(len(p)), nil
}

// errLogBroken wraps a failed append whose partial record could not be
// removed: the segment must not be appended to again.
var errLogBroken = errors.New("the log cannot be repaired until restart")

// rollback cuts a failed append (a full disk: ENOSPC, EDQUOT, EIO) off the
// segment, so that the next append follows the last acknowledged record
// and replay, which stops at the first torn record, still reaches it. The
// failed record was never acknowledged. If the cut fails too, the error
// wraps errLogBroken.
func (w *wal) rollback(err error) error {
	if terr := w.f.Truncate(w.size); terr != nil {
		return fmt.Errorf("%w (%w: truncate after the failed write: %v)", err, errLogBroken, terr)
	}
	if _, serr := w.f.Seek(w.size, io.SeekStart); serr != nil {
		return fmt.Errorf("%w (%w: seek after the failed write: %v)", err, errLogBroken, serr)
	}
	return err
}

func appendBytes(p []byte, s string) []byte {
	p = binary.AppendUvarint(p, uint64(len(s)))
	return append(p, s...)
}

func (w *wal) close() { w.f.Close() }

// listWAL returns the log segments in dir in sequence order.
func listWAL(dir string) ([]segment, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var segs []segment
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "wal-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "wal-"), ".log"), 10, 64)
		if err != nil {
			continue
		}
		segs = append(segs, segment{seq: seq, path: filepath.Join(dir, name)})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].seq < segs[j].seq })
	return segs, nil
}

// readWAL calls fn for every batch of every complete record of a segment.
func readWAL(path string, fn func(*statemachine.Batch) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil // end, or a torn header
		}
		n := binary.LittleEndian.Uint32(hdr[0:])
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil // torn record: never acknowledged
		}
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			return nil
		}
		batches, err := decodeRecord(payload)
		if err != nil {
			return fmt.Errorf("record with a valid checksum does not decode: %w", err)
		}
		for _, b := range batches {
			if err := fn(b); err != nil {
				return err
			}
		}
	}
}

func decodeRecord(p []byte) ([]*statemachine.Batch, error) {
	errShort := errors.New("truncated")
	uv := func() (uint64, error) {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, errShort
		}
		p = p[n:]
		return v, nil
	}
	str := func() (string, error) {
		l, err := uv()
		if err != nil || l > uint64(len(p)) {
			return "", errShort
		}
		s := string(p[:l])
		p = p[l:]
		return s, nil
	}
	nb, err := uv()
	if err != nil {
		return nil, err
	}
	var out []*statemachine.Batch
	for range nb {
		b := &statemachine.Batch{}
		np, err := uv()
		if err != nil {
			return nil, err
		}
		for range np {
			k, err := str()
			if err != nil {
				return nil, err
			}
			v, err := str()
			if err != nil {
				return nil, err
			}
			b.Put(k, []byte(v))
		}
		nd, err := uv()
		if err != nil {
			return nil, err
		}
		for range nd {
			k, err := str()
			if err != nil {
				return nil, err
			}
			b.Delete(k)
		}
		out = append(out, b)
	}
	return out, nil
}
