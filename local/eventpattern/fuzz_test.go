package eventpattern_test

import (
	"testing"

	"github.com/stepwise-dev/stepwise/local/eventpattern"
)

// FuzzCompileMatch checks that no pattern or event makes Compile or Match
// panic. Run: go test -fuzz=FuzzCompileMatch -fuzztime=60s ./local/eventpattern
func FuzzCompileMatch(f *testing.F) {
	for _, p := range []string{
		`{"source":["aws.s3"],"detail":{"object":{"key":[{"prefix":"requests/"}]}}}`,
		`{"a":[{"anything-but":{"prefix":["x","y"]}},{"numeric":[">",0,"<=",5]},null,true,1.5]}`,
		`{"$or":[{"a":[{"exists":false}]},{"b":{"c":[{"wildcard":"x*y\\*z"}]}}]}`,
		`{"a":[{"cidr":"10.0.0.0/8"},{"suffix":{"equals-ignore-case":".PNG"}},{"equals-ignore-case":"Q"}]}`,
	} {
		f.Add([]byte(p), []byte(s3Event))
		f.Add([]byte(p), []byte(ec2Event))
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		p, err := eventpattern.Compile(pattern)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		_, _ = p.Match(event)
	})
}
