package eventpattern_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/local/eventpattern"
)

// ec2Event is the sample event of AWS's EventBridge pattern documentation,
// extended with the fields the documented examples filter on.
const ec2Event = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "instance-id": "i-1234567890abcdef0",
    "state": "terminated",
    "c-count": 5, "d-count": 3, "x-limit": 301.8,
    "sourceIPAddress": "10.0.0.123",
    "responseElements": null,
    "eventVersion": "",
    "FileName": "image.PNG",
    "tags": ["blue", "green"],
    "items": [{"kind": "a", "n": 1}, {"kind": "b", "n": 2}]
  }
}`

const s3Event = `{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created","source":"aws.s3",
"account":"111122223333","time":"2021-11-12T00:00:00Z","region":"ca-central-1","resources":["arn:aws:s3:::amzn-s3-demo-bucket1"],
"detail":{"version":"0","bucket":{"name":"amzn-s3-demo-bucket1"},"object":{"key":"requests/example-key.json","size":5,
"etag":"b1946ac92492d2347c6235b4d2611184","version-id":"IYV3p45BT0ac8hjHg1houSdS1a.Mro8e","sequencer":"617f08299329d189"},
"request-id":"N4N7GDK58NMKJ12R","requester":"123456789012","source-ip-address":"1.2.3.4","reason":"PutObject"}}`

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name, pattern, event string
		want                 bool
	}{
		{"source", `{"source":["aws.ec2"]}`, ec2Event, true},
		{"source other", `{"source":["aws.s3"]}`, ec2Event, false},
		{"one of values", `{"source":["aws.s3","aws.ec2"]}`, ec2Event, true},
		{"nested", `{"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["terminated"]}}`, ec2Event, true},
		{"nested mismatch", `{"detail":{"state":["running"]}}`, ec2Event, false},
		{"missing field", `{"detail":{"nope":["x"]}}`, ec2Event, false},
		{"missing object", `{"nope":{"x":["y"]}}`, ec2Event, false},
		{"leaf list against object", `{"detail":["x"]}`, ec2Event, false},
		{"object against leaf", `{"source":{"x":["y"]}}`, ec2Event, false},
		{"event array intersects", `{"resources":["arn:x","arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}`, ec2Event, true},
		{"event array disjoint", `{"resources":["arn:x"]}`, ec2Event, false},
		{"array element", `{"detail":{"tags":["green"]}}`, ec2Event, true},
		{"array of objects", `{"detail":{"items":{"kind":["b"],"n":[2]}}}`, ec2Event, true},
		{"array of objects fields from different elements", `{"detail":{"items":{"kind":["b"],"n":[1]}}}`, ec2Event, false},
		{"null", `{"detail":{"responseElements":[null]}}`, ec2Event, true},
		{"null is not missing", `{"detail":{"nope":[null]}}`, ec2Event, false},
		{"empty string", `{"detail":{"eventVersion":[""]}}`, ec2Event, true},
		{"number exact", `{"detail":{"c-count":[5]}}`, ec2Event, true},
		{"number exact other notation", `{"detail":{"x-limit":[3.018e2]}}`, ec2Event, true},
		{"number is not string", `{"detail":{"c-count":["5"]}}`, ec2Event, false},
		{"prefix", `{"time":[{"prefix":"2017-12-22"}]}`, ec2Event, true},
		{"prefix miss", `{"time":[{"prefix":"2018"}]}`, ec2Event, false},
		{"prefix ignore case", `{"detail-type":[{"prefix":{"equals-ignore-case":"ec2 instance"}}]}`, ec2Event, true},
		{"prefix on number", `{"detail":{"c-count":[{"prefix":"5"}]}}`, ec2Event, false},
		{"suffix case sensitive", `{"detail":{"FileName":[{"suffix":".png"}]}}`, ec2Event, false},
		{"suffix ignore case", `{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}}`, ec2Event, true},
		{"equals-ignore-case", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`, ec2Event, true},
		{"anything-but value", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, ec2Event, true},
		{"anything-but same", `{"detail":{"state":[{"anything-but":"terminated"}]}}`, ec2Event, false},
		{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","terminated"]}]}}`, ec2Event, false},
		{"anything-but number", `{"detail":{"c-count":[{"anything-but":[4,6]}]}}`, ec2Event, true},
		{"anything-but number hit", `{"detail":{"c-count":[{"anything-but":5}]}}`, ec2Event, false},
		{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, ec2Event, true},
		{"anything-but prefix hit", `{"detail":{"state":[{"anything-but":{"prefix":"term"}}]}}`, ec2Event, false},
		{"anything-but suffix hit", `{"detail":{"FileName":[{"anything-but":{"suffix":".PNG"}}]}}`, ec2Event, false},
		{"anything-but ignore case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["TERMINATED","x"]}}]}}`, ec2Event, false},
		{"anything-but wildcard", `{"detail":{"state":[{"anything-but":{"wildcard":"term*"}}]}}`, ec2Event, false},
		{"anything-but missing field", `{"detail":{"nope":[{"anything-but":"x"}]}}`, ec2Event, false},
		{"numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, ec2Event, true},
		{"numeric exclusive bound", `{"detail":{"c-count":[{"numeric":[">",0,"<",5]}]}}`, ec2Event, false},
		{"numeric lower only", `{"detail":{"c-count":[{"numeric":[">=",5]}]}}`, ec2Event, true},
		{"numeric on string", `{"detail":{"state":[{"numeric":[">",0]}]}}`, ec2Event, false},
		{"exists true", `{"detail":{"state":[{"exists":true}]}}`, ec2Event, true},
		{"exists true on null", `{"detail":{"responseElements":[{"exists":true}]}}`, ec2Event, true},
		{"exists true missing", `{"detail":{"nope":[{"exists":true}]}}`, ec2Event, false},
		{"exists false missing", `{"detail":{"nope":[{"exists":false}]}}`, ec2Event, true},
		{"exists false present", `{"detail":{"state":[{"exists":false}]}}`, ec2Event, false},
		{"exists true on object", `{"detail":[{"exists":true}]}`, ec2Event, false},
		{"exists false missing parent", `{"nope":{"x":[{"exists":false}]}}`, ec2Event, true},
		{"exists false under a scalar", `{"source":{"x":[{"exists":false}]}}`, ec2Event, true},
		{"exists true missing parent", `{"nope":{"x":[{"exists":true}]}}`, ec2Event, false},
		{"cidr", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, ec2Event, true},
		{"cidr miss", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.1.0/24"}]}}`, ec2Event, false},
		{"wildcard", `{"resources":[{"wildcard":"arn:aws:ec2:*:instance/*"}]}`, ec2Event, true},
		{"wildcard miss", `{"resources":[{"wildcard":"arn:aws:s3:::*"}]}`, ec2Event, false},
		{"wildcard no star", `{"detail":{"state":[{"wildcard":"terminated"}]}}`, ec2Event, true},
		{"wildcard escaped star", `{"detail":{"state":[{"wildcard":"term\\*"}]}}`, ec2Event, false},
		{"or", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",1]}]}]}}`, ec2Event, true},
		{"or none", `{"detail":{"$or":[{"c-count":[0]},{"d-count":[0]}]}}`, ec2Event, false},
		{"or top level with other fields", `{"source":["aws.ec2"],"$or":[{"region":["us-east-1"]},{"detail":{"state":["terminated"]}}]}`, ec2Event, true},
		{"or top level, fields fail", `{"source":["aws.s3"],"$or":[{"region":["us-west-1"]},{"detail":{"state":["terminated"]}}]}`, ec2Event, false},
		{"any matcher in list", `{"detail":{"state":["running",{"prefix":"term"}]}}`, ec2Event, true},
		{"stepwise trigger", `{"source":["aws.s3"],"detail-type":["Object Created"],"detail":{"object":{"key":[{"prefix":"requests/"}]}}}`, s3Event, true},
		{"stepwise trigger other prefix", `{"source":["aws.s3"],"detail-type":["Object Created"],"detail":{"object":{"key":[{"prefix":"exports/"}]}}}`, s3Event, false},
		{"s3 size and bucket", `{"detail":{"bucket":{"name":["amzn-s3-demo-bucket1"]},"object":{"size":[{"numeric":[">",0]}],"key":[{"suffix":".json"}]}}}`, s3Event, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := eventpattern.Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := p.Match([]byte(tc.event))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{`[]`, `event pattern: at /: a pattern must be a JSON object, got array ([])`},
		{`{"source":`, `event pattern: at /: invalid JSON: unexpected EOF`},
		{`{} {}`, `event pattern: at /: invalid JSON: data after the pattern object`},
		{`{}`, `event pattern: at /: empty objects are not allowed`},
		{`{"source":"aws.s3"}`, `event pattern: at /source: match values must be in an array (for example ["aws.s3"]) or an object, got string ("aws.s3")`},
		{`{"source":[]}`, `event pattern: at /source: empty arrays are not allowed: list at least one value`},
		{`{"detail":{"object":{"key":[{"prefx":"requests/"}]}}}`, `event pattern: at /detail/object/key/0: unknown operator "prefx" (want prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists or cidr)`},
		{`{"a":[{"prefix":1}]}`, `event pattern: at /a/0/prefix: prefix needs a string, got number (1)`},
		{`{"a":[{"prefix":"x","suffix":"y"}]}`, `event pattern: at /a/0: an operator object must have exactly one key, got {"prefix","suffix"}`},
		{`{"a":[{"prefix":{"equals-ignore-case":3}}]}`, `event pattern: at /a/0/prefix/equals-ignore-case: prefix needs a string, got number (3)`},
		{`{"a":[{"numeric":[">",0,">",5]}]}`, `event pattern: at /a/0/numeric/2: numeric has more than one lower bound`},
		{`{"a":[{"numeric":["~",0]}]}`, `event pattern: at /a/0/numeric/0: unknown comparison operator "~" (want <, <=, =, >, >=)`},
		{`{"a":[{"numeric":[">","0"]}]}`, `event pattern: at /a/0/numeric/1: expected a number after ">", got string ("0")`},
		{`{"a":[{"numeric":[">",5,"<",1]}]}`, `event pattern: at /a/0/numeric: numeric range is empty: lower bound is above upper bound`},
		{`{"a":[{"numeric":[">"]}]}`, `event pattern: at /a/0/numeric: numeric needs [op, number] or [op, number, op, number] with op one of <, <=, =, >, >=, got [">"]`},
		{`{"a":[{"exists":"yes"}]}`, `event pattern: at /a/0/exists: exists needs true or false, got string ("yes")`},
		{`{"a":[{"anything-but":{"numeric":[">",1]}}]}`, `event pattern: at /a/0/anything-but: anything-but does not take "numeric" (want prefix, suffix, equals-ignore-case or wildcard)`},
		{`{"a":[{"anything-but":[true]}]}`, `event pattern: at /a/0/anything-but/0: anything-but lists may hold only strings and numbers, got boolean (true)`},
		{`{"a":[{"anything-but":{"prefix":["x",2]}}]}`, `event pattern: at /a/0/anything-but/prefix/1: prefix needs a string, got number (2)`},
		{`{"a":[{"wildcard":"a**b"}]}`, `event pattern: at /a/0/wildcard: wildcard "a**b": consecutive * are not allowed`},
		{`{"a":[{"cidr":"10.0.0.0/33"}]}`, `event pattern: at /a/0/cidr: invalid cidr "10.0.0.0/33": netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`},
		{`{"$or":[{"a":["x"]}]}`, `event pattern: at /$or: $or needs an array of at least two pattern objects, got array ([{"a":["x"]}])`},
		{`{"$or":[{"a":["x"]},"b"]}`, `event pattern: at /$or/1: each $or alternative must be a pattern object, got string ("b")`},
		{`{"a/b":{"c~d":[[1]]}}`, `event pattern: at /a~1b/c~0d/0: nested arrays are not allowed in a match list`},
	} {
		_, err := eventpattern.Compile([]byte(tc.pattern))
		if err == nil {
			t.Errorf("Compile(%s): no error, want %s", tc.pattern, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("Compile(%s):\n got %s\nwant %s", tc.pattern, err, tc.want)
		}
	}
}

// TestTriggerPatternFile compiles the pattern file Terraform also reads.
func TestTriggerPatternFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "statemachine", "export.trigger.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := eventpattern.Compile(b)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.Match([]byte(s3Event)); !ok {
		t.Errorf("the export trigger pattern does not match an Object Created event under requests/")
	}
}

func TestMatchInvalidEvent(t *testing.T) {
	p := eventpattern.MustCompile(`{"a":["b"]}`)
	if _, err := p.Match([]byte(`{"a":`)); err == nil {
		t.Error("no error for invalid JSON event")
	}
	if p.MatchValue([]any{"a"}) {
		t.Error("an array event matched")
	}
}

func BenchmarkMatch(b *testing.B) {
	p := eventpattern.MustCompile(`{"source":["aws.s3"],"detail-type":["Object Created"],"detail":{"object":{"key":[{"prefix":"requests/"}],"size":[{"numeric":[">",0]}]}}}`)
	ev := []byte(s3Event)
	for b.Loop() {
		if ok, _ := p.Match(ev); !ok {
			b.Fatal("no match")
		}
	}
}
