package jsonpath

import "testing"

func benchDoc() any {
	items := make([]any, 100)
	for i := range items {
		items[i] = map[string]any{"id": float64(i), "name": "item", "price": float64(i % 17)}
	}
	return map[string]any{"order": map[string]any{"customer": map[string]any{"name": "Ann"}, "items": items}}
}

func benchGet(b *testing.B, path string) {
	p := MustCompile(path)
	doc := benchDoc()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetReference(b *testing.B) { benchGet(b, `$.order.customer.name`) }
func BenchmarkGetIndex(b *testing.B)     { benchGet(b, `$.order.items[42].price`) }
func BenchmarkGetWildcard(b *testing.B)  { benchGet(b, `$.order.items[*].id`) }
func BenchmarkGetFilter(b *testing.B)    { benchGet(b, `$.order.items[?(@.price > 10)].id`) }
func BenchmarkGetDeepScan(b *testing.B)  { benchGet(b, `$..name`) }

func BenchmarkSet(b *testing.B) {
	p := MustCompile(`$.order.result.value`)
	doc := benchDoc()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Set(doc, "x"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`$.order.items[?(@.price > 10 && @.name == 'item')].id`); err != nil {
			b.Fatal(err)
		}
	}
}
