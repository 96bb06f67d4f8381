package report

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// idSet is the set of one group's distinct values of one column, as ids
// of the partial's dictionary of that column (a [strSet]). It is a hash
// set of ids while that is smaller (4-byte slots, at most 3/4 full) and
// a bitset over the ids once a bitset is no larger: a group that sees
// much of a column's values, such as a few thousand users in each of a
// few dozen regions, then sets a bit in a table small enough to stay in
// cache. Either form costs at most about 16 bytes per id.
type idSet struct {
	n     int
	tab   []uint32 // hash form: id+1 per slot, 0 empty; len a power of two
	shift uint     // 32 - log2(len(tab))
	bits  []uint64 // bitset form, when non-nil
}

// Len returns the number of ids.
func (s *idSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// slotOf is where id's probe starts in the hash form: the high bits of a
// multiplicative hash, so that ids with a common stride spread too.
func (s *idSet) slotOf(id uint32) int { return int((id * 0x9e3779b1) >> s.shift) }

// touch loads the word or slot id would go to, so that a later add finds
// it in cache (see [distinctQueue]).
func (s *idSet) touch(id uint32) uint32 {
	switch {
	case s.bits != nil:
		if w := int(id >> 6); w < len(s.bits) {
			return uint32(s.bits[w])
		}
	case len(s.tab) > 0:
		return s.tab[s.slotOf(id)]
	}
	return 0
}

// has reports whether id is in the set.
func (s *idSet) has(id uint32) bool {
	if s.bits != nil {
		w := int(id >> 6)
		return w < len(s.bits) && s.bits[w]&(1<<(id&63)) != 0
	}
	if len(s.tab) == 0 {
		return false
	}
	mask := len(s.tab) - 1
	for i := s.slotOf(id); ; i = (i + 1) & mask {
		switch s.tab[i] {
		case 0:
			return false
		case id + 1:
			return true
		}
	}
}

// add adds id unless it is there; before adding it asks ok, which may
// refuse with an error (a limit). It reports whether id was added.
func (s *idSet) add(id uint32, ok func() error) (bool, error) {
	if s.bits != nil {
		w := int(id >> 6)
		if w < len(s.bits) {
			m := uint64(1) << (id & 63)
			if s.bits[w]&m != 0 {
				return false, nil
			}
			if err := ok(); err != nil {
				return false, err
			}
			s.bits[w] |= m
			s.n++
			return true, nil
		}
		if err := ok(); err != nil {
			return false, err
		}
		if w+1 <= s.n+1 {
			// Still at most 64 bits per id: grow the bitset.
			s.bits = append(s.bits, make([]uint64, max(w+1, 2*len(s.bits))-len(s.bits))...)
			s.bits[w] |= 1 << (id & 63)
			s.n++
			return true, nil
		}
		s.toHash(s.n + 1)
		s.put(id)
		return true, nil
	}
	if len(s.tab) > 0 {
		mask := len(s.tab) - 1
		i := s.slotOf(id)
		for ; s.tab[i] != 0; i = (i + 1) & mask {
			if s.tab[i] == id+1 {
				return false, nil
			}
		}
		if err := ok(); err != nil {
			return false, err
		}
		if (s.n+1)*4 <= len(s.tab)*3 {
			s.tab[i] = id + 1
			s.n++
			return true, nil
		}
	} else if err := ok(); err != nil {
		return false, err
	}
	s.grow(id)
	return true, nil
}

// grow makes room for one more id, id, which is not in the set, in the
// smaller form, and adds it.
func (s *idSet) grow(id uint32) {
	slots := max(16, 2*len(s.tab))
	top := id
	for _, v := range s.tab {
		if v != 0 {
			top = max(top, v-1)
		}
	}
	if words := int(top>>6) + 1; words*8 <= slots*4 {
		// A bitset over the ids so far is no larger than the next table.
		b := make([]uint64, words)
		for _, v := range s.tab {
			if v != 0 {
				b[(v-1)>>6] |= 1 << ((v - 1) & 63)
			}
		}
		s.tab, s.bits = nil, b
		s.bits[id>>6] |= 1 << (id & 63)
		s.n++
		return
	}
	s.rehash(slots)
	s.put(id)
}

// toHash turns the bitset form into the hash form, with room for n ids.
func (s *idSet) toHash(n int) {
	old := s.bits
	s.bits = nil
	slots := 16
	for n*4 > slots*3 {
		slots *= 2
	}
	s.setTable(slots)
	for w, x := range old {
		for x != 0 {
			s.insertNew(uint32(w<<6 + bits.TrailingZeros64(x)))
			x &= x - 1
		}
	}
}

// rehash moves the hash form to a table of slots slots.
func (s *idSet) rehash(slots int) {
	old := s.tab
	s.setTable(slots)
	for _, v := range old {
		if v != 0 {
			s.insertNew(v - 1)
		}
	}
}

func (s *idSet) setTable(slots int) {
	s.tab = make([]uint32, slots)
	s.shift = uint(32 - bits.Len(uint(slots-1)))
}

// insertNew stores id, which is not in the table, without counting it.
func (s *idSet) insertNew(id uint32) {
	mask := len(s.tab) - 1
	i := s.slotOf(id)
	for s.tab[i] != 0 {
		i = (i + 1) & mask
	}
	s.tab[i] = id + 1
}

// put adds id, which is not in the table and fits, and counts it.
func (s *idSet) put(id uint32) {
	s.insertNew(id)
	s.n++
}

// The two forms of a group's ids in the wire form (see wireMagic).
const (
	idsListed = 0
	idsBitset = 1
)

// appendWire appends the ids, at least one, in their wire form: a bitset
// when it takes fewer bytes than one per id, else the ascending ids as
// uvarint differences. The form depends on the ids alone, not on how the
// set holds them, so that equal sets are equal bytes.
func (s *idSet) appendWire(b []byte) []byte {
	ids := s.sorted()
	if words := int(ids[len(ids)-1]>>6) + 1; words*8 < len(ids) {
		b = append(b, idsBitset)
		b = binary.AppendUvarint(b, uint64(words))
		start := len(b)
		b = append(b, make([]byte, words*8)...)
		for _, id := range ids {
			b[start+int(id>>6)*8+int(id>>3&7)] |= 1 << (id & 7)
		}
		return b
	}
	b = append(b, idsListed)
	prev := uint32(0)
	for _, id := range ids {
		b = binary.AppendUvarint(b, uint64(id-prev))
		prev = id
	}
	return b
}

// sorted returns the ids in ascending order.
func (s *idSet) sorted() []uint32 {
	if s == nil {
		return nil
	}
	ids := make([]uint32, 0, s.n)
	if s.bits != nil {
		for w, x := range s.bits {
			for x != 0 {
				ids = append(ids, uint32(w<<6+bits.TrailingZeros64(x)))
				x &= x - 1
			}
		}
		return ids
	}
	for _, v := range s.tab {
		if v != 0 {
			ids = append(ids, v-1)
		}
	}
	slices.Sort(ids)
	return ids
}
