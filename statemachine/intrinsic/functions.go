package intrinsic

import (
	"encoding/base64"
	"encoding/json"
	"math"
	mrand "math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/statemachine/internal/jsonvalue"
)

// function is one States.* intrinsic: how many arguments it takes (checked
// when parsing) and what it computes from their values.
type function struct {
	min, max int // max -1: no upper bound
	call     func(e *Expr, args []any, opts Options) (any, error)
}

// functions maps each intrinsic's name to its definition.
var functions = map[string]*function{
	"States.Format":         {1, -1, (*Expr).format},
	"States.StringToJson":   {1, 1, fnStringToJSON},
	"States.JsonToString":   {1, 1, fnJSONToString},
	"States.Array":          {0, -1, fnArray},
	"States.ArrayPartition": {2, 2, fnArrayPartition},
	"States.ArrayContains":  {2, 2, fnArrayContains},
	"States.ArrayRange":     {3, 3, fnArrayRange},
	"States.ArrayGetItem":   {2, 2, fnArrayGetItem},
	"States.ArrayLength":    {1, 1, fnArrayLength},
	"States.ArrayUnique":    {1, 1, fnArrayUnique},
	"States.Base64Encode":   {1, 1, fnBase64Encode},
	"States.Base64Decode":   {1, 1, fnBase64Decode},
	"States.Hash":           {2, 2, fnHash},
	"States.JsonMerge":      {3, 3, fnJSONMerge},
	"States.MathRandom":     {2, 3, fnMathRandom},
	"States.MathAdd":        {2, 2, fnMathAdd},
	"States.StringSplit":    {2, 2, fnStringSplit},
	"States.UUID":           {0, 0, fnUUID},
}

func fnStringToJSON(e *Expr, args []any, _ Options) (any, error) {
	s, err := e.str(args, 0)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, e.fail("the argument is not valid JSON text: %s", preview(s))
	}
	return normalizeZero(v), nil
}

func fnJSONToString(e *Expr, args []any, _ Options) (any, error) {
	if sizeOver(args[0], maxResultBytes) {
		return nil, e.fail("the result would be longer than %d bytes (the payload limit)", maxResultBytes)
	}
	return marshal(args[0]), nil
}

func fnArray(_ *Expr, args []any, _ Options) (any, error) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

func fnArrayPartition(e *Expr, args []any, _ Options) (any, error) {
	a, err := e.array(args, 0)
	if err != nil {
		return nil, err
	}
	n, err := e.integer(args, 1)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, e.fail("the chunk size must be a positive integer, got %s", num(n))
	}
	out := []any{}
	for i := 0; i < len(a); i += int(n) {
		end := min(len(a), i+int(n))
		chunk := make([]any, end-i)
		copy(chunk, a[i:end])
		out = append(out, chunk)
	}
	return out, nil
}

