package natsauth

import (
	"fmt"
	"strings"
)

// ServerConfig is the part of a nats-server configuration that makes it
// trust the keys: the operator, the system account, and the accounts a
// resolver starts out with. It holds JWTs, which are public, and no seed.
// Each server's own configuration adds the resolver (type full, a dir of
// its own): a full resolver keeps the account JWTs it is sent
// (revocations among them) and shares them with the other servers of its
// cluster, so a server that was down when a credential was revoked
// learns of it.
func ServerConfig(k *Keys) (string, error) {
	op, err := k.OperatorJWT()
	if err != nil {
		return "", err
	}
	sys, err := k.SystemAccountJWT()
	if err != nil {
		return "", err
	}
	acc, err := k.AccountJWT()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Plaudit NATS authentication, written by plauditd nats-init. Every\n")
	fmt.Fprintf(&b, "# connection authenticates as a user of an account the operator signed: %s\n", AccountName)
	fmt.Fprintf(&b, "# for the engines, one per tenant (pushed by the engines) for issued users.\n")
	fmt.Fprintf(&b, "operator: %s\n", op)
	fmt.Fprintf(&b, "system_account: %s\n", k.SystemAccount())
	fmt.Fprintf(&b, "resolver_preload: {\n  # %s\n  %s: %s\n  # %s\n  %s: %s\n}\n", SystemName, k.SystemAccount(), sys, AccountName, k.Account(), acc)
	return b.String(), nil
}
