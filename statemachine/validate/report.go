package validate

import "sort"

// locate gives each diagnostic of a report the line and column of the
// value its pointer names (or of the nearest enclosing one), and sorts the
// diagnostics by pointer; diagnostics at the same pointer keep the order
// in which they were found.
func (c *checker) locate(pos *positions) {
	if len(c.opts.Source) > 0 {
		src := &positions{data: c.opts.Source, at: map[string]int{}}
		if _, err := decode(c.opts.Source, src); err == nil {
			pos = src
		}
	}
	for i := range c.diags {
		d := &c.diags[i]
		if d.Location == "" {
			continue
		}
		p := d.Location
		if p == "/" {
			p = ""
		}
		for {
			if off, ok := pos.at[p]; ok {
				d.Line, d.Column = textPosition(pos.data, off)
				break
			}
			if p == "" {
				break
			}
			p = p[:max(0, lastSlash(p))]
		}
	}
	sort.SliceStable(c.diags, func(i, j int) bool {
		return comparePointers(c.diags[i].Location, c.diags[j].Location) < 0
	})
}

func lastSlash(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return -1
}
