package jsonpath

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const storeDoc = `{
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "items": [0, 1, 2, 3, 4, 5],
  "delivery-partner": "ups",
  "Test\\\"\"Name\"": "Value\"\\",
  "flag": true,
  "nothing": null
}`

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGet(t *testing.T) {
	doc := mustJSON(t, storeDoc)
	tests := []struct {
		path string
		want string // JSON
	}{
		{`$`, ``},
		{`$.store.bicycle.color`, `"red"`},
		{`$['store']['bicycle']["color"]`, `"red"`},
		{`$.delivery-partner`, `"ups"`},
		{`$['Test\""Name"']`, `"Value\"\\"`},
		{`$.items[0]`, `0`},
		{`$.items[-1]`, `5`},
		{`$.items[1:3]`, `[1,2]`},
		{`$.items[1:]`, `[1,2,3,4,5]`},
		{`$.items[:2]`, `[0,1]`},
		{`$.items[-2:]`, `[4,5]`},
		{`$.items[:-4]`, `[0,1]`},
		{`$.items[1:5:1]`, `[1,2,3,4]`},
		{`$.items[0,2]`, `[0,2]`},
		{`$.items[*]`, `[0,1,2,3,4,5]`},
		{`$.store.book[*].author`, `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{`$.store.book[1:3].title`, `["Sword","Moby Dick"]`},
		{`$..author`, `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{`$.store..price`, `[19.95,8.95,12.99,8.99,22.99]`},
		{`$.store.book[?(@.isbn)].title`, `["Moby Dick","LOTR"]`},
		{`$.store.book[?(@.price < 10)].title`, `["Sayings","Moby Dick"]`},
		{`$.store.book[?(@.price > 10 && @.category == 'fiction')].title`, `["Sword","LOTR"]`},
		{`$.store.book[?(@.price > 20 || @.author == "Nigel Rees")].title`, `["Sayings","LOTR"]`},
		{`$.store.book[?(!(@.price > 10))].title`, `["Sayings","Moby Dick"]`},
		{`$.store.book[?(@.author =~ /.*rees/i)].title`, `["Sayings"]`},
		{`$.store.book[?(@.category in ['reference'])].title`, `["Sayings"]`},
		{`$.store.book[?(@.price > $.store.bicycle.price)].title`, `["LOTR"]`},
		{`$.store.book.length()`, `4`},
		{`$.items.sum()`, `15`},
		{`$.items.avg()`, `2.5`},
		{`$.items.min()`, `0`},
		{`$.items.max()`, `5`},
		{`$.items.first()`, `0`},
		{`$.items.last()`, `5`},
		{`$.store.bicycle.keys()`, `["color","price"]`},
		{`$.store.book[*].price.max()`, `22.99`},
		{`$.store.bicycle['color','price']`, `{"color":"red","price":19.95}`},
		{`$.store.book[0]['title','nope']`, `{"title":"Sayings"}`},
		{`$..['color','price']`, `[{"color":"red","price":19.95}]`},
		{`$..book[2].title`, `["Moby Dick"]`},
		{`$.flag`, `true`},
		{" $.flag ", `true`},
		{`$.nothing`, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := Compile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Get(doc)
			if err != nil {
				t.Fatal(err)
			}
			want := doc
			if tt.want != "" {
				want = mustJSON(t, tt.want)
			}
			if !reflect.DeepEqual(got, want) {
				gb, _ := json.Marshal(got)
				t.Errorf("Get = %s, want %s", gb, tt.want)
			}
		})
	}
}

