package sfnapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

func (v *validator) between(field string, n *int, min, max int) {
	if n != nil && (*n < min || *n > max) {
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value between %d and %d", *n, field, min, max))
	}
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

// pageToken is the opaque nextToken: the offset of the next item and the
// request it belongs to, so a token cannot be replayed against another
// listing.
type pageToken struct {
	Scope  string `json:"s"`
	Offset int    `json:"o"`
}

func encodeToken(scope string, offset int) *string {
	b, _ := json.Marshal(pageToken{scope, offset})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

func decodeToken(token *string, scope string) (int, error) {
	if token == nil || *token == "" {
		return 0, nil
	}
	bad := &apiError{Code: "InvalidToken", Message: fmt.Sprintf("Invalid Token: '%s'", preview(*token))}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil {
		return 0, bad
	}
	var t pageToken
	if json.Unmarshal(b, &t) != nil || t.Scope != scope || t.Offset < 0 {
		return 0, bad
	}
	return t.Offset, nil
}

// page returns the bounds of one page of n items and the next token.
func page(n int, maxResults *int, token *string, scope string) (lo, hi int, next *string, err error) {
	lo, err = decodeToken(token, scope)
	if err != nil {
		return 0, 0, nil, err
	}
	size := 100
	if maxResults != nil && *maxResults > 0 {
		size = *maxResults
	}
	if lo > n {
		lo = n
	}
	hi = min(lo+size, n)
	if hi < n {
		next = encodeToken(scope, hi)
	}
	return lo, hi, next, nil
}

// dataDetails is AWS's inputDetails/outputDetails shape.
type dataDetails struct {
	Included bool `json:"included"`
}