func fnArrayContains(e *Expr, args []any, _ Options) (any, error) {
	a, err := e.array(args, 0)
	if err != nil {
		return nil, err
	}
	for _, x := range a {
		if jsonvalue.Equal(x, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(e *Expr, args []any, _ Options) (any, error) {
	var v [3]int64
	for i := range v {
		n, err := e.integer(args, i)
		if err != nil {
			return nil, err
		}
		v[i] = n
	}
	if v[2] == 0 {
		return nil, e.fail("the step (third argument) must not be 0")
	}
	count := (v[1]-v[0])/v[2] + 1
	if count < 0 {
		count = 0
	}
	if count > maxRangeItems {
		return nil, e.fail("the range would have %d items; at most %d are allowed", count, maxRangeItems)
	}
	out := make([]any, 0, count)
	for i := int64(0); i < count; i++ {
		out = append(out, float64(v[0]+i*v[2]))
	}
	return out, nil
}

func fnArrayGetItem(e *Expr, args []any, _ Options) (any, error) {
	a, err := e.array(args, 0)
	if err != nil {
		return nil, err
	}
	n, err := e.integer(args, 1)
	if err != nil {
		return nil, err
	}
	if n < 0 || n >= int64(len(a)) {
		return nil, e.fail("index %d is out of bounds for an array of length %d", n, len(a))
	}
	return a[n], nil
}

func fnArrayLength(e *Expr, args []any, _ Options) (any, error) {
	a, err := e.array(args, 0)
	if err != nil {
		return nil, err
	}
	return float64(len(a)), nil
}

func fnArrayUnique(e *Expr, args []any, _ Options) (any, error) {
	a, err := e.array(args, 0)
	if err != nil {
		return nil, err
	}
	// A set of canonical keys, not a scan of the items kept so far: that
	// was quadratic, minutes of CPU for a 256 KiB array of numbers.
	out := []any{}
	seen := make(map[string]bool, len(a))
	var kb strings.Builder
	for _, x := range a {
		kb.Reset()
		uniqueKey(&kb, x)
		if k := kb.String(); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out, nil
}

func fnBase64Encode(e *Expr, args []any, _ Options) (any, error) {
	s, err := e.str(args, 0)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(s) > maxEncodeChars {
		return nil, e.fail("the input has more than %d characters", maxEncodeChars)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(e *Expr, args []any, _ Options) (any, error) {
	s, err := e.str(args, 0)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(s) > maxEncodeChars {
		return nil, e.fail("the input has more than %d characters", maxEncodeChars)
	}
	b, derr := base64.StdEncoding.DecodeString(s)
	if derr != nil {
		return nil, e.fail("the argument is not valid base64: %s", preview(s))
	}
	return string(b), nil
}

func fnHash(e *Expr, args []any, _ Options) (any, error) {
	s, err := e.str(args, 0)
	if err != nil {
		return nil, err
	}
	alg, err := e.str(args, 1)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(s) > maxHashChars {
		return nil, e.fail("the input has more than %d characters", maxHashChars)
	}
	digest, ok := jsonvalue.Hash(alg, s)
	if !ok {
		return nil, e.fail("unsupported hash algorithm %s; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512", preview(alg))
	}
	return digest, nil
}

func fnJSONMerge(e *Expr, args []any, _ Options) (any, error) {
	a, ok1 := args[0].(map[string]any)
	b, ok2 := args[1].(map[string]any)
	if !ok1 || !ok2 {
		bad := 0
		if ok1 {
			bad = 1
		}
		return nil, e.fail("argument %d must be a JSON object, got %s", bad+1, typeOf(args[bad]))
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, e.fail("argument 3 must be a boolean, got %s", typeOf(args[2]))
	}
	if deep {
		return nil, e.fail("deep merge is not supported; the third argument must be false")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}

func fnMathRandom(e *Expr, args []any, opts Options) (any, error) {
	// AWS accepts non-integer bounds (12.5, 44.51 in the corpus) and works
	// with their integer parts.
	start, err := e.truncated(args, 0)
	if err != nil {
		return nil, err
	}
	end, err := e.truncated(args, 1)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, e.fail("the end (%d) must be greater than the start (%d)", end, start)
	}
	var f float64
	if len(args) == 3 {
		seed, err := e.truncated(args, 2)
		if err != nil {
			return nil, err
		}
		f = mrand.New(mrand.NewPCG(uint64(seed), uint64(seed))).Float64()
	} else if opts.Rand != nil {
		f = opts.Rand()
	} else {
		f = mrand.Float64()
	}
	return float64(start + int64(math.Floor(f*float64(end-start)))), nil
}

func fnMathAdd(e *Expr, args []any, _ Options) (any, error) {
	var sum int64
	for i := range args {
		f, ok := jsonvalue.Number(args[i])
		if !ok {
			return nil, e.fail("argument %d must be a number, got %s", i+1, typeOf(args[i]))
		}
		// Java's Math.round: half rounds up (towards positive infinity).
		r := math.Floor(f + 0.5)
		if r < math.MinInt32 || r > math.MaxInt32 {
			return nil, e.fail("argument %d (%s) is outside the 32-bit integer range", i+1, num(f))
		}
		sum += int64(r)
	}
	return float64(sum), nil
}

func fnStringSplit(e *Expr, args []any, _ Options) (any, error) {
	s, err := e.str(args, 0)
	if err != nil {
		return nil, err
	}
	sep, err := e.str(args, 1)
	if err != nil {
		return nil, err
	}
	// A set of the separator's characters: looking each character of s up
	// in sep was len(s)*len(sep) steps, hours for two 256 KiB strings.
	seps := make(map[rune]bool, len(sep))
	for _, r := range sep {
		seps[r] = true
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return seps[r] })
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fnUUID(_ *Expr, _ []any, opts Options) (any, error) {
	if opts.UUID != nil {
		return opts.UUID(), nil
	}
	return jsonvalue.UUID(), nil
}
