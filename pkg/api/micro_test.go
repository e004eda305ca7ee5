package api_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/plaudit/plaudit/pkg/api"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// engineConn connects to e's NATS port as a user of the engine's own, as a
// second engine would.
func engineConn(t *testing.T, e *engine.Engine) *nats.Conn {
	t.Helper()
	keys, err := natsauth.Load(e.NATSKeysDir())
	if err != nil {
		t.Fatal(err)
	}
	u, err := keys.NewUser(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(e.NATSURL(), nats.Name(t.Name()), u.Option())
	if err != nil {
		t.Fatalf("connect %s: %v", e.NATSURL(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// natsReply is an answer of the NATS command service.
type natsReply struct {
	Status int
	Header nats.Header
	Body   []byte
}

// natsDo sends one request to the command service's op endpoint.
func natsDo(t *testing.T, nc *nats.Conn, op, key string, body any, headers map[string]string) natsReply {
	t.Helper()
	m := nats.NewMsg(natsauth.CommandSubject(auth.BootstrapTenant, op))
	switch b := body.(type) {
	case string:
		m.Data = []byte(b)
	case []byte:
		m.Data = b
	case nil:
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		m.Data = j
	}
	if key != "" {
		m.Header.Set(api.HeaderAuthorization, "Bearer "+key)
	}
	for k, v := range headers {
		m.Header.Set(k, v)
	}
	reply, err := nc.RequestMsg(m, 10*time.Second)
	if err != nil {
		t.Fatalf("request %s: %v", op, err)
	}
	status, err := strconv.Atoi(reply.Header.Get(api.HeaderStatus))
	if err != nil {
		t.Fatalf("reply to %s without a Status header: %v %s", op, reply.Header, reply.Data)
	}
	code := reply.Header.Get(micro.ErrorCodeHeader)
	switch {
	case status >= 400 && code != strconv.Itoa(status):
		t.Errorf("reply %d with %s %q", status, micro.ErrorCodeHeader, code)
	case status < 400 && code != "":
		t.Errorf("success %d with %s %q", status, micro.ErrorCodeHeader, code)
	}
	return natsReply{Status: status, Header: reply.Header, Body: reply.Data}
}

// TestNATSParity sends the same requests over HTTP and as NATS requests to
// the command service, on a real client connection to the embedded
// server, and wants the same answers.
func TestNATSParity(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{NATSListen: testenv.FreeAddr(t)})
	if f.e.NATSURL() == "" {
		t.Fatal("the embedded NATS does not listen")
	}
	nc := engineConn(t, f.e)
	ana := f.keys["ana"]
	body := map[string]any{"to": []string{"bo"}, "message": specific, "values": []string{"ownership"}, "points": 1}

	t.Run("success", func(t *testing.T) {
		before := streamLen(t, f.e)
		h := f.give(t, ana, http.StatusCreated, nil, idem("parity-1"))
		// The idempotency key is the caller's, whatever the transport.
		n := natsDo(t, nc, apiv1.OpGiveKudos, ana, body, idem("parity-1"))
		if n.Status != http.StatusCreated || !bytes.Equal(n.Body, h.Body) {
			t.Errorf("NATS replay %d %s, HTTP %s", n.Status, n.Body, h.Body)
		}
		fresh := natsDo(t, nc, apiv1.OpGiveKudos, ana, body, idem("parity-2"))
		var w map[string]any
		if err := json.Unmarshal(fresh.Body, &w); err != nil || fresh.Status != http.StatusCreated {
			t.Fatalf("NATS give: %d %s", fresh.Status, fresh.Body)
		}
		if got, want := slices.Sorted(maps.Keys(w)), slices.Sorted(maps.Keys(h.JSON)); !slices.Equal(got, want) {
			t.Errorf("NATS answer has fields %v, HTTP %v", got, want)
		}
		if w["id"] == h.Str("id") || !strings.HasPrefix(w["events"].([]any)[0].(map[string]any)["subject"].(string), "plaudit.default.kudos.ana.") {
			t.Errorf("NATS answer %s", fresh.Body)
		}
		if again := f.give(t, ana, http.StatusCreated, nil, idem("parity-2")); !bytes.Equal(again.Body, fresh.Body) {
			t.Errorf("HTTP replay of a NATS give: %s, NATS %s", again.Body, fresh.Body)
		}
		if got := streamLen(t, f.e) - before; got != 2 {
			t.Errorf("stream grew by %d, want 2", got)
		}

		kudos := h.Str("id")
		r := natsDo(t, nc, apiv1.OpReact, f.keys["bo"], `{"emoji":"🎉"}`, map[string]string{api.HeaderID: kudos})
		if r.Status != http.StatusCreated {
			t.Errorf("NATS react: %d %s", r.Status, r.Body)
		}
		// Reacting again with the same emoji replays, over either transport.
		hr := must(t, http.StatusOK, f.do(t, "POST", "/v1/kudos/"+kudos+"/reactions", f.keys["bo"], `{"emoji":"🎉"}`, nil))
		nr := natsDo(t, nc, apiv1.OpReact, f.keys["bo"], `{"emoji":"🎉"}`, map[string]string{api.HeaderID: kudos})
		if nr.Status != http.StatusOK || !bytes.Equal(nr.Body, hr.Body) {
			t.Errorf("NATS react again %d %s, HTTP %s", nr.Status, nr.Body, hr.Body)
		}

		// The Authorization value is read alike: scheme in any case, spaces
		// around the key.
		auth := map[string]string{api.HeaderID: kudos, "Authorization": "bearer  " + f.keys["cy"] + " "}
		if r := natsDo(t, nc, apiv1.OpReact, "", `{"emoji":"👏"}`, auth); r.Status != http.StatusCreated {
			t.Errorf("NATS react with a lower-case scheme: %d %s", r.Status, r.Body)
		}
		must(t, http.StatusCreated, f.do(t, "POST", "/v1/kudos/"+kudos+"/reactions", "", `{"emoji":"🙌"}`,
			map[string]string{"Authorization": "bearer  " + f.keys["cy"] + " "}))

		rating := f.rating("bo", "parity-call")
		nrat := natsDo(t, nc, apiv1.OpRecordRating, f.keys["publisher"], rating, nil)
		hrat := must(t, http.StatusOK, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], rating, nil))
		var first map[string]any
		_ = json.Unmarshal(nrat.Body, &first)
		if nrat.Status != http.StatusCreated || first["id"] != hrat.Str("id") {
			t.Errorf("NATS rating %d %s, HTTP re-send %s", nrat.Status, nrat.Body, hrat.Body)
		}
	})

	// Spend the rest of ana's allowance, so the refusal below is the same
	// on both transports.
	f.give(t, ana, http.StatusCreated, map[string]any{"points": 3}, nil)
	missing := uuid.NewString()
	tests := []struct {
		name    string
		op      string
		method  string
		path    string
		key     string
		body    string
		headers map[string]string // NATS; HTTP has the id in the path
		status  int
		field   string
	}{
		{"wrong type", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, `{"to":"bo","message":"` + specific + `"}`, nil, 400, "to"},
		{"malformed", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, `{"to":`, nil, 400, "body"},
		{"empty", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, ``, nil, 400, "body"},
		{"generic message", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, `{"to":["bo"],"message":"Great job, thanks so much everyone!!!"}`, nil, 422, "message"},
		{"self-kudos", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, `{"to":["ana"],"message":"` + specific + `"}`, nil, 422, "to"},
		{"allowance exceeded", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, `{"to":["bo"],"message":"` + specific + `"}`, nil, 422, "points"},
		{"no key", apiv1.OpGiveKudos, "POST", "/v1/kudos", "", `{"to":["bo"],"message":"` + specific + `"}`, nil, 401, "Authorization"},
		{"not a bearer key", apiv1.OpGiveKudos, "POST", "/v1/kudos", "", `{"to":["bo"],"message":"` + specific + `"}`, map[string]string{"Authorization": "Basic " + ana}, 401, "Authorization"},
		{"member acting as another", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, `{"from":"bo","to":["cy"],"message":"` + specific + `"}`, nil, 403, "from"},
		{"wrong role", apiv1.OpGiveKudos, "POST", "/v1/kudos", f.keys["publisher"], `{"from":"bo","to":["cy"],"message":"` + specific + `"}`, nil, 403, "Authorization"},
		{"rating score", apiv1.OpRecordRating, "POST", "/v1/ratings", f.keys["publisher"], `{"platform":"cxone","interaction_id":"x-1","agent":"bo","score":6,"scale":"stars_5","channel":"voice","occurred_at":"` + f.now().UTC().Format(time.RFC3339) + `"}`, nil, 422, "score"},
		{"react to a missing kudos", apiv1.OpReact, "POST", "/v1/kudos/" + missing + "/reactions", f.keys["bo"], `{"emoji":"🎉"}`, map[string]string{api.HeaderID: missing}, 404, "id"},
		{"member bad time zone", apiv1.OpUpsertMember, "PUT", "/v1/members/fay", f.admin, `{"name":"Fay","team":"sales","time_zone":"Nowhere/Else"}`, map[string]string{api.HeaderID: "fay"}, 422, "time_zone"},
		{"oversized body", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, `{"to":["bo"],"message":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, "body"},
		{"idempotency key reused", apiv1.OpGiveKudos, "POST", "/v1/kudos", ana, `{"to":["cy"],"message":"` + specific + `"}`, idem("parity-1"), 422, "Idempotency-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := streamLen(t, f.e)
			var hh map[string]string
			if k, ok := tt.headers["Idempotency-Key"]; ok {
				hh = idem(k)
			}
			if a, ok := tt.headers["Authorization"]; ok {
				hh = map[string]string{"Authorization": a}
			}
			h := f.do(t, tt.method, tt.path, tt.key, tt.body, hh)
			wantProblem(t, h, tt.status, tt.field)
			n := natsDo(t, nc, tt.op, tt.key, tt.body, tt.headers)
			if n.Status != tt.status || !bytes.Equal(n.Body, h.Body) {
				t.Errorf("NATS %d %s\nHTTP %d %s", n.Status, n.Body, h.Status, h.Body)
			}
			if ct := n.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("NATS Content-Type %q", ct)
			}
			if n.Header.Get(micro.ErrorHeader) == "" {
				t.Errorf("NATS reply without %s", micro.ErrorHeader)
			}
			if after := streamLen(t, f.e); after != before {
				t.Errorf("the stream grew from %d to %d", before, after)
			}
		})
	}
}

// TestIsInbox: the engine answers a NATS request only on a reply inbox,
// never on a subject that would act as a request of its own.
func TestIsInbox(t *testing.T) {
	t.Parallel()
	for subject, want := range map[string]bool{
		"_INBOX.abc.def":                       true,
		"_INBOX_nc_1a2b3c.abc":                 true,
		"_R_.x1y2.z3":                          true,
		"":                                     false,
		"$JS.API.STREAM.DELETE.PLAUDIT_EVENTS": false,
		"$KV.plaudit_keys.key.x":               false,
		"plaudit.acme.kudos.ana.given":         false,
		"plaudit-query.v1.feed.page":           false,
		"_INBOXES.x":                           false,
		"_R_":                                  false,
	} {
		if got := api.IsInbox(subject); got != want {
			t.Errorf("IsInbox(%q) = %v, want %v", subject, got, want)
		}
	}
}
