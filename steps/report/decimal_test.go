package report

import "testing"

func TestDecimalSumIsExact(t *testing.T) {
	var sum Decimal
	for range 10 {
		x, err := ParseDecimal("0.1")
		if err != nil {
			t.Fatal(err)
		}
		sum.Add(x)
	}
	if got := sum.String(); got != "1.0" {
		t.Fatalf("ten times 0.1 = %s, want 1.0", got)
	}
	for _, c := range []struct{ a, b, want string }{
		{"-1.25", "1", "-0.25"}, {"+.5", "2.", "2.5"}, {"123456789012345678901234567890", "1", "123456789012345678901234567891"},
		{"-0.001", "0", "-0.001"},
	} {
		a, err := ParseDecimal(c.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseDecimal(c.b)
		if err != nil {
			t.Fatal(err)
		}
		a.Add(b)
		if a.String() != c.want {
			t.Errorf("%s + %s = %s, want %s", c.a, c.b, a.String(), c.want)
		}
	}
}

func TestParseDecimalRejects(t *testing.T) {
	for _, s := range []string{"", "-", ".", "1e5", "NaN", "1.2.3", "12a"} {
		if _, err := ParseDecimal(s); err == nil {
			t.Errorf("ParseDecimal(%q) accepted", s)
		}
	}
}

func TestDecimalQuoAndCmp(t *testing.T) {
	for _, c := range []struct {
		a     string
		n     int64
		scale int
		want  string
	}{{"10", 3, 4, "3.3333"}, {"2", 3, 2, "0.67"}, {"-2", 3, 2, "-0.67"}, {"1.005", 1, 2, "1.01"}, {"7.5", 2, 0, "4"}} {
		a, _ := ParseDecimal(c.a)
		q := a.Quo(c.n, c.scale)
		if q.String() != c.want {
			t.Errorf("%s / %d at %d = %s, want %s", c.a, c.n, c.scale, q.String(), c.want)
		}
	}
	a, _ := ParseDecimal("1.50")
	b, _ := ParseDecimal("1.5")
	c, _ := ParseDecimal("-2")
	if a.Cmp(&b) != 0 || c.Cmp(&a) != -1 || a.Cmp(&c) != 1 {
		t.Error("Cmp wrong")
	}
}
