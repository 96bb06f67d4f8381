package report

import (
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact decimal number: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled big.Int
	Scale    int
}

// ParseDecimal parses a plain decimal ("-12", "3.50", "+.5"). Exponents,
// NaN and infinities are rejected with an error naming the text.
func ParseDecimal(s string) (Decimal, error) {
	var d Decimal
	t := strings.TrimSpace(s)
	if t == "" {
		return d, fmt.Errorf("%q is not a number: empty", s)
	}
	digits := t
	neg := false
	if digits[0] == '+' || digits[0] == '-' {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	intPart, frac, _ := strings.Cut(digits, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return d, fmt.Errorf("%q is not a plain decimal number (digits with an optional sign and point)", s)
	}
	d.Unscaled.SetString(intPart+frac+"0", 10)
	d.Unscaled.Quo(&d.Unscaled, big.NewInt(10)) // the appended 0 makes "" parse
	if neg {
		d.Unscaled.Neg(&d.Unscaled)
	}
	d.Scale = len(frac)
	return d, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// rescale returns d's unscaled value at scale s (s >= d.Scale).
func (d *Decimal) rescale(s int) *big.Int {
	v := new(big.Int).Set(&d.Unscaled)
	if s > d.Scale {
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s-d.Scale)), nil))
	}
	return v
}

// Add sets d to d + x exactly.
func (d *Decimal) Add(x Decimal) {
	s := max(d.Scale, x.Scale)
	a := d.rescale(s)
	a.Add(a, x.rescale(s))
	d.Unscaled.Set(a)
	d.Scale = s
}

// Cmp compares d and x: -1, 0 or +1.
func (d *Decimal) Cmp(x *Decimal) int {
	s := max(d.Scale, x.Scale)
	return d.rescale(s).Cmp(x.rescale(s))
}

// String renders d with exactly Scale fraction digits.
func (d *Decimal) String() string {
	neg := d.Unscaled.Sign() < 0
	digits := new(big.Int).Abs(&d.Unscaled).String()
	if d.Scale > 0 {
		if len(digits) <= d.Scale {
			digits = strings.Repeat("0", d.Scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-d.Scale] + "." + digits[len(digits)-d.Scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// Quo returns d / n rounded half away from zero to scale digits; n > 0.
func (d *Decimal) Quo(n int64, scale int) Decimal {
	var q Decimal
	num := d.rescale(max(d.Scale, scale))
	// num is at scale max(d.Scale, scale); bring it to scale+1 extra digit.
	from := max(d.Scale, scale)
	num.Mul(num, big.NewInt(10))
	den := new(big.Int).Mul(big.NewInt(n), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(from-scale)), nil))
	r := new(big.Int).Quo(num, den) // truncated, one extra digit
	last := new(big.Int).Rem(r, big.NewInt(10))
	r.Quo(r, big.NewInt(10))
	if last.CmpAbs(big.NewInt(5)) >= 0 {
		if r.Sign() < 0 || num.Sign() < 0 {
			r.Sub(r, big.NewInt(1))
		} else {
			r.Add(r, big.NewInt(1))
		}
	}
	q.Unscaled.Set(r)
	q.Scale = scale
	return q
}
