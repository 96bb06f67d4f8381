package trigger_test

import (
	"encoding/json"
	"testing"

	"github.com/stepwise-dev/stepwise/local/trigger"
)

// FuzzInputTransformer checks that no template or path makes the input
// transformer panic, and that whatever it returns is valid JSON.
// Run: go test -fuzz=FuzzInputTransformer -fuzztime=60s ./local/trigger
func FuzzInputTransformer(f *testing.F) {
	f.Add(`{"trigger": "s3", "request": {"bucket": <bucket>, "key": <key>}, "time": <time>}`, "$.detail.object.key")
	f.Add(`{"s": "key <key> \" <bucket>", "w": <aws.events.event.json>}`, "$")
	f.Add(`"<key>"`, "$.detail")
	f.Fuzz(func(t *testing.T, template, path string) {
		doc, _ := json.Marshal(map[string]any{
			"input_paths":    map[string]string{"key": path, "bucket": "$.detail.bucket.name", "time": "$.time"},
			"input_template": template,
		})
		tr, err := trigger.ParseInputTransformer(doc)
		if err != nil {
			return
		}
		out, err := tr.Apply(event("requests/a b.json", "01"))
		if err == nil && !json.Valid([]byte(out)) {
			t.Fatalf("Apply returned invalid JSON without an error: %s", out)
		}
	})
}
