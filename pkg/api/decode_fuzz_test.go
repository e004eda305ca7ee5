package api

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
)

// FuzzDecode feeds arbitrary bodies to the request decoder of every body
// shape: it must never panic, and every refusal must be a 4xx problem that
// names a field.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"from":"ana","to":["bo","cy"],"message":"Thanks for taking the escalated refund call","values":["ownership"],"points":1,"visibility":"public"}`,
		`{"platform":"cxone","interaction_id":"c-981","agent":"bo","score":5,"scale":"stars_5","occurred_at":"2026-11-22T10:15:00Z"}`,
		`{"allowance":{"amount":5,"period":"day"},"values":["ownership"]}`,
		`{"name":"Ana Silva","team":"support-emea","time_zone":"Europe/Lisbon"}`,
		`[]`, `{"to":"bo"}`, `{"points":"1"}`, `{} {}`, `{"x":1}`, ``, `{`, `null`,
		`{"role":"downstream","name":"billing","consumers":[{"name":"kudos","filter":"plaudit.acme.kudos.>"}]}`,
		`{"members":[{"id":"fay","name":"Fay","team":"sales","time_zone":"UTC"}]}`,
		`{"to":["bo"],"to":["cy"]}`, `{"To":["bo"]}`, `{"members":[{"id":"a","ID":"b"}]}`,
	} {
		f.Add([]byte(seed))
	}
	shapes := []func() any{
		func() any { return &apiv1.GiveRequest{} }, func() any { return &apiv1.RatingRequest{} }, func() any { return &apiv1.PolicyRequest{} },
		func() any { return &apiv1.MemberRequest{} }, func() any { return &apiv1.ReactRequest{} }, func() any { return &apiv1.RetractRequest{} },
		func() any { return &apiv1.BoostRequest{} }, func() any { return &apiv1.KeyRequest{} }, func() any { return &apiv1.NATSCredsRequest{} },
		func() any { return &apiv1.ImportRequest{} },
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, shape := range shapes {
			err := decode(body, shape())
			if err == nil {
				continue
			}
			var p *apiv1.Problem
			if !errors.As(err, &p) {
				t.Fatalf("decode(%q) = %v, not a problem", body, err)
			}
			if p.Status < 400 || p.Status >= 500 || p.Field == "" {
				t.Fatalf("decode(%q) = %+v: want a 4xx problem naming a field", body, p)
			}
		}
	})
}

// FuzzNATSRequest feeds arbitrary subjects and headers of NATS requests to
// the code that makes them calls: it must never panic, and the tenant it
// reads is either a valid id or one no key has, never "" (which would let
// any key's tenant through).
func FuzzNATSRequest(f *testing.F) {
	f.Add("plaudit-api.v1.acme.ratings.record", "Bearer plk_x", "k-1", "")
	f.Add("plaudit-api.v1..ratings.record", "", "", "")
	f.Add("plaudit-api.v1", "bearer", "", "id")
	f.Add("plaudit-api.v1.*.kudos.give", "Basic x", "", "")
	f.Add("", "Bearer  ", "", "")
	f.Fuzz(func(t *testing.T, subject, authz, idem, id string) {
		h := nats.Header{}
		h.Set(HeaderAuthorization, authz)
		h.Set(HeaderIdempotencyKey, idem)
		h.Set(HeaderID, id)
		c := natsCall(apiv1.OpRecordRating, subject, h, []byte(`{}`))
		if c.Tenant == "" || (c.Tenant != "-" && !event.ValidID(c.Tenant)) {
			t.Fatalf("subject %q gave tenant %q", subject, c.Tenant)
		}
		// A key comes only from a Bearer value, and is all of it.
		if c.Key != "" && (len(authz) <= 7 || !strings.EqualFold(authz[:7], "bearer ") || c.Key != strings.TrimSpace(authz[7:])) {
			t.Fatalf("Authorization %q gave key %q", authz, c.Key)
		}
	})
}
