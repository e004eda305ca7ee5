package api

import (
	"errors"
	"testing"
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
	} {
		f.Add([]byte(seed))
	}
	shapes := []func() any{
		func() any { return &giveBody{} }, func() any { return &ratingBody{} }, func() any { return &policyBody{} },
		func() any { return &memberBody{} }, func() any { return &reactBody{} }, func() any { return &retractBody{} },
		func() any { return &boostBody{} }, func() any { return &keyBody{} },
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, shape := range shapes {
			err := decode(body, shape())
			if err == nil {
				continue
			}
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("decode(%q) = %v, not a problem", body, err)
			}
			if p.Status < 400 || p.Status >= 500 || p.Field == "" {
				t.Fatalf("decode(%q) = %+v: want a 4xx problem naming a field", body, p)
			}
		}
	})
}
