package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/feed"
)

// issued is a NATS credential as POST /v1/nats-credentials answered it,
// with its .creds written to a file of the test's.
type issued struct {
	natsauth.Credential
	File string
}

// issueCreds asks e for a NATS credential with an admin key.
func issueCreds(t *testing.T, e *enginetest.Engine, admin string, body map[string]any) issued {
	t.Helper()
	var got api.CreatedNATSCreds
	e.Do(t, "POST", "/v1/nats-credentials", admin, body).Want(t, http.StatusCreated).Decode(t, &got)
	if !strings.Contains(got.Creds, "BEGIN NATS USER JWT") || !strings.Contains(got.Creds, "BEGIN USER NKEY SEED") {
		t.Fatalf("the answer holds no .creds file: %q", got.Creds)
	}
	file := filepath.Join(t.TempDir(), got.ID+".creds")
	if err := os.WriteFile(file, []byte(got.Creds), 0o600); err != nil {
		t.Fatal(err)
	}
	return issued{Credential: got.Credential, File: file}
}

// violations collects the permission violations a connection is told of.
type violations struct {
	mu   sync.Mutex
	errs []string
	cond chan struct{}
}

func (v *violations) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.errs = append(v.errs, err.Error())
	select {
	case v.cond <- struct{}{}:
	default:
	}
}

// waitFor waits until a violation mentioning what (a verb and a subject)
// arrives, at most 5 s.
func (v *violations) waitFor(t *testing.T, verb, subject string) {
	t.Helper()
	want := verb + ` to "` + subject + `"`
	deadline := time.After(5 * time.Second)
	for {
		v.mu.Lock()
		for _, e := range v.errs {
			if strings.Contains(e, "Permissions Violation") && strings.Contains(e, want) {
				v.mu.Unlock()
				return
			}
		}
		v.mu.Unlock()
		select {
		case <-v.cond:
		case <-deadline:
			t.Fatalf("no permissions violation for %s; got %v", want, v.errs)
		}
	}
}

// connectAs connects to e's NATS port with an issued credential, its inbox
// prefix and a handler that records violations.
func connectAs(t *testing.T, e *enginetest.Engine, c issued, more ...nats.Option) (*nats.Conn, *violations) {
	t.Helper()
	v := &violations{cond: make(chan struct{}, 1)}
	opts := append([]nats.Option{
		nats.Name(t.Name()), nats.UserCredentials(c.File), nats.CustomInboxPrefix(c.InboxPrefix),
		nats.ErrorHandler(v.handler), nats.MaxReconnects(0),
	}, more...)
	nc, err := nats.Connect(e.NATSURL(), opts...)
	if err != nil {
		t.Fatalf("connect with %s: %v", c.ID, err)
	}
	t.Cleanup(nc.Close)
	return nc, v
}

// securedEngine starts an engine that exposes its NATS port, with members
// and kudos (one private) in tenants acme and globex.
func securedEngine(t *testing.T) (e *enginetest.Engine, acme, globex string) {
	t.Helper()
	e = enginetest.Start(t, engine.Config{NATSListen: testenv.FreeAddr(t)})
	acme, globex = e.Key(t, "acme", auth.Admin, ""), e.Key(t, "globex", auth.Admin, "")
	for _, admin := range []string{acme, globex} {
		e.Seed(t, admin,
			enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
			enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"})
		for _, vis := range []string{"public", "private"} {
			e.Do(t, "POST", "/v1/kudos", admin, map[string]any{
				"from": "ana", "to": []string{"bo"}, "visibility": vis,
				"message": "Thanks for taking over the refund escalation while I was in the onboarding session",
			}).Want(t, http.StatusCreated)
		}
	}
	return e, acme, globex
}

func TestNATSRefusesAnonymousAndForeignUsers(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{NATSListen: testenv.FreeAddr(t)})
	if _, err := nats.Connect(e.NATSURL(), nats.MaxReconnects(0)); err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Fatalf("anonymous connect: %v, want an authorization violation", err)
	}
	// A user signed by an account the server does not know.
	other, err := natsauth.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u, err := other.NewUser("intruder")
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(e.NATSURL(), u.Option(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a user of a foreign account connected")
	}
	// The keys are the operator's alone.
	for _, f := range []string{"operator.nk", "system.nk", "account.nk"} {
		fi, err := os.Stat(filepath.Join(e.NATSKeysDir(), f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, fi.Mode(), err)
		}
	}
}

