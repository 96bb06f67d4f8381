package report

import (
	"strings"
	"testing"
)

func TestWriteCSVAndHTML(t *testing.T) {
	aggs := []Aggregate{{Op: "sum", Column: "x"}, {Op: "count"}}
	p := NewPartial(aggs, 10)
	for _, r := range [][2]string{{"Zürich", "2.5"}, {"<b>東京</b>", "10"}, {"Zürich", "1"}} {
		if err := p.Add([]string{r[0]}, []string{r[1], ""}); err != nil {
			t.Fatal(err)
		}
	}
	var c strings.Builder
	if err := p.WriteCSV(&c, []string{"city"}); err != nil {
		t.Fatal(err)
	}
	want := "city,sum(x),count\n<b>東京</b>,10,1\nZürich,3.5,2\n"
	if c.String() != want {
		t.Fatalf("csv:\n%s\nwant:\n%s", c.String(), want)
	}
	var h strings.Builder
	if err := p.WriteHTML(&h, "Sales", []string{"city"}, 10); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	for _, s := range []string{"<svg", "&lt;b&gt;東京&lt;/b&gt;", `width="380"`, "<td>3.5</td>", `font-size="12">Zürich</text>`} {
		if !strings.Contains(page, s) {
			t.Errorf("html lacks %q:\n%s", s, page)
		}
	}
	if strings.Contains(page, "<b>東京") || strings.Contains(page, "http://") && !strings.Contains(page, "http://www.w3.org/2000/svg") {
		t.Error("html not escaped or refers to an external asset")
	}
}
