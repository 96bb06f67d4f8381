package report

import "math/big"

// num is the accumulators' exact decimal: small × 10^-scale while the value
// fits in an int64, big × 10^-scale once it does not. The int64 path costs
// no allocation, which is what makes a part step fast; results are the same
// as [Decimal]'s.
type num struct {
	small int64
	big   *big.Int // nil while small holds the value
	scale int
}

// pow10[i] is 10^i; 10^18 is the largest power of ten in an int64.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// parseNum parses s as [ParseDecimal] does: plain decimals of up to 18
// digits without a byte to trim take the int64 path; everything else
// (longer numbers, surrounding spaces, errors) goes through ParseDecimal.
func parseNum[T string | []byte](s T) (num, error) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		i = 1
	}
	var v int64
	digits, scale, point := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			v = v*10 + int64(c-'0')
			if point {
				scale++
			}
		case c == '.' && !point:
			point = true
		default:
			digits = 100 // not plain: let ParseDecimal decide
		}
		if digits > 18 {
			break
		}
	}
	if digits == 0 || digits > 18 {
		d, err := ParseDecimal(string(s))
		if err != nil {
			return num{}, err
		}
		return fromDecimal(&d), nil
	}
	if neg {
		v = -v
	}
	return num{small: v, scale: scale}, nil
}

// fromDecimal converts a Decimal, taking the int64 path when it fits.
func fromDecimal(d *Decimal) num {
	if d.Unscaled.IsInt64() {
		return num{small: d.Unscaled.Int64(), scale: d.Scale}
	}
	return num{big: new(big.Int).Set(&d.Unscaled), scale: d.Scale}
}

// decimal converts n to a Decimal.
func (n num) decimal() Decimal {
	var d Decimal
	d.Scale = n.scale
	if n.big != nil {
		d.Unscaled.Set(n.big)
	} else {
		d.Unscaled.SetInt64(n.small)
	}
	return d
}

// String renders n with exactly scale fraction digits.
func (n num) String() string {
	d := n.decimal()
	return d.String()
}

// at returns n's unscaled value at scale s >= n.scale as an int64, false
// when it does not fit.
func (n num) at(s int) (int64, bool) {
	if n.big != nil {
		return 0, false
	}
	d := s - n.scale
	if d == 0 {
		return n.small, true
	}
	if d >= len(pow10) {
		return 0, false
	}
	p := pow10[d]
	if n.small > (1<<63-1)/p || n.small < -(1<<63-1)/p {
		return 0, false
	}
	return n.small * p, true
}

// bigAt returns n's unscaled value at scale s >= n.scale as a new big.Int.
func (n num) bigAt(s int) *big.Int {
	v := new(big.Int)
	if n.big != nil {
		v.Set(n.big)
	} else {
		v.SetInt64(n.small)
	}
	if s > n.scale {
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s-n.scale)), nil))
	}
	return v
}

// add sets n to n + x exactly, at the larger scale of the two.
func (n *num) add(x num) {
	s := max(n.scale, x.scale)
	a, ok1 := n.at(s)
	b, ok2 := x.at(s)
	if ok1 && ok2 {
		c := a + b
		if (a >= 0) != (b >= 0) || (c >= 0) == (a >= 0) {
			n.small, n.scale = c, s
			return
		}
	}
	sum := n.bigAt(s)
	sum.Add(sum, x.bigAt(s))
	n.big, n.small, n.scale = sum, 0, s
}

// cmp compares n and x: -1, 0 or +1.
func (n num) cmp(x num) int {
	s := max(n.scale, x.scale)
	a, ok1 := n.at(s)
	b, ok2 := x.at(s)
	if ok1 && ok2 {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	return n.bigAt(s).Cmp(x.bigAt(s))
}
