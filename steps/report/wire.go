package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The wire form of a Partial, written by a part step to S3 and read by the
// reduce step. Decimals travel as strings so nothing is lost; groups and
// distinct values are sorted so the same input gives the same bytes.
type wirePartial struct {
	Aggs        []Aggregate `json:"aggs"`
	MaxGroups   int         `json:"max_groups"`
	MaxDistinct int         `json:"max_distinct,omitempty"`
	Groups      []wireGroup `json:"groups"`
}

type wireGroup struct {
	Keys  []string  `json:"keys"`
	Count int64     `json:"count"`
	Accs  []wireAcc `json:"accs"`
}

type wireAcc struct {
	N        int64    `json:"n,omitempty"`
	Sum      string   `json:"sum,omitempty"`
	Min      string   `json:"min,omitempty"`
	Max      string   `json:"max,omitempty"`
	Distinct []string `json:"distinct,omitempty"`
}

// SortedGroups returns p's groups ordered by their keys.
func (p *Partial) SortedGroups() []*Group {
	gs := make([]*Group, 0, len(p.Groups))
	for _, g := range p.Groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *Group) int { return slices.Compare(a.Keys, b.Keys) })
	return gs
}

// MarshalJSON encodes p deterministically.
func (p *Partial) MarshalJSON() ([]byte, error) {
	w := wirePartial{Aggs: p.Aggs, MaxGroups: p.MaxGroups, MaxDistinct: p.MaxDistinct, Groups: []wireGroup{}}
	for _, g := range p.SortedGroups() {
		wg := wireGroup{Keys: g.Keys, Count: g.Count, Accs: make([]wireAcc, len(g.accs))}
		for i := range g.accs {
			c, wa := &g.accs[i], &wg.Accs[i]
			wa.N = c.n
			if c.has {
				wa.Sum, wa.Min, wa.Max = c.sum.String(), c.min.String(), c.max.String()
			}
			c.distinct.each(func(v string) { wa.Distinct = append(wa.Distinct, v) })
			slices.Sort(wa.Distinct)
		}
		w.Groups = append(w.Groups, wg)
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a partial written by MarshalJSON; a malformed one
// is an error naming the JSON pointer of the bad field.
func (p *Partial) UnmarshalJSON(data []byte) error {
	var w wirePartial
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*p = *NewPartial(w.Aggs, w.MaxGroups)
	p.MaxDistinct = w.MaxDistinct
	for gi, wg := range w.Groups {
		if len(wg.Accs) != len(w.Aggs) {
			return fmt.Errorf("/groups/%d/accs: %d accumulators, want %d (one per aggregate)", gi, len(wg.Accs), len(w.Aggs))
		}
		g := &Group{Keys: wg.Keys, Count: wg.Count, accs: make([]acc, len(wg.Accs))}
		for i, wa := range wg.Accs {
			c := &g.accs[i]
			c.n = wa.N
			if wa.Min != "" {
				var err error
				ptr := fmt.Sprintf("/groups/%d/accs/%d", gi, i)
				if c.sum, err = parseNum(wa.Sum); err != nil {
					return fmt.Errorf("%s/sum: %w", ptr, err)
				}
				if c.min, err = parseNum(wa.Min); err != nil {
					return fmt.Errorf("%s/min: %w", ptr, err)
				}
				if c.max, err = parseNum(wa.Max); err != nil {
					return fmt.Errorf("%s/max: %w", ptr, err)
				}
				c.has = true
			}
			if len(wa.Distinct) > 0 {
				c.distinct = &strSet{}
				for _, v := range wa.Distinct {
					if b := []byte(v); !c.distinct.has(b) {
						c.distinct.add(b)
					}
				}
				p.nDistinct += c.distinct.Len()
			}
		}
		k := groupKey(g.Keys)
		if _, dup := p.Groups[k]; dup {
			return fmt.Errorf("/groups/%d/keys: group [%s] appears twice", gi, strings.Join(g.Keys, ", "))
		}
		p.Groups[k] = g
	}
	return nil
}
