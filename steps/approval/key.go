package approval

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// A signing key is kept as the base64 (standard alphabet) of its bytes, one
// line: in a file of the local stack's data directory, and in the SSM
// SecureString parameter Terraform generates on AWS.

// ParseKey decodes a key's text; where names it in errors.
func ParseKey(where, text string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("approval key %s: not base64: %v", where, err)
	}
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("approval key %s: %d bytes, want at least %d (generate a new one: delete the file and restart, or rotate the parameter)", where, len(key), MinKeyBytes)
	}
	return key, nil
}

// LoadOrCreateKey reads the key file at path, creating it with a new random
// key (mode 0600) when it does not exist. A key file others may read or write
// is refused: anyone who can read it can approve any export.
func LoadOrCreateKey(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		key := make([]byte, MinKeyBytes)
		if _, err := rand.Read(key); err != nil {
			f.Close()
			return nil, err
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("approval key %s: write: %w", path, err)
		}
		return key, nil
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("approval key %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("approval key %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("approval key %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("approval key %s: mode %04o lets other users read or change it; run: chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("approval key %s: %w", path, err)
	}
	return ParseKey(path, string(b))
}
