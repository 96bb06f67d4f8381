package jsonata

import "testing"

// Typical Step Functions expressions, compiled once and evaluated many
// times over $states.input.
var benchExprs = []struct{ name, expr string }{
	{"path", `$states.input.order.customer.id`},
	{"arithmetic", `$states.input.order.total * 1.2 + $states.input.order.shipping`},
	{"concat", `"order-" & $states.input.order.id & "-" & $string($states.input.order.total)`},
	{"count", `$count($states.input.order.items)`},
	{"filter", `$states.input.order.items[price > 10].sku`},
	{"object", `{"id": $states.input.order.id, "n": $count($states.input.order.items), "ok": $states.input.order.total > 100}`},
	{"condition", `$states.input.order.total > 100 ? "big" : "small"`},
	{"sum", `$sum($states.input.order.items.(price * qty))`},
}

func benchInput() map[string]any {
	items := make([]any, 20)
	for i := range items {
		items[i] = map[string]any{"sku": "sku-" + string(rune('a'+i)), "price": float64(i * 3), "qty": float64(i%4 + 1)}
	}
	return map[string]any{"states": map[string]any{"input": map[string]any{
		"order": map[string]any{
			"id": "o-123", "total": 250.5, "shipping": 4.99,
			"customer": map[string]any{"id": "c-9", "name": "Ada"},
			"items":    items,
		},
	}}}
}

func BenchmarkEval(b *testing.B) {
	vars := benchInput()
	for _, bx := range benchExprs {
		e, err := Compile(bx.expr, StepFunctions())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bx.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Eval(nil, vars); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	for _, bx := range benchExprs {
		b.Run(bx.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile(bx.expr, StepFunctions()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
