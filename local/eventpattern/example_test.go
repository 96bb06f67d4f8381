package eventpattern_test

import (
	"fmt"

	"github.com/stepwise-dev/stepwise/local/eventpattern"
)

func ExampleCompile() {
	p, err := eventpattern.Compile([]byte(`{
	  "source": ["aws.s3"],
	  "detail": {"object": {"key": [{"prefix": "requests/"}], "size": [{"numeric": [">", 0]}]}}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range []string{
		`{"source":"aws.s3","detail":{"object":{"key":"requests/a.json","size":12}}}`,
		`{"source":"aws.s3","detail":{"object":{"key":"exports/a.csv","size":12}}}`,
	} {
		ok, _ := p.Match([]byte(ev))
		fmt.Println(ok)
	}
	_, err = eventpattern.Compile([]byte(`{"detail":{"object":{"key":[{"prefx":"requests/"}]}}}`))
	fmt.Println(err)
	// Output:
	// true
	// false
	// event pattern: at /detail/object/key/0: unknown operator "prefx" (want prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists or cidr)
}