func TestGetErrors(t *testing.T) {
	doc := mustJSON(t, `{"int-literal": 0, "a": {"s": "x"}, "arr": [1]}`)
	tests := []struct {
		path, msg string
	}{
		{`$.NoSuchInputPath`, `Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']`},
		{`$.no.such.result.path`, `Invalid path '$.no.such.result.path' : Missing property in path $['no']`},
		{`$.arr[3]`, `Invalid path '$.arr[3]' : No results for path: $['arr'][3]`},
		{`$.a.s.t`, `Invalid path '$.a.s.t' : Expected to find an object with property ['t'] in path $['a']['s'] but found 'java.lang.String'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.`},
		{`$.a[0]`, `Invalid path '$.a[0]' : Filter: [0] can only be applied to arrays. Current context is: {"s":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := MustCompile(tt.path).Get(doc)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("errors.Is(%v, ErrNotFound) = false", err)
			}
			if err.Error() != tt.msg {
				t.Errorf("error\n got %s\nwant %s", err, tt.msg)
			}
		})
	}
	// After an indefinite step, missing members are skipped, not errors.
	got, err := MustCompile(`$.arr[*].nope.x`).Get(doc)
	if err != nil || !reflect.DeepEqual(got, []any{}) {
		t.Errorf("indefinite miss = %v, %v; want [], nil", got, err)
	}
}

func TestCompile(t *testing.T) {
	tests := []struct {
		path      string
		root      Root
		variable  string
		definite  bool
		reference bool
		canonical string
	}{
		{`$`, RootInput, "", true, true, `$`},
		{`$$`, RootContext, "", true, true, `$`},
		{`$$.Execution.Input.input-value`, RootContext, "", true, true, `$['Execution']['Input']['input-value']`},
		{`$myVar`, RootVariable, "myVar", true, true, `$`},
		{`$constant_obj.in_obj_constant_lst[0]`, RootVariable, "constant_obj", true, true, `$['in_obj_constant_lst'][0]`},
		{`$.a[*].b`, RootInput, "", false, false, `$['a'][*]['b']`},
		{`$..b`, RootInput, "", false, false, `$..['b']`},
		{`$.a[1:2]`, RootInput, "", false, false, `$['a'][1:2]`},
		{`$.a[-1]`, RootInput, "", true, false, `$['a'][-1]`},
		{`$.a['x','y']`, RootInput, "", true, false, `$['a']['x','y']`},
		{`$.a[?(@.x)]`, RootInput, "", false, false, `$['a'][?]`},
		{`$.a.length()`, RootInput, "", true, false, `$['a'].length()`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := Compile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.Root() != tt.root || p.Variable() != tt.variable || p.Definite() != tt.definite ||
				p.Reference() != tt.reference || p.Canonical() != tt.canonical || p.String() != tt.path {
				t.Errorf("got root=%v var=%q definite=%v reference=%v canonical=%s",
					p.Root(), p.Variable(), p.Definite(), p.Reference(), p.Canonical())
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		path   string
		offset int
	}{
		{``, 0},
		{`a.b`, 0},
		{`$.`, 1},
		{`$.a..`, 3},
		{`$[`, 1},
		{`$['a`, 1},
		{`$['a' 'b']`, 6},
		{`$[a]`, 2},
		{`$[1:x]`, 2},
		{`$.a b`, 3},
		{`$.a.foo()`, 4},
		{`$.a.sum().x`, 9},
		{`$[?(@.a ==)]`, 10},
		{`$[?(@.a == 1]`, 12},
		{`$-`, 1},
		{` $.a b`, 4},
		{`$[?(` + strings.Repeat("!", 200) + `@.a)]`, 103},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := Compile(tt.path)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%q) error = %v, want *Error", tt.path, err)
			}
			if !pe.Syntax() || pe.Offset != tt.offset {
				t.Errorf("Compile(%q) = %v (offset %d), want a syntax error at offset %d", tt.path, err, pe.Offset, tt.offset)
			}
		})
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		doc, path, value, want string
	}{
		{`{"a":1}`, `$`, `"x"`, `"x"`},
		{`{"a":1}`, `$.b`, `2`, `{"a":1,"b":2}`},
		{`{"a":1}`, `$.a`, `{"z":true}`, `{"a":{"z":true}}`},
		{`{"a":1}`, `$.b.c.d`, `2`, `{"a":1,"b":{"c":{"d":2}}}`},
		{`{"a":{"x":1}}`, `$.a.y`, `2`, `{"a":{"x":1,"y":2}}`},
		{`{"a":[1,{"x":1}]}`, `$.a[1].y`, `2`, `{"a":[1,{"x":1,"y":2}]}`},
		{`{"a":[1,2]}`, `$.a[0]`, `9`, `{"a":[9,2]}`},
		{`{"a":[1,2]}`, `$['a']`, `null`, `{"a":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			doc := mustJSON(t, tt.doc)
			got, err := MustCompile(tt.path).Set(doc, mustJSON(t, tt.value))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, mustJSON(t, tt.want)) {
				gb, _ := json.Marshal(got)
				t.Errorf("Set = %s, want %s", gb, tt.want)
			}
			if !reflect.DeepEqual(doc, mustJSON(t, tt.doc)) {
				t.Errorf("Set modified its input")
			}
		})
	}
	for _, tt := range []struct{ doc, path string }{
		{`"str"`, `$.a`},
		{`{"a":"s"}`, `$.a.b`},
		{`{"a":[1]}`, `$.a[3]`},
		{`{"a":{}}`, `$.a[0]`},
		{`{"a":[1]}`, `$.a[*]`},
	} {
		_, err := MustCompile(tt.path).Set(mustJSON(t, tt.doc), 1.0)
		if !errors.Is(err, ErrSet) {
			t.Errorf("Set(%s, %s) error = %v, want ErrSet", tt.doc, tt.path, err)
		}
	}
}

// TestConcurrentUse evaluates one compiled path from many goroutines; run
// with -race it checks the "safe for concurrent use" promise.
func TestConcurrentUse(t *testing.T) {
	doc := mustJSON(t, storeDoc)
	p := MustCompile(`$.store.book[?(@.price < 10 && @.author =~ /.*e.*/)].title`)
	want, err := p.Get(doc)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 8)
	for range 8 {
		go func() {
			for range 200 {
				got, err := p.Get(doc)
				if err != nil || !reflect.DeepEqual(got, want) {
					done <- errors.New("concurrent Get returned a different result")
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
