package report

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"math"
)

// strSet is a dictionary of distinct values: open addressing over a slot
// array, the values appended to one arena in insertion order, each after
// its length as a uvarint (so an entry of the arena is a string of the
// wire form as it is, see [Partial.WriteBinary]). A value's id is its
// index in insertion order.
//
// A partial keeps one per count_distinct aggregate, holding the column's
// values over all groups; a group keeps only the ids of the values it saw
// (an [idSet]). The per-row lookup is bound by cache misses: a short value
// (an id, a code) is found with one slot load and no arena access, a
// longer one reads the arena only when hash and prefix match.
//
// A slot is 16 bytes: 32 bits of the value's hash, its id and a word
// holding a value of up to 7 bytes whole (with its length) or the first 7
// bytes of a longer one.
type strSet struct {
	slots []slot // len is a power of two, at most 3/4 full
	arena []byte
	offs  []uint32 // by id: the offset of the value's length prefix in arena
	n     int
}

type slot struct {
	h  uint32 // 0: empty
	id uint32
	w  uint64 // see word
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
var errArenaFull = errors.New("count_distinct: the distinct values of one column exceed 4 GiB")

// Len returns the number of values.
func (s *strSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// value returns the value of id.
func (s *strSet) value(id uint32) []byte {
	off := s.offs[id]
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
		if sl.h == h && sl.w == w && (len(b) <= 7 || bytes.Equal(s.value(sl.id), b)) {
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

// insert returns the id of b, adding b (copied) unless it is there.
func (s *strSet) insert(b []byte) (uint32, error) {
	return s.insertHashed(b, hashBytes(b))
}

// insertHashed is insert with b's hash already computed.
func (s *strSet) insertHashed(b []byte, h uint32) (uint32, error) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	i, found := s.find(b, h)
	if found {
		return s.slots[i].id, nil
	}
	return s.put(i, h, b)
}

// touch loads the slot b's hash h picks first, so that a later
// insertHashed finds it in cache (see [distinctQueue]).
func (s *strSet) touch(h uint32) uint32 {
	if len(s.slots) == 0 {
		return 0
	}
	return s.slots[int(h)&(len(s.slots)-1)].h
}

// add inserts b (copied), which must not be in the set.
func (s *strSet) add(b []byte) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	h := hashBytes(b)
	i, _ := s.find(b, h)
	if _, err := s.put(i, h, b); err != nil {
		panic(err)
	}
}

// put stores b in the empty slot i and returns its id.
func (s *strSet) put(i int, h uint32, b []byte) (uint32, error) {
	if len(s.arena)+len(b)+binary.MaxVarintLen64 > math.MaxUint32 {
		return 0, errArenaFull
	}
	id := uint32(s.n)
	s.slots[i] = slot{h: h, id: id, w: word(b)}
	s.offs = append(s.offs, uint32(len(s.arena)))
	s.arena = binary.AppendUvarint(s.arena, uint64(len(b)))
	s.arena = append(s.arena, b...)
	s.n++
	return id, nil
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
