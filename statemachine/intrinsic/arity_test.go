package intrinsic

import "testing"

// TestArityMessages pins the argument-count check of every function, read
// from the function table by the parser: the message names the function
// and the count it takes, at the offset of the call.
func TestArityMessages(t *testing.T) {
	for _, tt := range []struct{ expr, want string }{
		{`States.Format()`, `intrinsic: States.Format takes at least 1 argument, got 0 at offset 0 in 'States.Format()'`},
		{`States.StringToJson()`, `intrinsic: States.StringToJson takes 1 argument, got 0 at offset 0 in 'States.StringToJson()'`},
		{`States.JsonToString(1, 2)`, `intrinsic: States.JsonToString takes 1 argument, got 2 at offset 0 in 'States.JsonToString(1, 2)'`},
		{`States.ArrayPartition($.a)`, `intrinsic: States.ArrayPartition takes 2 arguments, got 1 at offset 0 in 'States.ArrayPartition($.a)'`},
		{`States.ArrayContains($.a)`, `intrinsic: States.ArrayContains takes 2 arguments, got 1 at offset 0 in 'States.ArrayContains($.a)'`},
		{`States.ArrayRange(1, 2)`, `intrinsic: States.ArrayRange takes 3 arguments, got 2 at offset 0 in 'States.ArrayRange(1, 2)'`},
		{`States.ArrayGetItem($.a)`, `intrinsic: States.ArrayGetItem takes 2 arguments, got 1 at offset 0 in 'States.ArrayGetItem($.a)'`},
		{`States.ArrayLength()`, `intrinsic: States.ArrayLength takes 1 argument, got 0 at offset 0 in 'States.ArrayLength()'`},
		{`States.ArrayUnique($.a, 1)`, `intrinsic: States.ArrayUnique takes 1 argument, got 2 at offset 0 in 'States.ArrayUnique($.a, 1)'`},
		{`States.Base64Encode()`, `intrinsic: States.Base64Encode takes 1 argument, got 0 at offset 0 in 'States.Base64Encode()'`},
		{`States.Base64Decode('a', 'b')`, `intrinsic: States.Base64Decode takes 1 argument, got 2 at offset 0 in 'States.Base64Decode('a', 'b')'`},
		{`States.Hash('a')`, `intrinsic: States.Hash takes 2 arguments, got 1 at offset 0 in 'States.Hash('a')'`},
		{`States.JsonMerge($.a, $.b)`, `intrinsic: States.JsonMerge takes 3 arguments, got 2 at offset 0 in 'States.JsonMerge($.a, $.b)'`},
		{`States.MathRandom(1)`, `intrinsic: States.MathRandom takes 2 to 3 arguments, got 1 at offset 0 in 'States.MathRandom(1)'`},
		{`States.MathRandom(1, 2, 3, 4)`, `intrinsic: States.MathRandom takes 2 to 3 arguments, got 4 at offset 0 in 'States.MathRandom(1, 2, 3, 4)'`},
		{`States.MathAdd(1, 2, 3)`, `intrinsic: States.MathAdd takes 2 arguments, got 3 at offset 0 in 'States.MathAdd(1, 2, 3)'`},
		{`States.StringSplit('a')`, `intrinsic: States.StringSplit takes 2 arguments, got 1 at offset 0 in 'States.StringSplit('a')'`},
		{`States.UUID(1)`, `intrinsic: States.UUID takes 0 arguments, got 1 at offset 0 in 'States.UUID(1)'`},
		{`States.Array(States.UUID(1))`, `intrinsic: States.UUID takes 0 arguments, got 1 at offset 13 in 'States.Array(States.UUID(1))'`},
		{`States.Nope(1)`, `intrinsic: unknown intrinsic function 'States.Nope' at offset 0 in 'States.Nope(1)'`},
	} {
		_, err := Parse(tt.expr)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%s) error:\n got %v\nwant %s", tt.expr, err, tt.want)
		}
	}
	for _, f := range Functions() {
		if _, err := Parse(f + "(1, 2, 3, 4, 5, 6, 7)"); f != "States.Format" && f != "States.Array" && err == nil {
			t.Errorf("%s accepts 7 arguments", f)
		}
	}
}
