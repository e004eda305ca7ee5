package api_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/event"
)

// ids lists the events' ids.
func ids(evs []sseEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Env.ID
	}
	return out
}

// TestStreamVisibility follows GET /v1/stream with keys of several roles:
// each sees its tenant only, private kudos only when in them (with their
// reactions and retraction), ratings only as analyst or as the rated agent.
func TestStreamVisibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{})
	ana, bo, cy := f.keys["ana"], f.keys["bo"], f.keys["cy"]
	id := func(r response) string { return r.Str("id") }

	public := id(f.give(t, ana, http.StatusCreated, nil, nil))
	anaPrivate := id(f.give(t, ana, http.StatusCreated, map[string]any{"to": []string{"cy"}, "visibility": "private"}, nil))
	toAna := id(f.give(t, bo, http.StatusCreated, map[string]any{"to": []string{"ana", "dee"}, "visibility": "private"}, nil))
	boCy := id(f.give(t, f.keys["integration"], http.StatusCreated, map[string]any{"from": "bo", "to": []string{"cy"}, "visibility": "private"}, nil))
	boCyReaction := id(must(t, http.StatusCreated, f.do(t, "POST", "/v1/kudos/"+boCy+"/reactions", cy, `{"emoji":"💜"}`, nil)))
	boCyRetracted := id(must(t, http.StatusCreated, f.do(t, "DELETE", "/v1/kudos/"+boCy, bo, `{"reason":"meant to send it in person"}`, nil)))
	publicReaction := id(must(t, http.StatusCreated, f.do(t, "POST", "/v1/kudos/"+public+"/reactions", bo, `{"emoji":"🎉"}`, nil)))
	// ana cannot react to a private kudos she is not in: it does not exist for her.
	wantProblem(t, f.do(t, "POST", "/v1/kudos/"+boCy+"/reactions", ana, `{"emoji":"👀"}`, nil), http.StatusNotFound, "id")
	boRating := id(must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], f.rating("bo", "call-bo"), nil)))
	anaRating := id(must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], f.rating("ana", "call-ana"), nil)))
	// bo's personal events: his preferences and quiet hours, and the
	// correction of his rating, with its reason.
	boPrefs := id(must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/bo/preferences", bo,
		`{"nudges":{"wellness":"on"},"quiet_hours":{"start":"21:30","end":"07:00"}}`, nil)))
	corrected := f.rating("bo", "call-bo")
	corrected["score"], corrected["reason"] = 2, "survey edited"
	delete(corrected, "platform")
	delete(corrected, "interaction_id")
	boCorrected := id(must(t, http.StatusCreated, f.do(t, "PUT", "/v1/ratings/cxone/call-bo", f.keys["publisher"], corrected, nil)))
	otherMember := id(must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/yan", f.other, `{"name":"Yan","team":"ops","time_zone":"UTC"}`, nil)))
	last := id(f.give(t, cy, http.StatusCreated, map[string]any{"to": []string{"dee"}, "values": []string{"kindness"}}, nil))

	tenantOnly := func(t *testing.T, evs []sseEvent, tenant string) {
		t.Helper()
		var prev uint64
		for _, ev := range evs {
			if ev.Env.Tenant != tenant {
				t.Errorf("event %d of tenant %q", ev.Seq, ev.Env.Tenant)
			}
			if ev.Seq <= prev {
				t.Errorf("sequence %d after %d", ev.Seq, prev)
			}
			prev = ev.Seq
		}
	}
	check := func(t *testing.T, got []string, sees, hidden []string) {
		t.Helper()
		for _, id := range sees {
			if !slices.Contains(got, id) {
				t.Errorf("does not see %s", id)
			}
		}
		for _, id := range hidden {
			if slices.Contains(got, id) {
				t.Errorf("sees %s", id)
			}
		}
	}

	var anaAll []sseEvent
	t.Run("member", func(t *testing.T) {
		anaAll = readSSE(t, f.e, ana, "after=0", nil, untilID(last))
		tenantOnly(t, anaAll, "default")
		check(t, ids(anaAll),
			[]string{public, anaPrivate, toAna, publicReaction, anaRating, last},
			[]string{boCy, boCyReaction, boCyRetracted, boRating, boPrefs, boCorrected, otherMember})
	})
	t.Run("member in a private kudos", func(t *testing.T) {
		evs := readSSE(t, f.e, bo, "after=0", nil, untilID(last))
		check(t, ids(evs), []string{boCy, boCyReaction, boCyRetracted, toAna, boRating, boPrefs, boCorrected}, []string{anaPrivate, anaRating})
	})
	t.Run("analyst", func(t *testing.T) {
		evs := readSSE(t, f.e, f.keys["analyst"], "after=0", nil, untilID(last))
		tenantOnly(t, evs, "default")
		check(t, ids(evs), []string{public, publicReaction, boRating, anaRating, boCorrected}, []string{anaPrivate, toAna, boCy, boCyReaction, boCyRetracted, boPrefs, otherMember})
	})
	t.Run("other tenant", func(t *testing.T) {
		evs := readSSE(t, f.e, f.other, "after=0", nil, untilID(otherMember))
		tenantOnly(t, evs, "other")
		if len(evs) != 2 { // zed and yan
			t.Errorf("tenant other sees %d events, want 2: %v", len(evs), ids(evs))
		}
	})
	t.Run("publisher", func(t *testing.T) {
		wantProblem(t, f.do(t, "GET", "/v1/stream?after=0", f.keys["publisher"], nil, nil), http.StatusForbidden, "Authorization")
	})
	t.Run("type filter", func(t *testing.T) {
		evs := readSSE(t, f.e, ana, "after=0&type=kudos_given", nil, untilID(last))
		for _, ev := range evs {
			if ev.Type != event.TypeKudosGiven {
				t.Errorf("type=kudos_given sent %s", ev.Type)
			}
		}
		check(t, ids(evs), []string{public, anaPrivate, toAna, last}, []string{boCy, publicReaction, anaRating})

		evs = readSSE(t, f.e, f.keys["analyst"], "after=0&type=rating_received,reaction_added", nil, untilID(anaRating))
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		want := []string{event.TypeReactionAdded, event.TypeRatingReceived, event.TypeRatingReceived}
		if !slices.Equal(types, want) {
			t.Errorf("types %v, want %v", types, want)
		}
	})
	t.Run("after resumes", func(t *testing.T) {
		if len(anaAll) < 4 {
			t.Fatalf("the member subtest yielded %d events; resuming needs at least 4", len(anaAll))
		}
		from := anaAll[len(anaAll)/2]
		evs := readSSE(t, f.e, ana, "after="+strconv.FormatUint(from.Seq, 10), nil, untilID(last))
		if want := ids(anaAll[len(anaAll)/2+1:]); !slices.Equal(ids(evs), want) {
			t.Errorf("after=%d: %v, want %v", from.Seq, ids(evs), want)
		}
		// Last-Event-ID, as a reconnecting EventSource sends it, wins over after.
		evs = readSSE(t, f.e, ana, "after=0", map[string]string{"Last-Event-ID": strconv.FormatUint(from.Seq, 10)}, untilID(last))
		if want := ids(anaAll[len(anaAll)/2+1:]); !slices.Equal(ids(evs), want) {
			t.Errorf("Last-Event-ID %d: %v, want %v", from.Seq, ids(evs), want)
		}
	})
	t.Run("live", func(t *testing.T) {
		// Without after, only new events are sent. Reactions to kudos older
		// than the connection are shown by the kudos' visibility too.
		older := id(f.give(t, cy, http.StatusCreated, map[string]any{"to": []string{"dee"}, "visibility": "private"}, nil))
		var fresh, seen string
		var hidden []string
		evs := readSSEOpened(t, f.e, ana, "", nil, func() {
			integ := f.keys["integration"]
			hidden = append(hidden,
				id(f.give(t, cy, http.StatusCreated, map[string]any{"to": []string{"bo"}, "visibility": "private"}, nil)),
				id(must(t, http.StatusCreated, f.do(t, "POST", "/v1/kudos/"+older+"/reactions", integ, `{"emoji":"🙏","from":"dee"}`, nil))),
			)
			seen = id(must(t, http.StatusCreated, f.do(t, "POST", "/v1/kudos/"+toAna+"/reactions", integ, `{"emoji":"🙏","from":"dee"}`, nil)))
			fresh = id(f.give(t, bo, http.StatusCreated, map[string]any{"to": []string{"cy"}, "message": strings.Replace(specific, "six", "seven", 1)}, nil))
		}, func(ev sseEvent) bool { return ev.Env.ID == fresh })
		if got := ids(evs); !slices.Equal(got, []string{seen, fresh}) {
			t.Errorf("live events %v, want %s and %s (not %v)", got, seen, fresh, hidden)
		}
	})
}
