package report

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNumMatchesDecimal checks the int64 fast path against Decimal on
// values of every length up to 25 digits (crossing the int64 limit both
// by a long value and by a sum that overflows) and every scale up to 20.
func TestNumMatchesDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gen := func() string {
		n := 1 + rng.IntN(25)
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteByte('-')
		}
		point := -1
		if rng.IntN(3) != 0 {
			point = rng.IntN(n + 1)
		}
		for i := range n {
			if i == point {
				b.WriteByte('.')
			}
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		return b.String()
	}
	for round := range 2000 {
		var sum num
		var want Decimal
		var prev num
		var prevD Decimal
		for i := range 1 + rng.IntN(20) {
			s := gen()
			if round%3 == 0 {
				s = fmt.Sprint(int64(1<<62) + rng.Int64N(1<<62)) // sums overflow int64
			}
			x, err := parseNum(s)
			if err != nil {
				t.Fatalf("parseNum(%q): %v", s, err)
			}
			d, _ := ParseDecimal(s)
			if x.String() != d.String() {
				t.Fatalf("parseNum(%q) = %s, want %s", s, x.String(), d.String())
			}
			if i > 0 && x.cmp(prev) != d.Cmp(&prevD) {
				t.Fatalf("cmp(%s, %s) = %d, want %d", x.String(), prev.String(), x.cmp(prev), d.Cmp(&prevD))
			}
			prev, prevD = x, d
			sum.add(x)
			want.Add(d)
		}
		if sum.String() != want.String() {
			t.Fatalf("round %d: sum %s, want %s", round, sum.String(), want.String())
		}
	}
	for _, s := range []string{"", "-", ".", "+", "1e5", " 1", "1.2.3", "12a", "NaN"} {
		_, err := parseNum(s)
		_, derr := ParseDecimal(s)
		if (err == nil) != (derr == nil) {
			t.Errorf("parseNum(%q) err %v, ParseDecimal err %v", s, err, derr)
		}
	}
}
