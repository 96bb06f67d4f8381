package report

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"math"
)

// strSet is the set of distinct values of one count_distinct accumulator:
// open addressing over a slot array, the values appended to one arena in
// insertion order, each after its length as a uvarint (so the arena is
// the set's wire form as it is, see [Partial.WriteBinary]).
//
// A slot is 16 bytes: 32 bits of the value's hash, its arena offset and a
// word holding a value of up to 7 bytes whole (with its length) or the
// first 7 bytes of a longer one. A part holds a set per group, and the
// per-row lookup is bound by cache misses: a short value (an id, a code)
// is found with one slot load and no arena access, a longer one reads
// the arena only when hash and prefix match.
type strSet struct {
	slots []slot // len is a power of two, at most 3/4 full
	arena []byte
	n     int
}

type slot struct {
	h   uint32 // 0: empty
	off uint32 // of the value's length prefix in the arena
	w   uint64 // see word
}

// word packs up to 7 bytes of b and its length (0xff: 8 or more) into a
// uint64: equal words mean equal values for values of up to 7 bytes.
func word[T string | []byte](b T) uint64 {
	n := min(len(b), 7)
	var w uint64
	for i := 0; i < n; i++ {
		w |= uint64(b[i]) << (8 * i)
	}
	if len(b) > 7 {
		return w | 0xff<<56
	}
	return w | uint64(len(b))<<56
}

var strSeed = maphash.MakeSeed()

// hashBytes hashes b to 32 bits, never 0 (the empty slot): the top bit is
// set, the low bits, which pick the slot, are the hash's own.
func hashBytes(b []byte) uint32 { return uint32(maphash.Bytes(strSeed, b)) | 1<<31 }

// errArenaFull refuses a value past the 4 GiB a set's arena may hold.
var errArenaFull = errors.New("count_distinct: the distinct values of one group exceed 4 GiB")

// Len returns the number of values.
func (s *strSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// value returns the value whose length prefix is at off.
func (s *strSet) value(off uint32) []byte {
	n, k := binary.Uvarint(s.arena[off:])
	start := uint64(off) + uint64(k)
	return s.arena[start : start+n]
}

// find returns the slot index holding b or the empty slot where it goes.
func (s *strSet) find(b []byte, h uint32) (int, bool) {
	mask := len(s.slots) - 1
	w := word(b)
	for i := int(h) & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.h == 0 {
			return i, false
		}
		if sl.h == h && sl.w == w && (len(b) <= 7 || bytes.Equal(s.value(sl.off), b)) {
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
	return s.insertHashed(b, hashBytes(b), ok)
}

// insertHashed is insert with b's hash already computed.
func (s *strSet) insertHashed(b []byte, h uint32, ok func() error) (bool, error) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	i, found := s.find(b, h)
	if found {
		return false, nil
	}
	if err := ok(); err != nil {
		return false, err
	}
	return true, s.put(i, h, b)
}

// add inserts b (copied), which must not be in the set.
func (s *strSet) add(b []byte) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	h := hashBytes(b)
	i, _ := s.find(b, h)
	if err := s.put(i, h, b); err != nil {
		panic(err)
	}
}

// put stores b in the empty slot i.
func (s *strSet) put(i int, h uint32, b []byte) error {
	if len(s.arena)+len(b)+binary.MaxVarintLen64 > math.MaxUint32 {
		return errArenaFull
	}
	s.slots[i] = slot{h: h, off: uint32(len(s.arena)), w: word(b)}
	s.arena = binary.AppendUvarint(s.arena, uint64(len(b)))
	s.arena = append(s.arena, b...)
	s.n++
	return nil
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
// the set is not changed), in insertion order.
func (s *strSet) eachBytes(f func([]byte)) {
	if s == nil {
		return
	}
	for p := 0; p < len(s.arena); {
		n, k := binary.Uvarint(s.arena[p:])
		f(s.arena[p+k : p+k+int(n)])
		p += k + int(n)
	}
}

// each calls f with every value (a copy), in insertion order.
func (s *strSet) each(f func(string)) {
	s.eachBytes(func(b []byte) { f(string(b)) })
}
