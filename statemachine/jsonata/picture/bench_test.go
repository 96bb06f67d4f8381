package picture

import "testing"

// Benchmarks for the picture functions as Step Functions expressions use
// them: run with go test ./statemachine/jsonata/picture -run '^$' -bench . -benchmem

func BenchmarkFormatNumber(b *testing.B) {
	for _, bc := range []struct{ name, pic string }{
		{"grouped", "#,##0.00"},
		{"exponent", "00.000e0"},
		{"percent", "0.0%"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := FormatNumber(12345.678, bc.pic, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFormatInteger(b *testing.B) {
	for _, bc := range []struct{ name, pic string }{
		{"decimal", "#,##0"},
		{"ordinal", "0;o"},
		{"words", "w"},
		{"roman", "I"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := FormatInteger(1984, bc.pic); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseInteger(b *testing.B) {
	for b.Loop() {
		if _, err := ParseInteger("one thousand, nine hundred and eighty-four", "w"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormatDateTime(b *testing.B) {
	for _, bc := range []struct{ name, pic, tz string }{
		{"iso", "", ""},
		{"iso-offset", "", "-0500"},
		{"names", "[FNn], [D1o] [MNn] [Y] [h]:[m01] [PN]", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := FormatDateTime(1521801216617, bc.pic, bc.tz); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseDateTime(b *testing.B) {
	for _, bc := range []struct{ name, s, pic string }{
		{"numeric", "2018-03-27T14:03:00.123Z", "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z"},
		{"names", "27th April 2008", "[D1o] [MNn] [Y0001]"},
		{"words", "twenty-first August two thousand and seventeen", "[Dw] [MNn] [Yw]"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := ParseDateTimeAt(bc.s, bc.pic, 0); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

func BenchmarkParseISO8601(b *testing.B) {
	for b.Loop() {
		if _, err := ParseISO8601("2018-02-01T09:42:13.123+0000"); err != nil {
			b.Fatal(err)
		}
	}
}
