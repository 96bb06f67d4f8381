package report

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
)

// The wire form of a partial, written by a part step to S3 and merged by
// the reduce step as a stream: no JSON, no sorting of distinct values.
//
//	"SWRPART2"
//	meta:    uvarint length + bytes (the caller's, opaque here)
//	aggs:    uvarint n, then n × (string op, string column)
//	values:  per aggregate, uvarint v, then its column's v distinct values
//	         as strings (v is 0 but for count_distinct): a value's index
//	         is its id below
//	groups:  uvarint n, then per group (ordered by keys):
//	         uvarint k, k × string key, uvarint count,
//	         per aggregate: uvarint n, byte has, [string sum, min, max if has],
//	         uvarint d, and when d > 0 the ids of the group's d distinct
//	         values: byte 0 and d × uvarint, the first id and then the
//	         differences (ascending), or byte 1, uvarint w and w × 8 bytes,
//	         a bitset of the ids (little-endian words)
//
// A string is a uvarint length and the bytes. The values are in the order
// the part first saw them (in any group): their dictionary's arena as it
// is. A value is written once however many groups hold it, and the reduce
// looks it up once per part. Same input, same bytes.
const wireMagic = "SWRPART2"

// SortedGroups returns p's groups ordered by their keys.
func (p *Partial) SortedGroups() []*Group {
	gs := make([]*Group, 0, len(p.Groups))
	for _, g := range p.Groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *Group) int { return slices.Compare(a.Keys, b.Keys) })
	return gs
}

// WriteBinary writes meta and p in the wire form.
func (p *Partial) WriteBinary(w io.Writer, meta []byte) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	b = append(b, wireMagic...)
	b = appendString(b, meta)
	b = binary.AppendUvarint(b, uint64(len(p.Aggs)))
	for _, a := range p.Aggs {
		b = appendString(b, []byte(a.Op))
		b = appendString(b, []byte(a.Column))
	}
	for i := range p.Aggs {
		var d *strSet
		if i < len(p.dicts) {
			d = p.dicts[i]
		}
		b = binary.AppendUvarint(b, uint64(d.Len()))
		if d.Len() > 0 {
			if _, err := bw.Write(b); err != nil {
				return err
			}
			b = b[:0]
			if _, err := bw.Write(d.arena); err != nil {
				return err
			}
		}
	}
	b = binary.AppendUvarint(b, uint64(len(p.Groups)))
	for _, g := range p.SortedGroups() {
		b = binary.AppendUvarint(b, uint64(len(g.Keys)))
		for _, k := range g.Keys {
			b = appendString(b, []byte(k))
		}
		b = binary.AppendUvarint(b, uint64(g.Count))
		for i := range g.accs {
			c := &g.accs[i]
			b = binary.AppendUvarint(b, uint64(c.n))
			if c.has {
				b = append(b, 1)
				b = appendString(b, []byte(c.sum.String()))
				b = appendString(b, []byte(c.min.String()))
				b = appendString(b, []byte(c.max.String()))
			} else {
				b = append(b, 0)
			}
			b = binary.AppendUvarint(b, uint64(c.distinct.Len()))
			if c.distinct.Len() > 0 {
				b = c.distinct.appendWire(b)
			}
			if len(b) >= 32<<10 {
				if _, err := bw.Write(b); err != nil {
					return err
				}
				b = b[:0]
			}
		}
	}
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

func appendString(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// ErrBadPartial is wrapped by the errors of a malformed wire partial.
var ErrBadPartial = errors.New("malformed partial")

// maxWireString bounds one string of a wire partial (a key, a value).
const maxWireString = 64 << 20

// wireReader decodes the wire form; the first error sticks.
type wireReader struct {
	r   *bufio.Reader
	err error
	buf []byte
}

func (wr *wireReader) fail(what string, err error) {
	if wr.err == nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		wr.err = fmt.Errorf("%w: %s: %v", ErrBadPartial, what, err)
	}
}

func (wr *wireReader) uvarint(what string) uint64 {
	if wr.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(wr.r)
	if err != nil {
		wr.fail(what, err)
	}
	return v
}

// bytes reads a string into a buffer reused by the next call.
func (wr *wireReader) bytes(what string) []byte {
	n := wr.uvarint(what)
	if wr.err != nil {
		return nil
	}
	if n > maxWireString {
		wr.fail(what, fmt.Errorf("length %d", n))
		return nil
	}
	if uint64(cap(wr.buf)) < n {
		wr.buf = make([]byte, n)
	}
	wr.buf = wr.buf[:n]
	if _, err := io.ReadFull(wr.r, wr.buf); err != nil {
		wr.fail(what, err)
		return nil
	}
	return wr.buf
}

