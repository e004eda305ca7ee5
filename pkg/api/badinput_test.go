package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/engine"
)

// TestBadInput sends bad requests through the real server: each gets a
// problem with the right status naming the field at fault, and none
// changes the stream.
func TestBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{})
	kudos := f.give(t, f.keys["ana"], http.StatusCreated, nil, nil).Str("id")
	ana, bo, admin := f.keys["ana"], f.keys["bo"], f.admin

	// kudosJSON is a valid kudos body from ana (or the key's member) with
	// one field replaced by raw JSON; "" drops the field.
	kudosJSON := func(field, raw string) string {
		fields := map[string]string{
			"to": `["bo"]`, "message": fmt.Sprintf("%q", specific), "values": `["ownership"]`, "points": "1",
		}
		if raw == "" {
			delete(fields, field)
		} else {
			fields[field] = raw
		}
		var parts []string
		for k, v := range fields {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	rating := func(field string, v any) map[string]any {
		r := f.rating("bo", "call-"+uuid.NewString())
		if v == nil {
			delete(r, field)
		} else {
			r[field] = v
		}
		return r
	}
	recipients := make([]string, 21)
	for i := range recipients {
		recipients[i] = fmt.Sprintf("m%d", i)
	}

	tests := []struct {
		name    string
		method  string
		path    string
		key     string
		body    any
		headers map[string]string
		status  int
		field   string
	}{
		// Body shape.
		{"malformed JSON", "POST", "/v1/kudos", ana, `{"to":["bo"],"message":`, nil, 400, "body"},
		{"broken JSON", "POST", "/v1/kudos", ana, `{"to":["bo"] "message":"x"}`, nil, 400, "body"},
		{"array instead of object", "POST", "/v1/kudos", ana, `[{"to":["bo"]}]`, nil, 400, "body"},
		{"null instead of object", "POST", "/v1/kudos", ana, `null`, nil, 400, "body"},
		{"string instead of object", "POST", "/v1/kudos", ana, `"kudos"`, nil, 400, "body"},
		{"empty body", "POST", "/v1/kudos", ana, ``, nil, 400, "body"},
		{"blank body", "POST", "/v1/kudos", ana, " \n\t", nil, 400, "body"},
		{"to as string", "POST", "/v1/kudos", ana, kudosJSON("to", `"bo"`), nil, 400, "to"},
		{"points as string", "POST", "/v1/kudos", ana, kudosJSON("points", `"1"`), nil, 400, "points"},
		{"points as fraction", "POST", "/v1/kudos", ana, kudosJSON("points", `1.5`), nil, 400, "points"},
		{"score as string", "POST", "/v1/ratings", f.keys["publisher"], rating("score", "5"), nil, 400, "score"},
		{"policy amount as string", "PUT", "/v1/policy", admin, `{"allowance":{"amount":"5","period":"day"}}`, nil, 400, "allowance.amount"},
		{"unknown field", "POST", "/v1/kudos", ana, kudosJSON("colour", `"gold"`), nil, 400, "colour"},
		{"trailing object", "POST", "/v1/kudos", ana, kudosJSON("points", "1") + `{}`, nil, 400, "body"},
		{"trailing garbage", "POST", "/v1/kudos", ana, kudosJSON("points", "1") + `x`, nil, 400, "body"},
		{"oversized body", "POST", "/v1/kudos", ana, kudosJSON("message", fmt.Sprintf("%q", strings.Repeat("a", 100<<10))), nil, 413, "body"},
		{"long Idempotency-Key", "POST", "/v1/kudos", ana, kudosJSON("points", "1"), map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, 400, "Idempotency-Key"},

		// Kudos rules.
		{"message too long", "POST", "/v1/kudos", ana, kudosJSON("message", fmt.Sprintf("%q", strings.Repeat("é", 2001))), nil, 422, "message"},
		{"message too short", "POST", "/v1/kudos", ana, kudosJSON("message", `"Thanks, Bo!"`), nil, 422, "message"},
		{"message missing", "POST", "/v1/kudos", ana, kudosJSON("message", ""), nil, 422, "message"},
		{"generic message", "POST", "/v1/kudos", ana, kudosJSON("message", `"Great job, thanks so much everyone!!!"`), nil, 422, "message"},
		{"empty to", "POST", "/v1/kudos", ana, kudosJSON("to", `[]`), nil, 422, "to"},
		{"missing to", "POST", "/v1/kudos", ana, kudosJSON("to", ""), nil, 422, "to"},
		{"duplicate recipients", "POST", "/v1/kudos", ana, kudosJSON("to", `["bo","cy","bo"]`), nil, 422, "to"},
		{"21 recipients", "POST", "/v1/kudos", ana, map[string]any{"to": recipients, "message": specific}, nil, 422, "to"},
		{"self-kudos", "POST", "/v1/kudos", ana, kudosJSON("to", `["bo","ana"]`), nil, 422, "to"},
		{"unknown member", "POST", "/v1/kudos", ana, kudosJSON("to", `["nobody"]`), nil, 422, "to"},
		{"invalid member id", "POST", "/v1/kudos", ana, kudosJSON("to", `["Bo Smith"]`), nil, 422, "to"},
		{"inactive member", "POST", "/v1/kudos", ana, kudosJSON("to", `["eli"]`), nil, 422, "to"},
		{"other tenant's member", "POST", "/v1/kudos", ana, kudosJSON("to", `["zed"]`), nil, 422, "to"},
		{"points 0", "POST", "/v1/kudos", ana, kudosJSON("points", "0"), nil, 422, "points"},
		{"points 101", "POST", "/v1/kudos", ana, kudosJSON("points", "101"), nil, 422, "points"},
		{"points over allowance", "POST", "/v1/kudos", ana, kudosJSON("points", "5"), nil, 422, "points"},
		{"bad visibility", "POST", "/v1/kudos", ana, kudosJSON("visibility", `"secret"`), nil, 422, "visibility"},
		{"value not in tenant list", "POST", "/v1/kudos", ana, kudosJSON("values", `["speed"]`), nil, 422, "values"},
		{"duplicate value", "POST", "/v1/kudos", ana, kudosJSON("values", `["kindness","kindness"]`), nil, 422, "values"},
		{"bad channel", "POST", "/v1/kudos", admin, `{"from":"ana","to":["bo"],"message":"` + specific + `","channel":"fax"}`, nil, 422, "channel"},
		{"stream after the last sequence there can be", "GET", "/v1/stream?after=18446744073709551615", ana, nil, nil, 400, "after"},
		{"stream after past 64 bits", "GET", "/v1/stream?after=18446744073709551616", ana, nil, nil, 400, "after"},
		{"member giving as rule", "POST", "/v1/kudos", ana, kudosJSON("channel", `"rule"`), nil, 403, "channel"},
		{"member naming a channel", "POST", "/v1/kudos", ana, kudosJSON("channel", `"api"`), nil, 403, "channel"},
		{"member claiming a cause", "POST", "/v1/kudos", ana, kudosJSON("cause", `{"event_id":"`+kudos+`","type":"plaudit.feedback.rating_received.v1"}`), nil, 403, "cause"},
		{"duplicate key", "POST", "/v1/kudos", ana, `{"to":["bo"],"message":"` + specific + `","points":1,"points":5}`, nil, 400, "points"},
		{"duplicate nested key", "PUT", "/v1/policy", admin, `{"allowance":{"amount":5,"period":"day","amount":50}}`, nil, 400, "allowance.amount"},
		{"case-folded key", "POST", "/v1/kudos", ana, `{"To":["bo"],"message":"` + specific + `"}`, nil, 400, "To"},
		{"case-folded nested key", "PUT", "/v1/policy", admin, `{"allowance":{"Amount":5,"period":"day"}}`, nil, 400, "allowance.Amount"},
		{"duplicate key in an array's object", "PUT", "/v1/members", admin, `{"members":[{"id":"fay","id":"gus","name":"Fay","team":"sales","time_zone":"UTC"}]}`, nil, 400, "members[0].id"},
		{"text/plain body", "POST", "/v1/kudos", ana, kudosJSON("points", "1"), map[string]string{"Content-Type": "text/plain"}, 415, "Content-Type"},
		{"form body", "POST", "/v1/kudos", ana, kudosJSON("points", "1"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "Content-Type"},
		{"cause without event_id", "POST", "/v1/kudos", admin, `{"from":"ana","to":["bo"],"message":"` + specific + `","cause":{"type":"x"}}`, nil, 422, "cause"},
		{"integration without from", "POST", "/v1/kudos", f.keys["integration"], kudosJSON("points", "1"), nil, 422, "from"},
		{"admin from a left member", "POST", "/v1/kudos", admin, `{"from":"eli","to":["bo"],"message":"` + specific + `"}`, nil, 422, "from"},

		// Ratings.
		{"stars_5 score 6", "POST", "/v1/ratings", f.keys["publisher"], rating("score", 6), nil, 422, "score"},
		{"stars_5 score 0", "POST", "/v1/ratings", f.keys["publisher"], rating("score", 0), nil, 422, "score"},
		{"nps_10 score 11", "POST", "/v1/ratings", f.keys["publisher"], func() any { r := rating("score", 11); r["scale"] = "nps_10"; return r }(), nil, 422, "score"},
		{"unknown scale", "POST", "/v1/ratings", f.keys["publisher"], rating("scale", "stars_10"), nil, 422, "scale"},
		{"missing score", "POST", "/v1/ratings", f.keys["publisher"], rating("score", nil), nil, 422, "score"},
		{"occurred_at in the future", "POST", "/v1/ratings", f.keys["publisher"], rating("occurred_at", f.now().Add(48*time.Hour).UTC().Format(time.RFC3339)), nil, 422, "occurred_at"},
		{"occurred_at two years ago", "POST", "/v1/ratings", f.keys["publisher"], rating("occurred_at", f.now().AddDate(-2, 0, 0).UTC().Format(time.RFC3339)), nil, 422, "occurred_at"},
		{"occurred_at not RFC 3339", "POST", "/v1/ratings", f.keys["publisher"], rating("occurred_at", "22/11/2026 10:15"), nil, 422, "occurred_at"},
		{"missing occurred_at", "POST", "/v1/ratings", f.keys["publisher"], rating("occurred_at", nil), nil, 422, "occurred_at"},
		{"bad interaction channel", "POST", "/v1/ratings", f.keys["publisher"], rating("channel", "fax"), nil, 422, "channel"},
		{"interaction id with spaces", "POST", "/v1/ratings", f.keys["publisher"], rating("interaction_id", "call 42"), nil, 422, "interaction_id"},
		{"unknown agent", "POST", "/v1/ratings", f.keys["publisher"], rating("agent", "zed"), nil, 422, "agent"},
		{"bad platform", "POST", "/v1/ratings", f.keys["publisher"], rating("platform", "CX One"), nil, 422, "platform"},
		{"negative handle time", "POST", "/v1/ratings", f.keys["publisher"], rating("handle_time_seconds", -1), nil, 422, "handle_time_seconds"},

		// Authentication and roles.
		{"missing Authorization", "POST", "/v1/kudos", "", kudosJSON("points", "1"), nil, 401, "Authorization"},
		{"wrong key", "POST", "/v1/kudos", "plk_not-a-key-of-ours-at-all", kudosJSON("points", "1"), nil, 401, "Authorization"},
		{"not a bearer", "POST", "/v1/kudos", "", kudosJSON("points", "1"), map[string]string{"Authorization": "Basic " + ana}, 401, "Authorization"},
		{"publisher giving", "POST", "/v1/kudos", f.keys["publisher"], `{"from":"ana","to":["bo"],"message":"` + specific + `"}`, nil, 403, "Authorization"},
		{"analyst giving", "POST", "/v1/kudos", f.keys["analyst"], `{"from":"ana","to":["bo"],"message":"` + specific + `"}`, nil, 403, "Authorization"},
		{"member giving as another", "POST", "/v1/kudos", ana, kudosJSON("from", `"bo"`), nil, 403, "from"},
		{"member recording a rating", "POST", "/v1/ratings", ana, rating("score", 5), nil, 403, "Authorization"},
		{"member setting the policy", "PUT", "/v1/policy", ana, `{"allowance":{"amount":500,"period":"day"}}`, nil, 403, "Authorization"},
		{"member creating a key", "POST", "/v1/keys", ana, `{"role":"admin"}`, nil, 403, "Authorization"},
		{"integration creating a key", "POST", "/v1/keys", f.keys["integration"], `{"role":"admin"}`, nil, 403, "Authorization"},
		{"publisher upserting a member", "PUT", "/v1/members/bo", f.keys["publisher"], `{"name":"Bo","team":"sales","time_zone":"UTC"}`, nil, 403, "Authorization"},

		// Members, policy, keys.
		{"bad time zone", "PUT", "/v1/members/fay", admin, `{"name":"Fay","team":"sales","time_zone":"Mars/Olympus"}`, nil, 422, "time_zone"},
		{"Local time zone", "PUT", "/v1/members/fay", admin, `{"name":"Fay","team":"sales","time_zone":"Local"}`, nil, 422, "time_zone"},
		{"missing time zone", "PUT", "/v1/members/fay", admin, `{"name":"Fay","team":"sales"}`, nil, 422, "time_zone"},
		{"bad member id in path", "PUT", "/v1/members/Fay.Smith", admin, `{"name":"Fay","team":"sales","time_zone":"UTC"}`, nil, 422, "id"},
		{"member id of a platform's customers", "PUT", "/v1/members/customer-cxone", admin, `{"name":"Fay","team":"sales","time_zone":"UTC"}`, nil, 422, "id"},
		{"missing name", "PUT", "/v1/members/fay", admin, `{"team":"sales","time_zone":"UTC"}`, nil, 422, "name"},
		{"bad team", "PUT", "/v1/members/fay", admin, `{"name":"Fay","team":"Sales Team","time_zone":"UTC"}`, nil, 422, "team"},
		{"own manager", "PUT", "/v1/members/fay", admin, `{"name":"Fay","team":"sales","manager":"fay","time_zone":"UTC"}`, nil, 422, "manager"},
		{"remove unknown member", "DELETE", "/v1/members/nobody", admin, nil, nil, 404, "id"},
		{"policy amount 0", "PUT", "/v1/policy", admin, `{"allowance":{"amount":0,"period":"day"}}`, nil, 422, "allowance.amount"},
		{"policy amount missing", "PUT", "/v1/policy", admin, `{"allowance":{"period":"day"}}`, nil, 422, "allowance.amount"},
		{"policy bad period", "PUT", "/v1/policy", admin, `{"allowance":{"amount":5,"period":"fortnight"}}`, nil, 422, "allowance.period"},
		{"policy bad value", "PUT", "/v1/policy", admin, `{"allowance":{"amount":5,"period":"day"},"values":["Team Spirit"]}`, nil, 422, "values[0]"},
		{"policy min length 0", "PUT", "/v1/policy", admin, `{"allowance":{"amount":5,"period":"day"},"message_rules":{"min_length":0}}`, nil, 422, "message_rules.min_length"},
		{"key with unknown role", "POST", "/v1/keys", admin, `{"role":"superuser"}`, nil, 422, "role"},
		{"member key without member", "POST", "/v1/keys", admin, `{"role":"member"}`, nil, 422, "member"},
		{"key for a left member", "POST", "/v1/keys", admin, `{"role":"member","member":"eli"}`, nil, 422, "member"},
		{"boost for both member and team", "POST", "/v1/boosts", admin, `{"member":"ana","team":"sales","points":5,"from":"2026-01-01","to":"2026-01-02"}`, nil, 422, "member"},
		{"boost with a bad date", "POST", "/v1/boosts", admin, `{"member":"ana","points":5,"from":"tomorrow","to":"2026-01-02"}`, nil, 422, "from"},

		// Reactions and retractions.
		{"react with a word", "POST", "/v1/kudos/" + kudos + "/reactions", bo, `{"emoji":"hello"}`, nil, 422, "emoji"},
		{"react with nothing", "POST", "/v1/kudos/" + kudos + "/reactions", bo, `{}`, nil, 422, "emoji"},
		{"react with a bad short code", "POST", "/v1/kudos/" + kudos + "/reactions", bo, `{"emoji":":Party Time:"}`, nil, 422, "emoji"},
		{"react to a non-existent kudos", "POST", "/v1/kudos/" + uuid.NewString() + "/reactions", bo, `{"emoji":"🎉"}`, nil, 404, "id"},
		{"react to a malformed kudos id", "POST", "/v1/kudos/not-a-uuid/reactions", bo, `{"emoji":"🎉"}`, nil, 404, "id"},
		{"react as another member", "POST", "/v1/kudos/" + kudos + "/reactions", bo, `{"emoji":"🎉","from":"cy"}`, nil, 403, "from"},
		{"retract without reason", "DELETE", "/v1/kudos/" + kudos, ana, `{}`, nil, 422, "reason"},
		{"retract with a blank reason", "DELETE", "/v1/kudos/" + kudos, ana, `{"reason":"   "}`, nil, 422, "reason"},
		{"retract without a reason", "DELETE", "/v1/kudos/" + kudos, ana, nil, nil, 422, "reason"},
		{"retract with an empty reason query", "DELETE", "/v1/kudos/" + kudos + "?reason=", ana, nil, nil, 422, "reason"},
		{"retract by a member who is not the giver", "DELETE", "/v1/kudos/" + kudos, bo, `{"reason":"sent by mistake"}`, nil, 403, "id"},
		{"retract a non-existent kudos", "DELETE", "/v1/kudos/" + uuid.NewString(), ana, `{"reason":"sent by mistake"}`, nil, 404, "id"},

		// The event stream's query.
		{"stream after not a number", "GET", "/v1/stream?after=yesterday", f.keys["analyst"], nil, nil, 400, "after"},
		{"stream Last-Event-ID not a number", "GET", "/v1/stream?after=0", f.keys["analyst"], nil, map[string]string{"Last-Event-ID": "abc"}, 400, "Last-Event-ID"},
		{"stream for a publisher", "GET", "/v1/stream?after=0", f.keys["publisher"], nil, nil, 403, "Authorization"},
		{"stream without a key", "GET", "/v1/stream?after=0", "", nil, nil, 401, "Authorization"},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := streamLen(t, f.e)
			r := f.do(t, tt.method, tt.path, tt.key, tt.body, tt.headers)
			wantProblem(t, r, tt.status, tt.field)
			if after := streamLen(t, f.e); after != before {
				t.Errorf("the stream grew from %d to %d", before, after)
			}
		})
	}
}
