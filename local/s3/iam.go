package s3

import (
	"github.com/versity/versitygw/auth"
	"github.com/versity/versitygw/s3err"
)

// Conventional credentials of local AWS emulators, accepted in addition to
// [Options].AccessKey / SecretKey so that `aws s3 ls` works with the keys
// people already export for local stacks. Not secrets: the server listens
// on the loopback interface.
const (
	ConventionalAccessKey = "test"
	ConventionalSecretKey = "test"
)

// localIAM accepts a fixed set of keys, each with full rights (VersityGW's
// admin role bypasses bucket policies and ACLs, as the root user does), so
// buckets created with one key are fully usable with another. Without it
// VersityGW's single-account mode knows one key only and answers any other
// with XAdminUserNotFound.
type localIAM struct {
	accounts map[string]auth.Account
}

var _ auth.IAMService = localIAM{}

func newLocalIAM(keys map[string]string) localIAM {
	m := make(map[string]auth.Account, len(keys))
	for access, secret := range keys {
		m[access] = auth.Account{Access: access, Secret: secret, Role: auth.RoleAdmin}
	}
	return localIAM{accounts: m}
}

func (l localIAM) GetUserAccount(access string) (auth.Account, error) {
	if a, ok := l.accounts[access]; ok {
		return a, nil
	}
	return auth.Account{}, auth.ErrNoSuchUser
}

func (l localIAM) ResolveAccounts(ids []string) ([]string, error) {
	missing := []string{}
	for _, id := range ids {
		if _, ok := l.accounts[id]; !ok {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

func (localIAM) CreateAccount(auth.Account) error { return notSupported() }
func (localIAM) UpdateUserAccount(string, auth.MutableProps) error {
	return notSupported()
}
func (localIAM) DeleteUserAccount(string) error { return notSupported() }
func (l localIAM) ListUserAccounts() ([]auth.Account, error) {
	var out []auth.Account
	for _, a := range l.accounts {
		out = append(out, a)
	}
	return out, nil
}
func (localIAM) Shutdown() error { return nil }

func notSupported() error { return s3err.GetAPIError(s3err.ErrAdminMethodNotSupported) }
