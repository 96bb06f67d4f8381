package intrinsic

import (
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

func benchEval(b *testing.B, expr string) {
	e, err := Parse(expr)
	if err != nil {
		b.Fatal(err)
	}
	docs := jsonpath.Docs{Input: map[string]any{"i": 41.0, "name": "Ann", "csv": "a,b,c,d,e,f"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(docs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMathAdd(b *testing.B) { benchEval(b, `States.MathAdd($.i, 1)`) }
func BenchmarkFormat(b *testing.B) {
	benchEval(b, `States.Format('Hello {}, you are {}', $.name, $.i)`)
}
func BenchmarkStringSplit(b *testing.B) { benchEval(b, `States.StringSplit($.csv, ',')`) }

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`States.ArrayGetItem(States.StringSplit($.a, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($.a, '-')), -1))`); err != nil {
			b.Fatal(err)
		}
	}
}
