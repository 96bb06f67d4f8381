package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestPartialJSONRoundTrip(t *testing.T) {
	p := NewPartial(testAggs, 10)
	rows(p, t, [][3]string{{"Zürich", "1.50", "a"}, {"東京", "-2", "b"}, {"Zürich", "", "a"}, {"", "3", ""}})
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Partial
	if err := json.Unmarshal(data, &q); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(&q)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Fatalf("round trip changed the partial:\n%s\n%s", data, again)
	}
	for _, g := range q.Groups {
		if g.Keys[0] == "Zürich" && g.Value(testAggs, 1) != "1.50" {
			t.Fatalf("sum after round trip = %s, want 1.50", g.Value(testAggs, 1))
		}
	}
}

func TestPartialJSONBadField(t *testing.T) {
	var q Partial
	err := json.Unmarshal([]byte(`{"aggs":[{"op":"sum","column":"x"}],"groups":[{"keys":["a"],"count":1,"accs":[{"n":1,"sum":"1","min":"x1","max":"1"}]}]}`), &q)
	if err == nil || !strings.Contains(err.Error(), "/groups/0/accs/0/min") {
		t.Fatalf("err = %v, want one naming /groups/0/accs/0/min", err)
	}
}