func TestNATSDownstreamReadsItsTenantOnly(t *testing.T) {
	t.Parallel()
	e, acme, globex := securedEngine(t)
	cred := issueCreds(t, e, acme, map[string]any{"role": "downstream", "name": "billing"})
	if len(cred.Consumers) != 1 || cred.Consumers[0].Name != "ds4-acme-billing" || cred.Consumers[0].Filter != "plaudit.acme.>" {
		t.Fatalf("consumers %+v", cred.Consumers)
	}
	globexCred := issueCreds(t, e, globex, map[string]any{"role": "downstream", "name": "audit",
		"consumers": []map[string]string{{"name": "kudos", "filter": "plaudit.globex.kudos.>"}}})
	nc, v := connectAs(t, e, cred)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Its durable consumer delivers every acme event, and nothing else.
	info, err := e.Store.Stream().Info(ctx, jetstream.WithSubjectFilter("plaudit.acme.>"))
	if err != nil {
		t.Fatal(err)
	}
	var want int
	for _, n := range info.State.Subjects {
		want += int(n)
	}
	js, err := jetstream.NewWithAPIPrefix(nc, natsauth.DownstreamAPIPrefix)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(ctx, eventstore.DefaultStream, "ds4-acme-billing")
	if err != nil {
		t.Fatalf("downstream binds its consumer: %v", err)
	}
	got, kudos := 0, 0
	for got < want {
		batch, err := cons.Fetch(want-got, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if !strings.HasPrefix(m.Subject(), "plaudit.acme.") {
				t.Errorf("downstream of acme got %s", m.Subject())
			}
			if strings.HasSuffix(m.Subject(), ".given") {
				kudos++
			}
			if err := m.Ack(); err != nil {
				t.Fatal(err)
			}
		}
		if batch.Error() != nil || n == 0 {
			t.Fatalf("fetch: %v after %d of %d", batch.Error(), got, want)
		}
		got += n
	}
	if kudos != 2 {
		t.Errorf("downstream read %d kudos of acme, want 2", kudos)
	}

	// Everything else is refused by the server.
	refusedPub := []string{
		"plaudit.acme.kudos.ana.given",
		"plaudit.globex.kudos.ana.given",
		"$JS.API.CONSUMER.CREATE.PLAUDIT_EVENTS.acme-x.plaudit.acme.>",
		"$JS.API.CONSUMER.CREATE.PLAUDIT_EVENTS.acme-x.plaudit.globex.>",
		"$JS.API.CONSUMER.CREATE.PLAUDIT_EVENTS.ds4-acme-billing.plaudit.>",
		"$JS.API.CONSUMER.DURABLE.CREATE.PLAUDIT_EVENTS.acme-x",
		"$JS.API.CONSUMER.INFO.PLAUDIT_EVENTS." + globexCred.Consumers[0].Name,
		"$JS.API.CONSUMER.MSG.NEXT.PLAUDIT_EVENTS." + globexCred.Consumers[0].Name,
		natsauth.DownstreamAPIPrefix + ".CONSUMER.INFO.PLAUDIT_EVENTS." + globexCred.Consumers[0].Name,
		natsauth.DownstreamAPIPrefix + ".CONSUMER.MSG.NEXT.PLAUDIT_EVENTS." + globexCred.Consumers[0].Name,
		"$JS.API.CONSUMER.INFO.PLAUDIT_EVENTS.ds4-acme-billing",
		"$JS.API.CONSUMER.MSG.NEXT.PLAUDIT_EVENTS.proj_feed_",
		"$JS.API.CONSUMER.DELETE.PLAUDIT_EVENTS.ds4-acme-billing",
		"$JS.API.STREAM.UPDATE.PLAUDIT_EVENTS",
		"$JS.API.STREAM.DELETE.PLAUDIT_EVENTS",
		"$JS.API.STREAM.PURGE.PLAUDIT_EVENTS",
		"$JS.API.STREAM.INFO.PLAUDIT_EVENTS",
		"$JS.API.STREAM.MSG.GET.PLAUDIT_EVENTS",
		"$JS.API.DIRECT.GET.PLAUDIT_EVENTS",
		"$JS.API.STREAM.INFO.KV_plaudit_keys",
		"$JS.API.DIRECT.GET.KV_plaudit_keys.$KV.plaudit_keys.meta.bootstrapped",
		"$KV.plaudit_keys.key.forged",
		"plaudit-query.v1.feed.page",
		"plaudit-api.v1.acme.kudos.give",
		"plaudit-api.v1.acme.ratings.record",
		"plaudit-dlq.feed",
		"$SRV.PING",
	}
	for _, subj := range refusedPub {
		if err := nc.Publish(subj, []byte(`{"tenant":"acme","scope":"member:bo","viewer":"bo"}`)); err != nil {
			t.Fatal(err)
		}
		v.waitFor(t, "Publish", subj)
	}
	for _, subj := range []string{"plaudit.>", "plaudit.acme.>", "_INBOX.>", "$KV.plaudit_keys.>", "plaudit-api.>", "$JS.EVENT.>", globexCred.InboxPrefix + ".>"} {
		if _, err := nc.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
		v.waitFor(t, "Subscription", subj)
	}
	// The requests it may make cannot be turned on the engine through their
	// reply subject: the answers go back into the tenant's account, where
	// these subjects reach nothing.
	kv, err := e.Store.JetStream().KeyValue(ctx, "plaudit_keys")
	if err != nil {
		t.Fatal(err)
	}
	keysBefore, _ := kv.Status(ctx)
	for _, reply := range []string{
		"$JS.API.STREAM.DELETE.PLAUDIT_EVENTS",
		"$JS.API.STREAM.PURGE.KV_plaudit_keys",
		"$JS.API.CONSUMER.DELETE.PLAUDIT_EVENTS." + globexCred.Consumers[0].Name,
		"plaudit.globex.kudos.ana.given",
		"$KV.plaudit_keys.key.forged",
	} {
		for _, api := range []string{".CONSUMER.INFO.", ".CONSUMER.MSG.NEXT."} {
			m := nats.NewMsg(natsauth.DownstreamAPIPrefix + api + "PLAUDIT_EVENTS.ds4-acme-billing")
			m.Reply, m.Data = reply, []byte(`{"batch":1,"no_wait":true}`)
			if err := nc.PublishMsg(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Answered in order: once a request of its own is answered, those were.
	if _, err := nc.Request(natsauth.DownstreamAPIPrefix+".CONSUMER.INFO.PLAUDIT_EVENTS.ds4-acme-billing", nil, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Stream().Consumer(ctx, globexCred.Consumers[0].Name); err != nil {
		t.Errorf("globex's consumer: %v", err)
	}
	if keysAfter, err := kv.Status(ctx); err != nil || keysAfter.Values() != keysBefore.Values() {
		t.Errorf("the keys bucket went from %d to %v (%v)", keysBefore.Values(), keysAfter, err)
	}
	if _, err := kv.Get(ctx, "key.forged"); err == nil {
		t.Error("a key was written into the keys bucket")
	}

	// The stream is as it was.
	after, err := e.Store.Stream().Info(ctx)
	if err != nil {
		t.Fatalf("the stream: %v", err)
	}
	if after.Config.MaxMsgs != -1 || after.State.Msgs != info.State.Msgs {
		t.Errorf("stream changed: max msgs %d, msgs %d (was %d)", after.Config.MaxMsgs, after.State.Msgs, info.State.Msgs)
	}
}

func TestNATSPublisherReachesOnlyItsRatings(t *testing.T) {
	t.Parallel()
	e, acme, _ := securedEngine(t)
	cred := issueCreds(t, e, acme, map[string]any{"role": "publisher", "name": "cxone"})
	key := e.Key(t, "acme", auth.Publisher, "")
	nc, v := connectAs(t, e, cred)
	rating := func(interaction string) []byte {
		b, _ := json.Marshal(map[string]any{
			"platform": "cxone", "interaction_id": interaction, "agent": "bo", "score": 5, "scale": "stars_5",
			"channel": "voice", "occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		})
		return b
	}
	request := func(subject string, body []byte) *nats.Msg {
		t.Helper()
		m := nats.NewMsg(subject)
		m.Data = body
		m.Header.Set(api.HeaderAuthorization, "Bearer "+key)
		reply, err := nc.RequestMsg(m, 10*time.Second)
		if err != nil {
			t.Fatalf("request %s: %v", subject, err)
		}
		return reply
	}
	if r := request(natsauth.CommandSubject("acme", apiv1.OpRecordRating), rating("c-1")); r.Header.Get(api.HeaderStatus) != "201" {
		t.Fatalf("publisher records a rating: %v %s", r.Header, r.Data)
	}

	// A request whose reply subject names the stream's API is answered
	// into the publisher's own account, where that subject reaches
	// nothing: the stream stays.
	before := e.StreamLastSeq(t)
	bad := nats.NewMsg(natsauth.CommandSubject("acme", apiv1.OpRecordRating))
	bad.Data, bad.Reply = rating("c-bad"), "$JS.API.STREAM.DELETE."+eventstore.DefaultStream
	bad.Header.Set(api.HeaderAuthorization, "Bearer "+key)
	if err := nc.PublishMsg(bad); err != nil {
		t.Fatal(err)
	}
	// Handled in order: once the next request is answered and the gateway
	// has nothing in flight, the bad one is done with.
	if r := request(natsauth.CommandSubject("acme", apiv1.OpRecordRating), rating("c-2")); r.Header.Get(api.HeaderStatus) != "201" {
		t.Fatalf("second rating: %v %s", r.Header, r.Data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.Gateway.Drain(ctx)
	if got := e.StreamLastSeq(t); got != before+2 {
		t.Errorf("stream went from %d to %d, want both ratings and the stream still there", before, got)
	}

	for _, subj := range []string{
		natsauth.CommandSubject("globex", apiv1.OpRecordRating),
		natsauth.CommandSubject("acme", apiv1.OpGiveKudos),
		natsauth.CommandSubject("acme", apiv1.OpCreateKey),
		natsauth.CommandSubject("acme", apiv1.OpCreateNATSCreds),
		"plaudit.acme.rating.cxone.x.recorded",
		"$JS.API.STREAM.INFO.PLAUDIT_EVENTS",
		"$JS.API.CONSUMER.CREATE.PLAUDIT_EVENTS.x.plaudit.acme.>",
		"plaudit-query.v1.balance",
		"$KV.plaudit_keys.key.forged",
	} {
		if err := nc.Publish(subj, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		v.waitFor(t, "Publish", subj)
	}
	for _, subj := range []string{"plaudit.>", "_INBOX.>", "plaudit-api.>"} {
		if _, err := nc.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
		v.waitFor(t, "Subscription", subj)
	}
	// A key of another tenant is refused on acme's subject.
	globexKey := e.Key(t, "globex", auth.Publisher, "")
	m := nats.NewMsg(natsauth.CommandSubject("acme", apiv1.OpRecordRating))
	m.Data = rating("c-3")
	m.Header.Set(api.HeaderAuthorization, "Bearer "+globexKey)
	r, err := nc.RequestMsg(m, 10*time.Second)
	if err != nil || r.Header.Get(api.HeaderStatus) != "403" {
		t.Errorf("globex's key on acme's subject: %v %v %s", err, r.Header, r.Data)
	}
}

func TestNATSRevokedCredentialStopsWorking(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := testenv.FreeAddr(t)
	e := enginetest.Start(t, engine.Config{DataDir: dir, NATSListen: addr})
	acme := e.Key(t, "acme", auth.Admin, "")
	cred := issueCreds(t, e, acme, map[string]any{"role": "downstream", "name": "feed-sync"})
	kept := issueCreds(t, e, acme, map[string]any{"role": "publisher", "name": "cxone"})
	closed := make(chan struct{})
	connectAs(t, e, cred, nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	connectAs(t, e, kept)

	var listed api.NATSCredsList
	e.Do(t, "GET", "/v1/nats-credentials", acme, nil).Want(t, http.StatusOK).Decode(t, &listed)
	if len(listed.Credentials) != 2 {
		t.Fatalf("listed %+v", listed)
	}
	// Another tenant's admin neither sees nor revokes it.
	globex := e.Key(t, "globex", auth.Admin, "")
	e.Do(t, "GET", "/v1/nats-credentials", globex, nil).Want(t, http.StatusOK).Decode(t, &listed)
	if len(listed.Credentials) != 0 {
		t.Errorf("globex lists %+v", listed)
	}
	e.Do(t, "DELETE", "/v1/nats-credentials/"+cred.ID, globex, nil).WantProblem(t, http.StatusNotFound, "id")
	e.Do(t, "DELETE", "/v1/nats-credentials/"+cred.ID, e.Key(t, "acme", auth.Analyst, ""), nil).WantProblem(t, http.StatusForbidden, "Authorization")

	start := time.Now()
	e.Do(t, "DELETE", "/v1/nats-credentials/"+cred.ID, acme, nil).Want(t, http.StatusOK)
	select {
	case <-closed:
		t.Logf("revoked connection closed %v after the revocation was asked for", time.Since(start))
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked user is still connected after 10 s")
	}
	if nc, err := nats.Connect(e.NATSURL(), nats.UserCredentials(cred.File), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a revoked credential connects")
	}
	if nc, err := nats.Connect(e.NATSURL(), nats.UserCredentials(kept.File), nats.MaxReconnects(0)); err != nil {
		t.Fatalf("a credential not revoked: %v", err)
	} else {
		nc.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.Store.Stream().Consumer(ctx, cred.Consumers[0].Name); !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Errorf("the revoked credential's consumer: %v, want it deleted", err)
	}

	// It stays revoked across a restart of the engine.
	e.Stop()
	e = enginetest.Start(t, engine.Config{DataDir: dir, NATSListen: testenv.FreeAddr(t)})
	if nc, err := nats.Connect(e.NATSURL(), nats.UserCredentials(cred.File), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a revoked credential connects after a restart")
	}
}

func TestNATSCredentialsRequestsNameTheField(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{})
	acme := e.Key(t, "acme", auth.Admin, "")
	tests := []struct {
		name  string
		key   string
		body  map[string]any
		code  int
		field string
	}{
		{"no role", acme, map[string]any{"name": "x"}, 422, "role"},
		{"unknown role", acme, map[string]any{"role": "engine", "name": "x"}, 422, "role"},
		{"no name", acme, map[string]any{"role": "publisher"}, 422, "name"},
		{"bad name", acme, map[string]any{"role": "publisher", "name": "a.b"}, 422, "name"},
		{"publisher with consumers", acme, map[string]any{"role": "publisher", "name": "x", "consumers": []map[string]string{{"name": "y"}}}, 422, "consumers"},
		{"other tenant's filter", acme, map[string]any{"role": "downstream", "name": "x", "consumers": []map[string]string{{"name": "y", "filter": "plaudit.globex.>"}}}, 422, "consumers[0].filter"},
		{"every tenant's filter", acme, map[string]any{"role": "downstream", "name": "x", "consumers": []map[string]string{{"name": "y", "filter": "plaudit.*.kudos.>"}}}, 422, "consumers[0].filter"},
		{"filter escaping the tenant", acme, map[string]any{"role": "downstream", "name": "x", "consumers": []map[string]string{{"name": "y", "filter": "plaudit.acme"}}}, 422, "consumers[0].filter"},
		{"bad consumer name", acme, map[string]any{"role": "downstream", "name": "x", "consumers": []map[string]string{{"name": "y z"}}}, 422, "consumers[0].name"},
		{"member key", e.Key(t, "acme", auth.Member, ""), map[string]any{"role": "publisher", "name": "x"}, 403, "Authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Do(t, "POST", "/v1/nats-credentials", tt.key, tt.body).WantProblem(t, tt.code, tt.field)
		})
	}
	// A consumer name is the tenant's once.
	issueCreds(t, e, acme, map[string]any{"role": "downstream", "name": "sync"})
	e.Do(t, "POST", "/v1/nats-credentials", acme, map[string]any{"role": "downstream", "name": "sync"}).WantProblem(t, http.StatusConflict, "consumers")
}

// TestSecretsAreNeverStored: an API key or a .creds file created with an
// Idempotency-Key is answered once; what is kept for a retry holds no
// secret, and the retry says it was shown before.
func TestSecretsAreNeverStored(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{})
	admin := e.Key(t, "acme", auth.Admin, "")
	do := func(path string, body any) map[string]any {
		t.Helper()
		var out map[string]any
		e.DoWith(t, "POST", path, admin, body, map[string]string{"Idempotency-Key": "once-" + path}).Decode(t, &out)
		return out
	}
	key := do("/v1/keys", map[string]any{"role": "analyst"})
	creds := do("/v1/nats-credentials", map[string]any{"role": "publisher", "name": "cxone"})
	secret, seed := key["key"].(string), creds["creds"].(string)
	if len(secret) < 16 || !strings.Contains(seed, "NKEY SEED") {
		t.Fatalf("first answers %v %v", key, creds)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := e.Store.JetStream().KeyValue(ctx, "plaudit_idempotency")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k := range keys.Keys() {
		entry, err := kv.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if strings.Contains(string(entry.Value()), secret) || strings.Contains(string(entry.Value()), "SEED") {
			t.Errorf("the idempotency bucket keeps a secret under %s", k)
		}
	}
	if n < 2 {
		t.Fatalf("%d answers kept, want both", n)
	}
	again := do("/v1/keys", map[string]any{"role": "analyst"})
	if again["key"] != nil || again["id"] != key["id"] || again["note"] == nil {
		t.Errorf("retried key answer %v", again)
	}
	if again := do("/v1/nats-credentials", map[string]any{"role": "publisher", "name": "cxone"}); again["creds"] != nil || again["id"] != creds["id"] {
		t.Errorf("retried creds answer %v", again)
	}
}

// TestDataDirIsTheEnginesAlone: the data dir, the projections' stores and
// the directory they are in are mode 0700, even where they existed before
// with a wider mode.
func TestDataDirIsTheEnginesAlone(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dir, "projections", "feed.pebble"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := enginetest.Start(t, engine.Config{DataDir: dir, Modules: []projector.Module{feed.Module()}})
	e.CaughtUp(t, 10*time.Second)
	stores, _ := filepath.Glob(filepath.Join(dir, "projections", "*"))
	if len(stores) == 0 {
		t.Fatal("no projection store")
	}
	for _, d := range append([]string{dir, filepath.Join(dir, "projections")}, stores...) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir() && fi.Mode().Perm() != 0o700 {
			t.Errorf("%s is mode %v, want 0700", d, fi.Mode().Perm())
		}
	}
}

// TestReadinessNamesAProjectionWithoutItsStream: a projection that cannot
// serve (here: its stream is gone) makes /readyz answer 503 naming it.
func TestReadinessNamesAProjectionWithoutItsStream(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{Modules: []projector.Module{feed.Module()}})
	e.CaughtUp(t, 10*time.Second)
	e.Do(t, "GET", "/readyz", "", nil).Want(t, http.StatusOK)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Store.JetStream().DeleteStream(ctx, eventstore.DefaultStream); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, func() bool {
		r := e.Do(t, "GET", "/readyz", "", nil)
		return r.Status == http.StatusServiceUnavailable && strings.Contains(string(r.Body), "projection feed")
	})
}
