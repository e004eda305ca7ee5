package natsauth

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Bucket is the key-value bucket of issued NATS credentials: who holds
// which user, never a seed.
const Bucket = "plaudit_nats_creds"

// claimsUpdateSubject is where a system-account user sends an account JWT
// for every server of the cluster to store and apply.
const claimsUpdateSubject = "$SYS.REQ.CLAIMS.UPDATE"

// Errors callers branch on.
var (
	ErrNotFound      = errors.New("natsauth: no such credential")
	ErrConsumerTaken = errors.New("natsauth: a consumer of that name exists")
)

// Credential is an issued NATS user, as the registry keeps it.
type Credential struct {
	ID          string     `json:"id"`
	Tenant      string     `json:"tenant"`
	Role        Role       `json:"role"`
	Name        string     `json:"name"`
	User        string     `json:"user"`         // the user's public nkey
	InboxPrefix string     `json:"inbox_prefix"` // nats.CustomInboxPrefix to connect with
	Consumers   []Consumer `json:"consumers,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

// Request asks for a credential. The caller has checked its fields.
type Request struct {
	Tenant    string
	Role      Role
	Name      string
	Consumers []Consumer // downstream only; Name already ConsumerName
}

// Registry issues, lists and revokes NATS credentials, and keeps every
// server's copy of the tenant accounts (imports, revocations) current. It is safe for
// concurrent use; several engines may share one registry's bucket.
type Registry struct {
	keys      *Keys
	ratingOps []string
	kv        jetstream.KeyValue
	stream    jetstream.Stream
	sys       *nats.Conn
	log       *slog.Logger
}

// OpenRegistry creates or binds the credentials bucket. sys is a
// connection of a system-account user, through which account updates go;
// ratingOps are the command operations publishers may call, which every
// tenant account imports.
func OpenRegistry(ctx context.Context, store *eventstore.Store, replicas int, keys *Keys, sys *nats.Conn, ratingOps []string, log *slog.Logger) (*Registry, error) {
	kv, err := bucket.Open(ctx, store.JetStream(), jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "Plaudit NATS credentials issued, by id (public keys only)",
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	return &Registry{keys: keys, ratingOps: ratingOps, kv: kv, stream: store.Stream(), sys: sys, log: log.With("component", "natsauth")}, nil
}

func newID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "nc_" + hex.EncodeToString(b)
}

// Issue mints a user for req, creates its consumers and records it. It
// returns the credential and its .creds file, which holds the user's seed
// and is not kept anywhere.
func (r *Registry) Issue(ctx context.Context, req Request) (Credential, []byte, error) {
	c := Credential{
		ID: newID(), Tenant: req.Tenant, Role: req.Role, Name: req.Name,
		Consumers: req.Consumers, CreatedAt: time.Now().UTC().Truncate(time.Second),
	}
	c.InboxPrefix = InboxPrefix(c.ID)
	var perms *jwt.Permissions
	switch req.Role {
	case Downstream:
		perms = DownstreamPermissions(c.ID, req.Consumers)
	case Publisher:
		perms = PublisherPermissions(c.ID, req.Tenant, r.ratingOps)
	default:
		return Credential{}, nil, fmt.Errorf("natsauth: role %q cannot be issued", req.Role)
	}
	u, err := r.keys.NewTenantUser(req.Tenant, req.Tenant+"/"+c.ID, perms)
	if err != nil {
		return Credential{}, nil, err
	}
	c.User = u.Public
	var made []string
	undo := func() {
		for _, name := range made {
			_ = r.stream.DeleteConsumer(context.WithoutCancel(ctx), name)
		}
	}
	for _, cons := range req.Consumers {
		_, err := r.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       cons.Name,
			Description:   "downstream consumer of " + req.Tenant + " (NATS credential " + c.ID + ")",
			FilterSubject: cons.Filter,
			AckPolicy:     jetstream.AckExplicitPolicy,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			MaxAckPending: 10_000,
		})
		if errors.Is(err, jetstream.ErrConsumerExists) {
			undo()
			return Credential{}, nil, fmt.Errorf("%w: %s", ErrConsumerTaken, cons.Name)
		}
		if err != nil {
			undo()
			return Credential{}, nil, fmt.Errorf("natsauth: create consumer %s: %w", cons.Name, err)
		}
		made = append(made, cons.Name)
	}
	b, _ := json.Marshal(c)
	if _, err := r.kv.Create(ctx, "cred."+c.ID, b); err != nil {
		undo()
		return Credential{}, nil, fmt.Errorf("natsauth: record %s: %w", c.ID, err)
	}
	// The servers learn the tenant's account, with its imports of the new
	// consumers, before the credential is handed out.
	if err := r.pushTenant(ctx, req.Tenant); err != nil {
		return Credential{}, nil, err
	}
	creds, err := u.Creds()
	if err != nil {
		return Credential{}, nil, err
	}
	return c, creds, nil
}

// List returns the tenant's credentials, revoked ones included, oldest
// first.
func (r *Registry) List(ctx context.Context, tenant string) ([]Credential, error) {
	all, err := r.all(ctx)
	if err != nil {
		return nil, err
	}
	out := []Credential{}
	for _, c := range all {
		if c.Tenant == tenant {
			out = append(out, c)
		}
	}
	return out, nil
}

func (r *Registry) all(ctx context.Context) ([]Credential, error) {
	out, err := bucket.Values(ctx, r.kv, func(a, b Credential) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	if err != nil {
		return nil, fmt.Errorf("natsauth: list: %w", err)
	}
	return out, nil
}

// Revoke revokes the tenant's credential id: every server refuses its user
// from the moment the account update reaches it, and disconnects it if it
// is connected; its consumers are deleted. Revoking twice is not an error.
func (r *Registry) Revoke(ctx context.Context, tenant, id string) (Credential, error) {
	e, err := r.kv.Get(ctx, "cred."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return Credential{}, ErrNotFound
	}
	if err != nil {
		return Credential{}, fmt.Errorf("natsauth: revoke: %w", err)
	}
	var c Credential
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return Credential{}, fmt.Errorf("natsauth: stored credential %s: %w", id, err)
	}
	if c.Tenant != tenant {
		return Credential{}, ErrNotFound
	}
	if c.RevokedAt == nil {
		now := time.Now().UTC().Truncate(time.Second)
		c.RevokedAt = &now
		b, _ := json.Marshal(c)
		if _, err := r.kv.Update(ctx, "cred."+id, b, e.Revision()); err != nil {
			return Credential{}, fmt.Errorf("natsauth: revoke %s: %w", id, err)
		}
	}
	if err := r.pushTenant(ctx, tenant); err != nil {
		return Credential{}, err
	}
	for _, cons := range c.Consumers {
		if err := r.deleteConsumer(ctx, cons.Name); err != nil {
			return Credential{}, fmt.Errorf("natsauth: revoke %s: delete consumer %s: %w", id, cons.Name, err)
		}
	}
	return c, nil
}

// deleteConsumer deletes a consumer, gone already or not. The account
// update a revocation pushes briefly leaves the JetStream API without a
// responder, so that answer is tried again, for up to 10 s.
func (r *Registry) deleteConsumer(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := r.stream.DeleteConsumer(ctx, name)
		if err == nil || errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil
		}
		if !errors.Is(err, nats.ErrNoResponders) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-tick.C:
		}
	}
}

// Push brings the servers' accounts up to date with the registry: the
// Plaudit account's exports, and each tenant's account (its imports and
// revoked users), each only where the servers hold something else.
//
// An account update is not free: while a server applies one, the account's
// service imports are rebuilt, and a request in that moment finds no
// responder. Tenant accounts change only when their credentials do, and
// the Plaudit account only when a new version exports something else.
func (r *Registry) Push(ctx context.Context) error {
	if err := r.pushMain(ctx); err != nil {
		return err
	}
	all, err := r.all(ctx)
	if err != nil {
		return err
	}
	tenants := map[string]bool{}
	for _, c := range all {
		tenants[c.Tenant] = true
	}
	var errs []error
	for t := range tenants {
		errs = append(errs, r.pushTenant(ctx, t))
	}
	return errors.Join(errs...)
}

// pushMain pushes the Plaudit account if the servers' copy exports
// something else.
func (r *Registry) pushMain(ctx context.Context) error {
	j, err := r.keys.AccountJWT()
	if err != nil {
		return fmt.Errorf("natsauth: sign account: %w", err)
	}
	want, err := jwt.DecodeAccountClaims(j)
	if err != nil {
		return err
	}
	if current, err := lookupAccount(ctx, r.sys, r.keys.Account()); err == nil && sameExports(current, want) {
		return nil
	}
	return PushAccount(ctx, r.sys, j)
}

// pushTenant signs tenant's account from the registry's records (imports
// of the consumers of its credentials not revoked, the rating operations,
// the revoked users) and pushes it, unless the servers hold the same.
func (r *Registry) pushTenant(ctx context.Context, tenant string) error {
	list, err := r.List(ctx, tenant)
	if err != nil {
		return err
	}
	var consumers, revoked []string
	for _, c := range list {
		if c.RevokedAt != nil {
			revoked = append(revoked, c.User)
			continue
		}
		for _, cons := range c.Consumers {
			consumers = append(consumers, cons.Name)
		}
	}
	imports := TenantImports(tenant, r.ratingOps, consumers)
	acc, err := r.keys.TenantAccount(tenant)
	if err != nil {
		return err
	}
	if current, err := lookupAccount(ctx, r.sys, acc); err == nil && sameImports(current, imports) && sameRevocations(current, revoked) {
		return nil
	}
	j, err := r.keys.TenantAccountJWT(tenant, imports, revoked)
	if err != nil {
		return fmt.Errorf("natsauth: sign account of %s: %w", tenant, err)
	}
	return PushAccount(ctx, r.sys, j)
}

// sameExports reports whether a and b export the same subjects.
func sameExports(a, b *jwt.AccountClaims) bool {
	if len(a.Exports) != len(b.Exports) {
		return false
	}
	for i := range a.Exports {
		if a.Exports[i].Subject != b.Exports[i].Subject || a.Exports[i].ResponseType != b.Exports[i].ResponseType {
			return false
		}
	}
	return true
}

// sameImports reports whether ac imports exactly want.
func sameImports(ac *jwt.AccountClaims, want []Import) bool {
	if len(ac.Imports) != len(want) {
		return false
	}
	have := map[Import]bool{}
	for _, im := range ac.Imports {
		local := string(im.LocalSubject)
		if local == "" {
			local = string(im.Subject)
		}
		have[Import{string(im.Subject), local}] = true
	}
	for _, im := range want {
		if !have[im] {
			return false
		}
	}
	return true
}

// accountLookupSubject asks the servers for the account JWT they hold.
const accountLookupSubject = "$SYS.REQ.ACCOUNT.%s.CLAIMS.LOOKUP"

// lookupAccount is the account JWT a server holds, decoded.
func lookupAccount(ctx context.Context, sys *nats.Conn, account string) (*jwt.AccountClaims, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	msg, err := sys.RequestWithContext(ctx, fmt.Sprintf(accountLookupSubject, account), nil)
	if err != nil {
		return nil, err
	}
	return jwt.DecodeAccountClaims(string(msg.Data))
}

// sameRevocations reports whether ac revokes exactly the users in want,
// for good.
func sameRevocations(ac *jwt.AccountClaims, want []string) bool {
	if len(ac.Revocations) != len(want) {
		return false
	}
	for _, pub := range want {
		if got, ok := ac.Revocations[pub]; !ok || got != RevokedForever.Unix() {
			return false
		}
	}
	return true
}

// PushAccount sends an account JWT to the servers through sys, a
// system-account connection, and waits for one to accept it.
func PushAccount(ctx context.Context, sys *nats.Conn, accountJWT string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg, err := sys.RequestWithContext(ctx, claimsUpdateSubject, []byte(accountJWT))
	if err != nil {
		return fmt.Errorf("natsauth: push account: %w", err)
	}
	var resp struct {
		Error *struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return fmt.Errorf("natsauth: push account: reply %q: %w", msg.Data, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("natsauth: push account: %s (%d)", resp.Error.Description, resp.Error.Code)
	}
	return nil
}

// Run pushes the account again whenever the registry changes, wherever
// the change was made, until ctx ends: an engine sharing the cluster
// revokes through this one's servers too, and the last push each engine
// makes holds every revocation. It pushes once at the start, so a
// server that missed an update while down is brought up to date.
func (r *Registry) Run(ctx context.Context) error {
	push := func() {
		if err := r.Push(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("push account", "err", err)
		}
	}
	if err := bucket.Watch(ctx, r.kv, ">", push, func(jetstream.KeyValueEntry) { push() }); err != nil {
		return fmt.Errorf("natsauth: %w", err)
	}
	return nil
}