// ReadPartialMeta reads the magic and the meta bytes at the start of a
// wire partial; r is then at the aggregates, for [Partial.MergeBinary].
func ReadPartialMeta(r *bufio.Reader) ([]byte, error) {
	magic := make([]byte, len(wireMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != wireMagic {
		if strings.HasPrefix(string(magic), "SWRPART") {
			return nil, fmt.Errorf("%w: version %q, this reduce reads %q: the parts ran another build of the steps than the reduce; run the report again", ErrBadPartial, magic, wireMagic)
		}
		return nil, fmt.Errorf("%w: not a partial (no %q at the start)", ErrBadPartial, wireMagic)
	}
	wr := &wireReader{r: r}
	meta := wr.bytes("meta")
	return meta, wr.err
}

// MergeBinary merges the wire partial read from r (after its meta) into
// p, group by group, as [Partial.Merge] does, with p's limits.
func (p *Partial) MergeBinary(r *bufio.Reader) error {
	wr := &wireReader{r: r}
	n := wr.uvarint("aggregate count")
	if wr.err == nil && n != uint64(len(p.Aggs)) {
		return fmt.Errorf("%w: %d aggregates, want %d", ErrBadPartial, n, len(p.Aggs))
	}
	for i := 0; i < int(n) && wr.err == nil; i++ {
		op := string(wr.bytes("op"))
		col := string(wr.bytes("column"))
		if wr.err == nil && (op != p.Aggs[i].Op || col != p.Aggs[i].Column) {
			return fmt.Errorf("%w: aggregate %d is %s(%s), want %s(%s)", ErrBadPartial, i, op, col, p.Aggs[i].Op, p.Aggs[i].Column)
		}
	}
	// ids maps, by aggregate, the partial's value ids to p's.
	ids := make([][]uint32, len(p.Aggs))
	for i := range p.Aggs {
		v := wr.uvarint("value count")
		if wr.err == nil && v > 0 && p.Aggs[i].Op != "count_distinct" {
			return fmt.Errorf("%w: aggregate %d (%s) has %d distinct values", ErrBadPartial, i, p.Aggs[i].Op, v)
		}
		for j := uint64(0); j < v && wr.err == nil; j++ {
			b := wr.bytes("distinct value")
			if wr.err != nil {
				break
			}
			id, err := p.dict(i).insert(b)
			if err != nil {
				return err
			}
			ids[i] = append(ids[i], id)
		}
	}
	groups := wr.uvarint("group count")
	var keys []string
	for gi := uint64(0); gi < groups && wr.err == nil; gi++ {
		nk := wr.uvarint("key count")
		if nk > 1<<10 {
			wr.fail("key count", fmt.Errorf("%d", nk))
		}
		keys = keys[:0]
		for range nk {
			keys = append(keys, string(wr.bytes("key")))
		}
		if wr.err != nil {
			break
		}
		g, err := group(p, keys)
		if err != nil {
			return err
		}
		g.Count += int64(wr.uvarint("count"))
		for i := range g.accs {
			if err := p.mergeAcc(wr, ids[i], &g.accs[i], fmt.Sprintf("group [%s] aggregate %d", strings.Join(keys, ", "), i)); err != nil {
				return err
			}
		}
	}
	return wr.err
}

// mergeAcc merges one wire accumulator into c.
func (p *Partial) mergeAcc(wr *wireReader, ids []uint32, c *acc, where string) error {
	var o acc
	o.n = int64(wr.uvarint("n"))
	has, err := wr.r.ReadByte()
	if wr.err == nil && err != nil {
		wr.fail(where, err)
	}
	if wr.err == nil && has == 1 {
		for _, f := range []struct {
			name string
			to   *num
		}{{"sum", &o.sum}, {"min", &o.min}, {"max", &o.max}} {
			b := wr.bytes(f.name)
			if wr.err != nil {
				break
			}
			v, err := parseNum(string(b))
			if err != nil {
				wr.fail(where+" "+f.name, err)
				break
			}
			*f.to = v
		}
		o.has = true
	}
	if wr.err != nil {
		return wr.err
	}
	c.merge(&o)
	d := wr.uvarint("distinct count")
	if wr.err != nil || d == 0 {
		return wr.err
	}
	if d > uint64(len(ids)) {
		wr.fail(where, fmt.Errorf("%d distinct values of %d", d, len(ids)))
		return wr.err
	}
	if c.distinct == nil {
		c.distinct = &idSet{}
	}
	add := func(j uint64) error {
		if j >= uint64(len(ids)) {
			wr.fail(where, fmt.Errorf("distinct value id %d of %d", j, len(ids)))
			return wr.err
		}
		_, err := c.distinct.add(ids[j], p.newDistinct)
		return err
	}
	form, err := wr.r.ReadByte()
	if err != nil {
		wr.fail(where+" ids", err)
		return wr.err
	}
	switch form {
	case idsListed:
		var id uint64
		for k := range d {
			delta := wr.uvarint("distinct value id")
			if wr.err != nil {
				return wr.err
			}
			if k > 0 && delta == 0 {
				wr.fail(where, errors.New("distinct value ids not ascending"))
				return wr.err
			}
			id += delta
			if err := add(id); err != nil {
				return err
			}
		}
	case idsBitset:
		w := wr.uvarint("bitset words")
		if wr.err == nil && w > (uint64(len(ids))+63)/64 {
			wr.fail(where, fmt.Errorf("bitset of %d words for %d values", w, len(ids)))
		}
		var word [8]byte
		var n uint64
		for k := uint64(0); k < w && wr.err == nil; k++ {
			if _, err := io.ReadFull(wr.r, word[:]); err != nil {
				wr.fail(where+" bitset", err)
				break
			}
			for x := binary.LittleEndian.Uint64(word[:]); x != 0; x &= x - 1 {
				n++
				if err := add(k<<6 + uint64(bits.TrailingZeros64(x))); err != nil {
					return err
				}
			}
		}
		if wr.err == nil && n != d {
			wr.fail(where, fmt.Errorf("bitset holds %d ids, the count says %d", n, d))
		}
	default:
		wr.fail(where, fmt.Errorf("ids form %d", form))
	}
	return wr.err
}
