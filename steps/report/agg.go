package report

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Ops are the aggregate operators a request may name.
var Ops = map[string]bool{"count": true, "sum": true, "min": true, "max": true, "avg": true, "count_distinct": true}

// Aggregate is one output column: Op over Column ("" for count of rows).
type Aggregate struct {
	Op     string `json:"op"`
	Column string `json:"column,omitempty"`
}

// ErrTooManyGroups is wrapped by the error returned when a partial or a
// merge would hold more groups than the configured limit.
var ErrTooManyGroups = fmt.Errorf("too many groups")

// ErrTooManyDistinct is wrapped by the error returned when the distinct
// values count_distinct keeps (all groups together) pass the limit.
var ErrTooManyDistinct = fmt.Errorf("too many distinct values")

// acc accumulates one aggregate of one group. Empty values are skipped by
// every operator except count of rows (Column == "").
type acc struct {
	n        int64
	sum      num
	min, max num
	has      bool   // min and max hold values
	distinct *idSet // count_distinct: the ids in Partial.dicts of the group's values
}

// Group is one group's keys and accumulators.
type Group struct {
	Keys  []string
	Count int64
	accs  []acc
}

// Partial is the set of groups a part (or the reduce) has seen.
type Partial struct {
	Aggs      []Aggregate
	MaxGroups int
	// MaxDistinct bounds the distinct values kept for count_distinct, all
	// groups and aggregates together (0: no bound).
	MaxDistinct int
	Groups      map[string]*Group
	nDistinct   int
	// dicts holds, by aggregate, the distinct values of a count_distinct
	// aggregate's column over all groups (nil for other aggregates).
	dicts  []*strSet
	keyBuf []byte        // reused by group so a known group costs no allocation
	recent *[1024]*Group // groups by a cheap hash of their keys, before the map
	ops    []op          // Aggs compiled for the per-row loop
	nums   []num         // the row's parsed values, by aggregate
}

// op is an aggregate compiled for addRow: the operator as a small integer
// and, for a number on a column an earlier aggregate already parsed in the
// same row, that aggregate's index (sum, min and max of one column parse
// it once).
type op struct {
	kind   uint8
	num    uint8 // for opNumber: what the aggregate keeps (numSum, numMin, numMax)
	column bool
	reuse  int
}

const (
	opCount = iota
	opDistinct
	opNumber
)

// What a number aggregate keeps per row: sum and avg the count and the
// sum, min and max the count and their extreme (not all three each).
const (
	numSum = iota
	numMin
	numMax
)

func (p *Partial) compile() {
	p.ops = make([]op, len(p.Aggs))
	p.nums = make([]num, len(p.Aggs))
	for i, a := range p.Aggs {
		o := op{kind: opNumber, column: a.Column != "", reuse: -1}
		switch a.Op {
		case "count":
			o.kind = opCount
		case "count_distinct":
			o.kind = opDistinct
		default:
			switch a.Op {
			case "min":
				o.num = numMin
			case "max":
				o.num = numMax
			}
			for j := range i {
				if p.ops[j].kind == opNumber && p.Aggs[j].Column == a.Column {
					o.reuse = j
					break
				}
			}
		}
		p.ops[i] = o
	}
}

// NewPartial returns an empty partial for aggs, bounded by maxGroups.
func NewPartial(aggs []Aggregate, maxGroups int) *Partial {
	return &Partial{Aggs: aggs, MaxGroups: maxGroups, Groups: map[string]*Group{}}
}

// groupKey encodes keys unambiguously (length-prefixed), so keys holding
// any byte, including separators and non-ASCII text, never collide.
func groupKey(keys []string) string { return string(appendGroupKey(nil, keys)) }

func appendGroupKey[T string | []byte](b []byte, keys []T) []byte {
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
	}
	return b
}

// group returns the group of keys, made if new (within MaxGroups). A
// small cache indexed by a cheap hash of the keys answers first: with the
// few groups most reports have, a row then costs no map lookup (whose
// key would have to be encoded and hashed whole).
func group[T string | []byte](p *Partial, keys []T) (*Group, error) {
	h := uint64(len(keys))
	for _, k := range keys {
		h = (h ^ uint64(len(k))) * 0x9e3779b97f4a7c15
		if n := len(k); n > 0 {
			h = (h ^ uint64(k[0]) ^ uint64(k[n/2])<<8 ^ uint64(k[n-1])<<16) * 0x9e3779b97f4a7c15
		}
	}
	if p.recent == nil {
		p.recent = new([1024]*Group)
	}
	slot := &p.recent[h>>54]
	if g := *slot; g != nil && sameKeys(g.Keys, keys) {
		return g, nil
	}
	g, err := lookupGroup(p, keys)
	if err == nil {
		*slot = g
	}
	return g, err
}

