package report

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
)

// strSet is the set of distinct values of one count_distinct accumulator:
// open addressing over a slot array, the values appended to one arena in
// insertion order, each after its length as a uvarint (so the arena is
// the set's wire form as it is, see [Partial.WriteBinary]). Compared with a map[string]struct{} a value costs no allocation
// of its own and about 24 bytes besides its text, and a lookup touches
// one slot (its hash) before the bytes.
type strSet struct {
	slots []slot // len is a power of two, at most 3/4 full
	arena []byte
	n     int
}

type slot struct {
	h   uint64 // 0: empty
	off uint64
	n   uint32
}

var strSeed = maphash.MakeSeed()

// hashBytes hashes b, never 0 (the empty slot): the top bit is set, the
// low bits, which pick the slot, are the hash's own.
func hashBytes(b []byte) uint64 { return maphash.Bytes(strSeed, b) | 1<<63 }

// Len returns the number of values.
func (s *strSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// find returns the slot index holding b or the empty slot where it goes.
func (s *strSet) find(b []byte, h uint64) (int, bool) {
	mask := len(s.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.h == 0 {
			return i, false
		}
		if sl.h == h && bytes.Equal(s.arena[sl.off:sl.off+uint64(sl.n)], b) {
			return i, true
		}
	}
}

// has reports whether b is in the set.
func (s *strSet) has(b []byte) bool {
	if s.n == 0 {
		return false
	}
	_, ok := s.find(b, hashBytes(b))
	return ok
}

// insert adds b (copied) unless it is there; before adding it asks ok,
// which may refuse with an error (a limit). It reports whether b was added.
func (s *strSet) insert(b []byte, ok func() error) (bool, error) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	h := hashBytes(b)
	i, found := s.find(b, h)
	if found {
		return false, nil
	}
	if err := ok(); err != nil {
		return false, err
	}
	s.put(i, h, b)
	return true, nil
}

// add inserts b (copied), which must not be in the set.
func (s *strSet) add(b []byte) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	h := hashBytes(b)
	i, _ := s.find(b, h)
	s.put(i, h, b)
}

// put stores b in the empty slot i.
func (s *strSet) put(i int, h uint64, b []byte) {
	s.arena = binary.AppendUvarint(s.arena, uint64(len(b)))
	s.slots[i] = slot{h: h, off: uint64(len(s.arena)), n: uint32(len(b))}
	s.arena = append(s.arena, b...)
	s.n++
}

func (s *strSet) grow() {
	old := s.slots
	s.slots = make([]slot, max(16, 2*len(old)))
	mask := len(s.slots) - 1
	for _, sl := range old {
		if sl.h == 0 {
			continue
		}
		i := int(sl.h) & mask
		for s.slots[i].h != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}

// eachBytes calls f with every value's bytes (in the arena: valid while
// the set is not changed), in no particular order.
func (s *strSet) eachBytes(f func([]byte)) {
	if s == nil {
		return
	}
	for _, sl := range s.slots {
		if sl.h != 0 {
			f(s.arena[sl.off : sl.off+uint64(sl.n)])
		}
	}
}

// each calls f with every value (a copy), in no particular order.
func (s *strSet) each(f func(string)) {
	if s == nil {
		return
	}
	for _, sl := range s.slots {
		if sl.h != 0 {
			f(string(s.arena[sl.off : sl.off+uint64(sl.n)]))
		}
	}
}
