// Package natsauth is Plaudit's NATS security: the operator, the accounts
// and the users that every NATS connection authenticates as, in NATS's own
// decentralised (JWT) model, and the credentials the engine issues to
// downstream services and rating publishers.
//
// One operator signs the accounts: the system account, through which the
// engine pushes account updates to the servers; the Plaudit account, which
// holds the event stream, the key-value buckets and every service subject,
// and whose only users are the engine's own connections (no restrictions);
// and an account per tenant for the users the engine issues, whose subject
// permissions are fixed by their role (permissions.go) and which imports
// from the Plaudit account only what its users may reach. A server trusts
// the operator and learns the accounts from a resolver; issuing a user or
// revoking one is an update of its tenant's account, which every server
// applies within moments.
//
// It is not an API-key store (package auth) and does not run a server
// (package natsembed).
package natsauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Names of the operator and the accounts, as they appear in JWTs and logs.
const (
	OperatorName = "plaudit"
	SystemName   = "SYS"
	AccountName  = "PLAUDIT"
)

// seed files in a keys directory; each holds one nkey seed.
const (
	operatorFile = "operator.nk"
	systemFile   = "system.nk"
	accountFile  = "account.nk"
)

// Keys is the key material of a Plaudit NATS deployment: the operator's
// key, and the keys of the system and Plaudit accounts. Whoever holds them
// can sign users, so the files are the operator's alone (mode 0600 in a
// directory of mode 0700); no seed is ever logged. It is safe for concurrent
// use.
type Keys struct {
	operator, system, account nkeys.KeyPair
}

// LoadOrCreate loads the keys in dir, creating dir and fresh keys when it
// holds none. A dir that holds some but not all keys is an error: minting
// a new account key would orphan every credential issued before.
func LoadOrCreate(dir string) (*Keys, error) {
	k, err := Load(dir)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, f := range []string{operatorFile, systemFile, accountFile} {
		if _, serr := os.Stat(filepath.Join(dir, f)); serr == nil {
			return nil, fmt.Errorf("natsauth: %s holds %s but not every key: %w", dir, f, err)
		}
	}
	return Create(dir)
}

// Create writes fresh keys into dir, which must not hold keys already.
func Create(dir string) (*Keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	k := &Keys{}
	var err error
	if k.operator, err = nkeys.CreateOperator(); err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	if k.system, err = nkeys.CreateAccount(); err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	if k.account, err = nkeys.CreateAccount(); err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	for f, kp := range map[string]nkeys.KeyPair{operatorFile: k.operator, systemFile: k.system, accountFile: k.account} {
		seed, err := kp.Seed()
		if err != nil {
			return nil, fmt.Errorf("natsauth: %w", err)
		}
		// O_EXCL: two starts racing on one dir must not each write keys.
		fh, err := os.OpenFile(filepath.Join(dir, f), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("natsauth: %w", err)
		}
		_, err = fh.Write(append(seed, '\n'))
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("natsauth: write %s: %w", f, err)
		}
	}
	return k, nil
}

// Load loads the keys in dir; a missing file is an os.ErrNotExist.
func Load(dir string) (*Keys, error) {
	k := &Keys{}
	for f, dst := range map[string]*nkeys.KeyPair{operatorFile: &k.operator, systemFile: &k.system, accountFile: &k.account} {
		path := filepath.Join(dir, f)
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("natsauth: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("natsauth: %s is readable by others (mode %v); it must be 0600", path, fi.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("natsauth: %w", err)
		}
		kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(b))))
		if err != nil {
			return nil, fmt.Errorf("natsauth: %s: not an nkey seed", path)
		}
		*dst = kp
	}
	for _, c := range []struct {
		kp     nkeys.KeyPair
		prefix byte
		file   string
	}{{k.operator, 'O', operatorFile}, {k.system, 'A', systemFile}, {k.account, 'A', accountFile}} {
		if pub, _ := c.kp.PublicKey(); !strings.HasPrefix(pub, string(c.prefix)) {
			return nil, fmt.Errorf("natsauth: %s holds the wrong kind of key", filepath.Join(dir, c.file))
		}
	}
	return k, nil
}

func publicKey(kp nkeys.KeyPair) string {
	pub, _ := kp.PublicKey() // a key pair made from a seed always has one
	return pub
}

// OperatorPublicKey is the operator's public key.
func (k *Keys) OperatorPublicKey() string { return publicKey(k.operator) }

// SystemAccount is the system account's public key.
func (k *Keys) SystemAccount() string { return publicKey(k.system) }

// Account is the Plaudit account's public key; JetStream keeps the
// account's streams in a directory of that name.
func (k *Keys) Account() string { return publicKey(k.account) }

// OperatorJWT is the operator's JWT, naming the system account.
func (k *Keys) OperatorJWT() (string, error) {
	oc := jwt.NewOperatorClaims(k.OperatorPublicKey())
	oc.Name = OperatorName
	oc.SystemAccount = k.SystemAccount()
	return oc.Encode(k.operator)
}

// OperatorClaims is the operator's JWT decoded, as a server's trusted
// operator.
func (k *Keys) OperatorClaims() (*jwt.OperatorClaims, error) {
	j, err := k.OperatorJWT()
	if err != nil {
		return nil, err
	}
	return jwt.DecodeOperatorClaims(j)
}

