package export

import "testing"

// TestFilterNullValues pins how empty typed values behave in a filter: a
// comparison with a null drops the row (SQL semantics) instead of failing
// it as malformed, while a value that is present but not of its declared
// type is still an error.
func TestFilterNullValues(t *testing.T) {
	header := []string{"order_id", "total"}
	f, err := CompileFilter("total > 100", header, map[string]string{"total": TypeNumber})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		row     []string
		keep    bool
		wantErr bool
	}{
		{[]string{"1", "150.5"}, true, false},
		{[]string{"2", "99"}, false, false},
		{[]string{"3", ""}, false, false},
		{[]string{"4"}, false, false}, // short row: the missing value is empty
		{[]string{"5", "abc"}, false, true},
	}
	for _, tt := range tests {
		keep, err := f.Keep(tt.row)
		if (err != nil) != tt.wantErr || keep != tt.keep {
			t.Errorf("Keep(%q) = %v, %v; want %v, error %v", tt.row, keep, err, tt.keep, tt.wantErr)
		}
	}
	// A filter that handles null explicitly still sees it.
	g, err := CompileFilter("total == nil || total > 100", header, map[string]string{"total": TypeNumber})
	if err != nil {
		t.Fatal(err)
	}
	if keep, err := g.Keep([]string{"6", ""}); err != nil || !keep {
		t.Errorf("explicit nil check: Keep = %v, %v; want true", keep, err)
	}
}
