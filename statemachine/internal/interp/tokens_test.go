package interp

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestTokenShape: task tokens carry 256 random bits, are URL-safe, and
// never start with "-" (the AWS CLI would take such a --task-token value
// for an option).
func TestTokenShape(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		tok := newToken()
		if strings.HasPrefix(tok, "-") || strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token %q starts with - or is not URL-safe", tok)
		}
		b, err := base64.RawURLEncoding.DecodeString(tok[1:])
		if err != nil || len(b) != 32 {
			t.Fatalf("token %q: %d random bytes (%v), want 32", tok, len(b), err)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}
