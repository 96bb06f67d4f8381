package sfnapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/statemachine/arn"
)

// epoch is a timestamp encoded as AWS JSON 1.0 does: a JSON number of
// seconds since the Unix epoch, with millisecond precision.
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func epochPtr(t *time.Time) *epoch {
	if t == nil || t.IsZero() {
		return nil
	}
	e := epoch(*t)
	return &e
}

// validator collects AWS-style member constraint violations.
type validator struct{ msgs []string }

func (v *validator) required(field string, set bool) {
	if !set {
		v.msgs = append(v.msgs, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
	}
}

func (v *validator) length(field string, s *string, min, max int) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	if n < min {
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", preview(*s), field, min))
	}
	if n > max {
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", preview(*s), field, max))
	}
}

// between checks a range constraint, worded as AWS words it: one bound at
// a time.
func (v *validator) between(field string, n *int, min, max int) {
	switch {
	case n == nil:
	case *n < min:
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *n, field, min))
	case *n > max:
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", *n, field, max))
	}
}

// checkArn checks that a present member is an ARN of kind k. It runs after the
// model constraints (required, length), as AWS answers those first, and
// answers InvalidArn with the parser's message.
func checkArn(s *string, k arn.Kind) error {
	if s == nil {
		return nil
	}
	if err := arn.Check(*s, k); err != nil {
		return &apiError{Code: "InvalidArn", Message: err.Error()}
	}
	return nil
}

func (v *validator) enum(field string, s *string, allowed ...string) {
	if s == nil {
		return
	}
	for _, a := range allowed {
		if *s == a {
			return
		}
	}
	v.msgs = append(v.msgs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", preview(*s), field, strings.Join(allowed, ", ")))
}

func (v *validator) err() error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return &apiError{Code: "ValidationException", Message: "1 validation error detected: " + v.msgs[0]}
	}
	return &apiError{Code: "ValidationException", Message: fmt.Sprintf("%d validation errors detected: %s", len(v.msgs), strings.Join(v.msgs, "; "))}
}

func preview(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

// pageToken is the opaque nextToken: the request it belongs to (so a token
// cannot be replayed against another listing), the key of the last item
// returned and its offset. The next page starts after that key, so items
// added to the front of a newest-first listing (or events appended to a
// reversed history) between calls neither repeat nor get skipped; the
// offset is the fallback when the key has gone.
type pageToken struct {
	Scope  string `json:"s"`
	Offset int    `json:"o"`
	Last   string `json:"k,omitempty"`
}

func encodeToken(scope string, offset int, last string) *string {
	b, _ := json.Marshal(pageToken{scope, offset, last})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

func decodeToken(token *string, scope string) (pageToken, error) {
	if token == nil || *token == "" {
		return pageToken{}, nil
	}
	bad := &apiError{Code: "InvalidToken", Message: fmt.Sprintf("Invalid Token: '%s'", preview(*token))}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil {
		return pageToken{}, bad
	}
	var t pageToken
	if json.Unmarshal(b, &t) != nil || t.Scope != scope || t.Offset < 0 {
		return pageToken{}, bad
	}
	return t, nil
}

// page returns the bounds of one page of the n items whose keys key(i)
// gives, in listing order, and the next token.
func page(n int, key func(int) string, maxResults *int, token *string, scope string) (lo, hi int, next *string, err error) {
	t, err := decodeToken(token, scope)
	if err != nil {
		return 0, 0, nil, err
	}
	lo = t.Offset
	if t.Last != "" {
		for i := range n {
			if key(i) == t.Last {
				lo = i + 1
				break
			}
		}
	}
	size := 100
	if maxResults != nil && *maxResults > 0 {
		size = *maxResults
	}
	lo = min(lo, n)
	hi = min(lo+size, n)
	if hi < n {
		next = encodeToken(scope, hi, key(hi-1))
	}
	return lo, hi, next, nil
}

// dataDetails is AWS's inputDetails/outputDetails shape.
type dataDetails struct {
	Included bool `json:"included"`
}