func sameKeys[T string | []byte](have []string, keys []T) bool {
	if len(have) != len(keys) {
		return false
	}
	for i, k := range keys {
		if string(k) != have[i] {
			return false
		}
	}
	return true
}

// lookupGroup is group through the map.
func lookupGroup[T string | []byte](p *Partial, keys []T) (*Group, error) {
	p.keyBuf = appendGroupKey(p.keyBuf[:0], keys)
	g := p.Groups[string(p.keyBuf)] // no allocation for the lookup
	if g == nil {
		k := string(p.keyBuf)
		if p.MaxGroups > 0 && len(p.Groups) >= p.MaxGroups {
			return nil, fmt.Errorf("%w: more than max_groups=%d distinct groups; raise max_groups in the request or group by fewer columns", ErrTooManyGroups, p.MaxGroups)
		}
		// Clone: a key may be a slice of a whole record's text, which
		// the group would otherwise keep alive.
		ks := make([]string, len(keys))
		for i, k := range keys {
			ks[i] = strings.Clone(string(k))
		}
		g = &Group{Keys: ks, accs: make([]acc, len(p.Aggs))}
		p.Groups[k] = g
	}
	return g, nil
}

// Add counts one row: keys are its group-by values, vals[i] the value of
// Aggs[i].Column (ignored for count of rows). A non-numeric value for
// sum/min/max/avg is an error naming the column.
func (p *Partial) Add(keys, vals []string) error { return addRow(p, keys, vals, nil) }

// addRow is Add over strings or over bytes: fields in a read buffer
// cost no allocation unless they start a group or a distinct value. With
// a queue q, count_distinct's inserts wait in q for [distinctQueue.flush]
// (the caller flushes before it returns any error, so that errors come in
// row order).
func addRow[T string | []byte](p *Partial, keys, vals []T, q *distinctQueue) error {
	g, err := group(p, keys)
	if err != nil {
		return err
	}
	g.Count++
	if len(p.ops) != len(p.Aggs) {
		p.compile()
	}
	for i := range p.ops {
		o := &p.ops[i]
		if !o.column || len(vals[i]) == 0 {
			continue
		}
		c := &g.accs[i]
		switch o.kind {
		case opCount:
			c.n++
		case opDistinct:
			if c.distinct == nil {
				c.distinct = &idSet{}
			}
			if q != nil {
				enqueue(q, p.dict(i), c.distinct, vals[i])
				continue
			}
			// A no-op conversion for bytes, a copy for strings (the
			// reader paths that are not the hot one).
			if err := p.addDistinct(i, c, []byte(vals[i])); err != nil {
				return err
			}
		default:
			if o.reuse >= 0 {
				p.nums[i] = p.nums[o.reuse]
			} else {
				d, err := parseNum(vals[i])
				if err != nil {
					return fmt.Errorf("column %q (%s): %w", p.Aggs[i].Column, p.Aggs[i].Op, err)
				}
				p.nums[i] = d
			}
			c.addNumber(p.nums[i], o.num)
		}
	}
	return nil
}

// dict returns the dictionary of aggregate i's column, made if new.
func (p *Partial) dict(i int) *strSet {
	if len(p.dicts) != len(p.Aggs) {
		p.dicts = make([]*strSet, len(p.Aggs))
	}
	d := p.dicts[i]
	if d == nil {
		d = &strSet{}
		p.dicts[i] = d
	}
	return d
}

// addDistinct adds value v of aggregate i's column to the group
// accumulator c.
func (p *Partial) addDistinct(i int, c *acc, v []byte) error {
	id, err := p.dict(i).insert(v)
	if err != nil {
		return err
	}
	if c.distinct == nil {
		c.distinct = &idSet{}
	}
	_, err = c.distinct.add(id, p.newDistinct)
	return err
}

// distinctQueue holds count_distinct inserts of the last rows so that
// [distinctQueue.flush] can load the slots they probe, cache misses when
// the dictionaries or the groups' sets are large, before it inserts any:
// the loads then overlap instead of stalling one insert each.
type distinctQueue struct {
	e    []queued
	buf  []byte // the values, copied: the rows' fields do not outlive the row
	line int64  // the current row's line and number, for errors
	row  int64
	sink uint32 // keeps the early loads
}

type queued struct {
	d         *strSet
	s         *idSet
	h, id     uint32
	off, n    uint32 // the value in buf
	line, row int64
}

// queueLen is the number of inserts flushed at once: enough for the
// loads in flight to fill the core's miss handling, few enough that the
// probed slots stay in cache until the insert.
const queueLen = 64