// SystemAccountJWT is the system account's JWT.
func (k *Keys) SystemAccountJWT() (string, error) {
	ac := jwt.NewAccountClaims(k.SystemAccount())
	ac.Name = SystemName
	return ac.Encode(k.operator)
}

// AccountJWT is the Plaudit account's JWT: JetStream on without limits,
// and the services tenant accounts import (TenantAccountJWT) exported.
// No user of the account is ever issued: the engine's users are minted at
// each start, and issued users live in their tenant's account.
func (k *Keys) AccountJWT() (string, error) {
	ac := jwt.NewAccountClaims(k.Account())
	ac.Name = AccountName
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	for _, e := range exports() {
		ac.Exports.Add(e)
	}
	return ac.Encode(k.operator)
}

// TenantAccount is the public key of the NATS account of tenant's issued
// users. Its key is derived from the Plaudit account's seed and the
// tenant, so nothing more is kept: the same keys give the same account.
func (k *Keys) TenantAccount(tenant string) (string, error) {
	kp, err := k.tenantKey(tenant)
	if err != nil {
		return "", err
	}
	return publicKey(kp), nil
}

func (k *Keys) tenantKey(tenant string) (nkeys.KeyPair, error) {
	seed, err := k.account.Seed()
	if err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	mac := hmac.New(sha256.New, seed)
	mac.Write([]byte("plaudit tenant account\x00" + tenant))
	kp, err := nkeys.FromRawSeed(nkeys.PrefixByteAccount, mac.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("natsauth: tenant account %s: %w", tenant, err)
	}
	return kp, nil
}

// TenantAccountJWT is the JWT of tenant's account: it imports, from the
// Plaudit account, exactly the services its users may reach (imports),
// and refuses every user in revoked. It has no JetStream of its own.
//
// Users of their own account is what keeps a request's reply subject from
// harming the engine: NATS does not check reply subjects against
// permissions, and a service answers on the reply subject it is given. A
// request crossing into the Plaudit account through an import gets a
// reply subject of the server's (_R_.…) that leads back into the tenant
// account only, whatever the user named.
func (k *Keys) TenantAccountJWT(tenant string, imports []Import, revoked []string) (string, error) {
	kp, err := k.tenantKey(tenant)
	if err != nil {
		return "", err
	}
	ac := jwt.NewAccountClaims(publicKey(kp))
	ac.Name = "tenant " + tenant
	for _, im := range imports {
		i := &jwt.Import{Name: im.Local, Subject: jwt.Subject(im.Subject), Account: k.Account(), Type: jwt.Service}
		if im.Local != im.Subject {
			i.LocalSubject = jwt.RenamingSubject(im.Local)
		}
		ac.Imports.Add(i)
	}
	for _, pub := range revoked {
		ac.RevokeAt(pub, RevokedForever)
	}
	return ac.Encode(k.operator)
}

// RevokedForever is the instant revocations name. A server refuses a
// user's JWT issued at or before its revocation instant; a revoked key is
// never issued again, so the revocation covers every JWT it will ever
// have. "Now" would not do: an engine whose clock is behind the one that
// issued the JWT would revoke nothing.
var RevokedForever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// User is a minted NATS user: its JWT, its seed and its public key.
type User struct {
	JWT    string
	Seed   []byte
	Public string
}

// Creds is the user as a standard NATS .creds file. It holds the seed: it
// is shown to whoever asked for it once and never stored.
func (u User) Creds() ([]byte, error) { return jwt.FormatUserConfig(u.JWT, u.Seed) }

// Option is the nats.go option that connects as the user.
func (u User) Option() nats.Option { return nats.UserJWTAndSeed(u.JWT, string(u.Seed)) }

// NewUser mints a user of the Plaudit account without restrictions: the
// engine's own.
func (k *Keys) NewUser(name string) (User, error) {
	return newUser(k.account, name, nil)
}

// NewTenantUser mints a user of tenant's account with the given
// permissions and a fresh key.
func (k *Keys) NewTenantUser(tenant, name string, perms *jwt.Permissions) (User, error) {
	kp, err := k.tenantKey(tenant)
	if err != nil {
		return User{}, err
	}
	return newUser(kp, name, perms)
}

// NewSystemUser mints a user of the system account: what the engine pushes
// account updates with.
func (k *Keys) NewSystemUser(name string) (User, error) {
	return newUser(k.system, name, nil)
}

func newUser(account nkeys.KeyPair, name string, perms *jwt.Permissions) (User, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return User{}, fmt.Errorf("natsauth: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return User{}, fmt.Errorf("natsauth: %w", err)
	}
	uc := jwt.NewUserClaims(publicKey(kp))
	uc.Name = name
	if perms != nil {
		// An issued user is a service's client connection: not a leaf
		// node, a websocket or MQTT client.
		uc.Permissions = *perms
		uc.AllowedConnectionTypes.Add(jwt.ConnectionTypeStandard)
	}
	j, err := uc.Encode(account)
	if err != nil {
		return User{}, fmt.Errorf("natsauth: sign user %s: %w", name, err)
	}
	return User{JWT: j, Seed: seed, Public: publicKey(kp)}, nil
}
