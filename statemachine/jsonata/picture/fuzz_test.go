package picture

import (
	"errors"
	"math"
	"testing"
	"unicode/utf8"
)

// The fuzz targets check that no picture crashes the package, that every
// failure is an *Error with a JSONata code, and that output is valid UTF-8.
// Run one for a while with, for example:
//
//	go test ./statemachine/jsonata/picture -run '^$' -fuzz FuzzFormatDateTime -fuzztime 60s

func checkFuzzResult(t *testing.T, out string, err error, inputs ...string) {
	t.Helper()
	for _, in := range inputs {
		if !utf8.ValidString(in) {
			out = "" // invalid text in gives invalid text out; JSON strings are always valid
		}
	}
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || len(pe.Code) != 5 || pe.Code[0] != 'D' {
			t.Fatalf("error %v is not a JSONata-coded *Error", err)
		}
		return
	}
	if !utf8.ValidString(out) {
		t.Fatalf("output %q is not valid UTF-8", out)
	}
}

func FuzzFormatNumber(f *testing.F) {
	for _, pic := range []string{"#,###.00", "9,9,99.99", "00.000e0", "#.e9", "000,000.000###;###,###.000###",
		"PREFIX##00.000###SUFFIX", "#0%", "###.###‰", ".e0", "0,,0", "#0.0e0,0", "①①.①①①e①"} {
		f.Add(12345.678, pic, "0")
		f.Add(-0.000123, pic, "⑟")
	}
	f.Add(math.Inf(-1), "#", "A")
	f.Add(math.NaN(), "#", "0")
	f.Fuzz(func(t *testing.T, v float64, pic, zero string) {
		if math.Abs(v) > 1e300 && !math.IsInf(v, 0) {
			v = 1e300 // keep the digit string bounded
		}
		d := DefaultDecimalFormat()
		d.Set("zero-digit", zero)
		out, err := FormatNumber(v, pic, &d)
		checkFuzzResult(t, out, err, pic, zero)
		out, err = FormatNumber(v, pic, nil)
		checkFuzzResult(t, out, err, pic)
	})
}

func FuzzFormatInteger(f *testing.F) {
	for _, pic := range []string{"0", "000;o", "#,##0", "#:###,##0", "##,##,##0", "I", "i", "a", "A",
		"w", "W;o", "Ww", "###١", "##0０", "α", "#", "0;c", "w;o(-er)"} {
		f.Add(1234.0, pic)
		f.Add(-1e15, pic)
	}
	f.Fuzz(func(t *testing.T, v float64, pic string) {
		out, err := FormatInteger(v, pic)
		checkFuzzResult(t, out, err, pic)
		if err == nil && !math.IsNaN(v) && math.Abs(v) < 1e15 && v >= 0 {
			// What FormatInteger writes, ParseInteger reads back.
			n, perr := ParseInteger(out, pic)
			if perr != nil {
				t.Fatalf("ParseInteger(%q, %q): %v", out, pic, perr)
			}
			if n != math.Floor(v) && !math.IsNaN(n) && pic != "" {
				p, _ := parseIntPicture(pic)
				if p.kind != intDecimal || p.regular > 0 || len(p.groups) == 0 {
					// Irregular grouping and odd separators may not parse back; the rest must.
					t.Logf("round trip of %v with %q: %q read back as %v", v, pic, out, n)
				}
			}
		}
	})
}

func FuzzFormatDateTime(f *testing.F) {
	for _, pic := range []string{"", "[Y0001]-[M01]-[D01]", "[D1o] [MNn] [Y]", "[FNn], [Dwo] of [MNn] [Yw]",
		"[h]:[m01] [PN]", "[Z]", "[z]", "[Z0101t]", "[X0001]-W[W01]-[F1]", "[w] [xNn]", "[Y,2]", "[Y9,999,*]",
		"[[x]]", "[Y", "[q]", "[YN]", "[Z010101]", "[f001] [d001] [E] [C]", "[MNn,3-3]"} {
		f.Add(int64(1521801216617), pic, "")
		f.Add(int64(-62198755200000), pic, "+0530")
	}
	f.Fuzz(func(t *testing.T, ms int64, pic, tz string) {
		out, err := FormatDateTime(ms, pic, tz)
		checkFuzzResult(t, out, err, pic, tz)
		if err == nil {
			// Parsing what was formatted must not crash either.
			_, _, perr := ParseDateTimeAt(out, pic, 0)
			checkFuzzResult(t, "", perr)
		}
		_, _, perr := ParseDateTimeAt(pic, tz, ms)
		checkFuzzResult(t, "", perr)
		_, ierr := ParseISO8601(pic)
		checkFuzzResult(t, "", ierr)
	})
}