func enqueue[T string | []byte](q *distinctQueue, d *strSet, s *idSet, v T) {
	q.e = append(q.e, queued{d: d, s: s, off: uint32(len(q.buf)), n: uint32(len(v)), line: q.line, row: q.row})
	q.buf = append(q.buf, v...)
}

// full reports whether the queue should be flushed.
func (q *distinctQueue) full() bool { return len(q.e) >= queueLen }

// flush inserts the queued values in order and empties the queue; at the
// first insert that fails, it returns the line and row number of the row
// the value came from (the rest is dropped: the part fails).
func (q *distinctQueue) flush(p *Partial) (line, row int64, err error) {
	defer func() { q.e, q.buf = q.e[:0], q.buf[:0] }()
	for i := range q.e {
		e := &q.e[i]
		e.h = hashBytes(q.buf[e.off : e.off+e.n])
		q.sink ^= e.d.touch(e.h)
	}
	// The values' ids, then the groups' sets: a failing insert of a value
	// into the dictionary (4 GiB) or of an id into a set (the limit)
	// stops the flush at its row either way.
	for i := range q.e {
		e := &q.e[i]
		id, err := e.d.insertHashed(q.buf[e.off:e.off+e.n], e.h)
		if err != nil {
			return e.line, e.row, err
		}
		e.id = id
		q.sink ^= e.s.touch(id)
	}
	for i := range q.e {
		e := &q.e[i]
		if _, err := e.s.add(e.id, p.newDistinct); err != nil {
			return e.line, e.row, err
		}
	}
	return 0, 0, nil
}

// newDistinct counts one more distinct value against MaxDistinct.
func (p *Partial) newDistinct() error {
	if p.MaxDistinct > 0 && p.nDistinct >= p.MaxDistinct {
		return fmt.Errorf("%w: more than max_distinct=%d distinct values kept for count_distinct (all groups together); raise max_distinct in the request or count fewer distinct columns", ErrTooManyDistinct, p.MaxDistinct)
	}
	p.nDistinct++
	return nil
}

// addNumber counts d into c and keeps what the aggregate needs: the sum,
// or the first smallest or largest value (the fields an aggregate does not
// read stay zero, and merging them is harmless).
func (c *acc) addNumber(d num, what uint8) {
	c.n++
	first := !c.has
	c.has = true
	switch what {
	case numMin:
		if first || d.cmp(c.min) < 0 {
			c.min = d
		}
	case numMax:
		if first || d.cmp(c.max) > 0 {
			c.max = d
		}
	default:
		c.sum.add(d)
	}
}

// Merge adds q's groups into p; the limit applies to the merged set.
func (p *Partial) Merge(q *Partial) error {
	// ids maps, by aggregate, q's value ids to p's: each value is looked
	// up once, not once per group holding it.
	ids := make([][]uint32, len(q.dicts))
	for i, d := range q.dicts {
		for id := range uint32(d.Len()) {
			pid, err := p.dict(i).insert(d.value(id))
			if err != nil {
				return err
			}
			ids[i] = append(ids[i], pid)
		}
	}
	for _, qg := range q.Groups {
		g, err := group(p, qg.Keys)
		if err != nil {
			return err
		}
		g.Count += qg.Count
		for i := range g.accs {
			c, o := &g.accs[i], &qg.accs[i]
			c.merge(o)
			if o.distinct.Len() > 0 && c.distinct == nil {
				c.distinct = &idSet{}
			}
			for _, id := range o.distinct.sorted() {
				if _, err := c.distinct.add(ids[i][id], p.newDistinct); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// merge folds o's counts, sum and extremes into c.
func (c *acc) merge(o *acc) {
	c.n += o.n
	c.sum.add(o.sum)
	if !o.has {
		return
	}
	if !c.has || o.min.cmp(c.min) < 0 {
		c.min = o.min
	}
	if !c.has || o.max.cmp(c.max) > 0 {
		c.max = o.max
	}
	c.has = true
}

// Value renders aggregate i of g: count as an integer, sum/min/max as
// exact decimals, avg rounded half away from zero to the sum's scale + 4
// digits; "" when the group had no non-empty value of the column.
func (g *Group) Value(aggs []Aggregate, i int) string {
	a, c := aggs[i], &g.accs[i]
	switch a.Op {
	case "count":
		if a.Column == "" {
			return strconv.FormatInt(g.Count, 10)
		}
		return strconv.FormatInt(c.n, 10)
	case "count_distinct":
		return strconv.Itoa(c.distinct.Len())
	}
	if !c.has {
		return ""
	}
	switch a.Op {
	case "sum":
		return c.sum.String()
	case "min":
		return c.min.String()
	case "max":
		return c.max.String()
	default: // avg
		sum := c.sum.decimal()
		q := sum.Quo(c.n, c.sum.scale+4)
		return q.String()
	}
}
