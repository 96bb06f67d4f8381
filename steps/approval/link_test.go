package approval

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

var (
	testKey  = bytes.Repeat([]byte{7}, 32)
	otherKey = bytes.Repeat([]byte{8}, 32)
	now      = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
)

func testLink() Link {
	return Link{Execution: "exp-42", Request: RequestDigest("arn:aws:states:eu-west-1:123456789012:execution:export:exp-42", 0), Expires: now.Add(24 * time.Hour)}
}

func sign(t *testing.T, key []byte, l Link) url.Values {
	t.Helper()
	q, err := Sign(key, l)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestVerifyValidLink(t *testing.T) {
	l := testLink()
	q := sign(t, testKey, l)
	// Through a URL and back, as an approver's mail client would carry it.
	u, _ := url.Parse("https://example.invalid/approval?" + q.Encode())
	got, err := Verify(testKey, u.Query(), now)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got != l {
		t.Fatalf("Verify = %+v, want %+v", got, l)
	}
}

func TestVerifyRefusesTamperedFields(t *testing.T) {
	q := sign(t, testKey, testLink())
	changes := map[string]string{
		ParamExecution: "exp-43",
		ParamRequest:   RequestDigest("arn:aws:states:eu-west-1:123456789012:execution:export:exp-42", 1),
		ParamExpires:   strconv.FormatInt(now.Add(48*time.Hour).Unix(), 10),
		ParamSignature: q.Get(ParamSignature)[:10] + "AAAA" + q.Get(ParamSignature)[14:],
	}
	for field, v := range changes {
		t.Run(field, func(t *testing.T) {
			bad := url.Values{}
			for k, vs := range q {
				bad[k] = append([]string(nil), vs...)
			}
			bad.Set(field, v)
			_, err := Verify(testKey, bad, now)
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("changed %s: err = %v, want ErrBadSignature", field, err)
			}
		})
	}
}

func TestVerifyRefusesMalformedLinks(t *testing.T) {
	q := sign(t, testKey, testLink())
	for _, tc := range []struct {
		name  string
		edit  func(url.Values)
		field string
	}{
		{"no execution", func(v url.Values) { v.Del(ParamExecution) }, ParamExecution},
		{"two signatures", func(v url.Values) { v.Add(ParamSignature, "x") }, ParamSignature},
		{"expiry not a number", func(v url.Values) { v.Set(ParamExpires, "tomorrow") }, ParamExpires},
		{"signature not base64url", func(v url.Values) { v.Set(ParamSignature, "+/=") }, ParamSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := url.Values{}
			for k, vs := range q {
				bad[k] = append([]string(nil), vs...)
			}
			tc.edit(bad)
			_, err := Verify(testKey, bad, now)
			var le *LinkError
			if !errors.As(err, &le) || !errors.Is(err, ErrMalformed) || le.Field != tc.field {
				t.Fatalf("err = %v, want ErrMalformed on %q", err, tc.field)
			}
		})
	}
}

func TestVerifyRefusesExpiredLink(t *testing.T) {
	l := testLink()
	q := sign(t, testKey, l)
	if _, err := Verify(testKey, q, l.Expires.Add(-time.Second)); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	_, err := Verify(testKey, q, l.Expires)
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: err = %v, want ErrExpired", err)
	}
}

func TestVerifyRefusesOtherKey(t *testing.T) {
	q := sign(t, otherKey, testLink())
	if _, err := Verify(testKey, q, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("err = %v, want ErrBadSignature", err)
	}
}

func TestShortKeysRefused(t *testing.T) {
	if _, err := Sign(testKey[:31], testLink()); err == nil {
		t.Fatal("Sign accepted a 31-byte key")
	}
	if _, err := Verify(testKey[:31], url.Values{}, now); err == nil {
		t.Fatal("Verify accepted a 31-byte key")
	}
}

func TestFieldsCannotBeShiftedBetweenEachOther(t *testing.T) {
	// Without length prefixes, execution "a\nb" + token "c" and execution "a"
	// + token "b\nc" would sign the same bytes.
	a := Link{Execution: "a\nb", Request: "c", Expires: now.Add(time.Hour)}
	b := Link{Execution: "a", Request: "b\nc", Expires: now.Add(time.Hour)}
	if bytes.Equal(a.message(), b.message()) {
		t.Fatal("two different links share a signed message")
	}
}

func TestFormToken(t *testing.T) {
	q := sign(t, testKey, testLink())
	tok := FormToken(testKey, q)
	if !CheckFormToken(testKey, q, tok) {
		t.Fatal("the page's own form token is refused")
	}
	if CheckFormToken(otherKey, q, tok) {
		t.Fatal("a form token made with another key is accepted")
	}
	other := sign(t, testKey, Link{Execution: "exp-43", Request: "x", Expires: now.Add(time.Hour)})
	if CheckFormToken(testKey, other, tok) {
		t.Fatal("one link's form token decides another link")
	}
	if CheckFormToken(testKey, q, "") || CheckFormToken(testKey, q, "%%%") {
		t.Fatal("an empty or garbled form token is accepted")
	}
	if tok == q.Get(ParamSignature) {
		t.Fatal("the form token equals the link signature: a link holder could forge the POST")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "approval.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("new key file mode %04o, want 0600", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %v, same key %v", err, bytes.Equal(k1, k2))
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("a world-readable key file is accepted")
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("c2hvcnQ=\n"), 0o600)
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("a 5-byte key is accepted")
	}
}
