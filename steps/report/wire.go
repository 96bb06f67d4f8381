package report

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The wire form of a partial, written by a part step to S3 and merged by
// the reduce step as a stream: no JSON, no sorting of distinct values.
//
//	"SWRPART1"
//	meta:    uvarint length + bytes (the caller's, opaque here)
//	aggs:    uvarint n, then n × (string op, string column)
//	groups:  uvarint n, then per group (ordered by keys):
//	         uvarint k, k × string key, uvarint count,
//	         per aggregate: uvarint n, byte has, [string sum, min, max if has],
//	         uvarint d, then the d distinct values as strings
//
// A string is a uvarint length and the bytes. The distinct values are in
// the order the part first saw them (in any group): their dictionary's
// entries as they are. Same input, same bytes.
const wireMagic = "SWRPART1"

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
			for _, id := range c.distinct.sorted() {
				b = append(b, p.dicts[i].entry(id)...)
				if len(b) >= 32<<10 {
					if _, err := bw.Write(b); err != nil {
						return err
					}
					b = b[:0]
				}
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
			if err := p.mergeAcc(wr, i, &g.accs[i], fmt.Sprintf("group [%s] aggregate %d", strings.Join(keys, ", "), i)); err != nil {
				return err
			}
		}
	}
	return wr.err
}

// mergeAcc merges one wire accumulator into c.
func (p *Partial) mergeAcc(wr *wireReader, i int, c *acc, where string) error {
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
	for range d {
		b := wr.bytes("distinct value")
		if wr.err != nil {
			return wr.err
		}
		if err := p.addDistinct(i, c, b); err != nil {
			return err
		}
	}
	return wr.err
}
