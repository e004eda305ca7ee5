package feed_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/feed"
	"github.com/plaudit/plaudit/projections/internal/projtest"
)

// world is an engine running the feed and allowance projections, with
// tenant acme: ana, bo and cy in team support (ana manages bo), dee and eve
// in team sales, a generous policy with values ownership, kindness and
// curiosity, and keys "publisher", "analyst", "integration" and "manager"
// (ana) beside the member keys; and tenant globex with member zed.
type world struct {
	*projtest.World
	globex string // admin of globex
	zed    string // member key of globex's zed
	n      int    // kudos given, to vary the messages
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{World: projtest.NewWorld(t, nil, `{"allowance":{"amount":500,"period":"day"},"values":["ownership","kindness","curiosity"]}`,
		[]enginetest.Member{
			{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
			{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon", Manager: "ana"},
			{ID: "cy", Team: "support", TimeZone: "Asia/Tokyo"},
			{ID: "dee", Team: "sales", TimeZone: "America/New_York"},
			{ID: "eve", Team: "sales", TimeZone: "America/New_York"},
		}, feed.Module(), allowance.Module())}
	w.Keys["manager"] = w.Key(t, projtest.Tenant, auth.Manager, "ana")
	for _, r := range []auth.Role{auth.Publisher, auth.Analyst, auth.Integration} {
		w.Keys[string(r)] = w.Key(t, projtest.Tenant, r, "")
	}
	w.globex = w.Key(t, "globex", auth.Admin, "")
	w.Seed(t, w.globex, enginetest.Member{ID: "zed", Team: "support", TimeZone: "Asia/Tokyo"})
	w.zed = w.Key(t, "globex", auth.Member, "zed")
	return w
}

// kudos is a kudos to give.
type kudos struct {
	from    string
	to      []string
	values  []string
	points  int
	private bool
}

// give gives k with the giver's member key and returns its id.
func (w *world) give(t *testing.T, k kudos) string {
	t.Helper()
	w.n++
	body := map[string]any{
		"to": k.to, "values": k.values, "points": max(k.points, 1),
		"message": fmt.Sprintf("Thanks for untangling the refund queue on ticket %d before the weekend", w.n),
	}
	if k.private {
		body["visibility"] = "private"
	}
	r := w.Do(t, "POST", "/v1/kudos", w.Keys[k.from], body).Want(t, http.StatusCreated)
	w.Last = r.Seq()
	return r.Str("id")
}

func (w *world) react(t *testing.T, member, id, emoji string) {
	t.Helper()
	w.Last = w.Do(t, "POST", "/v1/kudos/"+id+"/reactions", w.Keys[member], map[string]any{"emoji": emoji}).Want(t, http.StatusCreated).Seq()
}

// get reads a feed with key, after the last write (read your writes).
func (w *world) get(t *testing.T, key string, q url.Values) enginetest.Response {
	t.Helper()
	q.Set("min_seq", strconv.FormatUint(w.Last, 10))
	return w.Do(t, "GET", "/v1/feed?"+q.Encode(), key, nil)
}

// page reads one page of a feed and wants it answered.
func (w *world) page(t *testing.T, key string, q url.Values) apiv1.FeedPage {
	t.Helper()
	var p apiv1.FeedPage
	w.get(t, key, q).Want(t, http.StatusOK).Decode(t, &p)
	return p
}

// ids reads the whole feed, following the cursors, and returns the ids.
func (w *world) ids(t *testing.T, key string, q url.Values) []string {
	t.Helper()
	var out []string
	for {
		p := w.page(t, key, q)
		for _, it := range p.Items {
			out = append(out, it.ID)
		}
		if p.NextCursor == "" {
			return out
		}
		q.Set("cursor", p.NextCursor)
	}
}

func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func TestFeedNewestFirstWithCursorPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"ownership"}, points: i + 1}))
	}
	slices.Reverse(ids) // newest first

	q := query("scope", "tenant", "limit", "2")
	var got []string
	var seqs []uint64
	for pageNo := 1; ; pageNo++ {
		p := w.page(t, w.Keys["cy"], q)
		want := 2
		if pageNo == 3 {
			want = 1
		}
		if len(p.Items) != want {
			t.Fatalf("page %d has %d items, want %d: %+v", pageNo, len(p.Items), want, p)
		}
		for _, it := range p.Items {
			got = append(got, it.ID)
			seqs = append(seqs, it.Seq)
		}
		if pageNo == 3 {
			if p.NextCursor != "" {
				t.Fatalf("the last page has a next cursor %q", p.NextCursor)
			}
			break
		}
		if p.NextCursor == "" {
			t.Fatalf("page %d has no next cursor", pageNo)
		}
		q.Set("cursor", p.NextCursor)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("pages gave %v, want newest first %v", got, ids)
	}
	if !slices.IsSortedFunc(seqs, func(a, b uint64) int { return int(b) - int(a) }) {
		t.Fatalf("sequences %v are not newest first", seqs)
	}

	// Every item carries what was given.
	p := w.page(t, w.Keys["cy"], query("limit", "1"))
	it := p.Items[0]
	if it.ID != ids[0] || it.Giver != "ana" || !slices.Equal(it.Recipients, []string{"bo"}) || it.Points != 5 ||
		!slices.Equal(it.Values, []string{"ownership"}) || it.Visibility != "public" || it.Channel != "api" ||
		it.Message == "" || it.Time.IsZero() || len(it.Reactions) != 0 {
		t.Fatalf("item %+v", it)
	}
	// The default page holds them all; a page past the last is empty.
	if p := w.page(t, w.Keys["cy"], query()); len(p.Items) != 5 || p.NextCursor != "" {
		t.Fatalf("default page: %d items, cursor %q", len(p.Items), p.NextCursor)
	}
	last := w.page(t, w.Keys["cy"], query("limit", "4"))
	if p := w.page(t, w.Keys["cy"], query("limit", "4", "cursor", last.NextCursor)); len(p.Items) != 1 || p.Items[0].ID != ids[4] {
		t.Fatalf("after the cursor: %+v", p)
	}
}

func TestFeedScopesAndValues(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	k1 := w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"ownership"}})                    // support
	k2 := w.give(t, kudos{from: "dee", to: []string{"eve"}, values: []string{"kindness"}})                    // sales
	k3 := w.give(t, kudos{from: "cy", to: []string{"dee", "ana"}, values: []string{"kindness", "curiosity"}}) // both teams
	k4 := w.give(t, kudos{from: "bo", to: []string{"cy"}})                                                    // support, no value

	tests := []struct {
		name string
		key  string
		q    url.Values
		want []string
	}{
		{"tenant", w.Admin, query("scope", "tenant"), []string{k4, k3, k2, k1}},
		{"no scope is the tenant", w.Keys["eve"], query(), []string{k4, k3, k2, k1}},
		{"team support", w.Keys["bo"], query("scope", "team:support"), []string{k4, k3, k1}},
		{"team sales", w.Keys["dee"], query("scope", "team:sales"), []string{k3, k2}},
		{"a team nobody is in", w.Admin, query("scope", "team:marketing"), nil},
		{"member received", w.Keys["ana"], query("scope", "member:ana"), []string{k3}},
		{"member received, said so", w.Keys["ana"], query("scope", "member:ana", "direction", "received"), []string{k3}},
		{"member given", w.Keys["ana"], query("scope", "member:ana", "direction", "given"), []string{k1}},
		{"dee received", w.Keys["dee"], query("scope", "member:dee"), []string{k3}},
		{"dee given", w.Keys["dee"], query("scope", "member:dee", "direction", "given"), []string{k2}},
		{"projtest.Tenant, kindness", w.Keys["cy"], query("value", "kindness"), []string{k3, k2}},
		{"projtest.Tenant, ownership", w.analyst(), query("value", "ownership"), []string{k1}},
		{"projtest.Tenant, curiosity", w.Admin, query("value", "curiosity"), []string{k3}},
		{"team sales, kindness", w.Admin, query("scope", "team:sales", "value", "kindness"), []string{k3, k2}},
		{"team support, ownership", w.Admin, query("scope", "team:support", "value", "ownership"), []string{k1}},
		{"member received, value", w.Keys["dee"], query("scope", "member:dee", "value", "curiosity"), []string{k3}},
		{"member given, other value", w.Keys["ana"], query("scope", "member:ana", "direction", "given", "value", "kindness"), nil},
		{"integration reads any member", w.Keys["integration"], query("scope", "member:cy"), []string{k4}},
		{"a manager reads the tenant feed", w.Keys["manager"], query(), []string{k4, k3, k2, k1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.ids(t, tt.key, tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// Value-filtered pages chain like unfiltered ones.
	if got := w.ids(t, w.Admin, query("value", "kindness", "limit", "1")); !slices.Equal(got, []string{k3, k2}) {
		t.Errorf("kindness one by one: %v", got)
	}
}

func (w *world) analyst() string { return w.Keys["analyst"] }

func TestFeedReactionCounts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id := w.give(t, kudos{from: "ana", to: []string{"bo", "dee"}})
	other := w.give(t, kudos{from: "cy", to: []string{"eve"}})
	// Read in between, so that the read side has cached each item with
	// counts that the next reactions change.
	reactions := func(kudos string) map[string]int {
		t.Helper()
		for _, it := range w.page(t, w.Admin, query()).Items {
			if it.ID == kudos {
				return it.Reactions
			}
		}
		t.Fatalf("kudos %s not in the tenant feed", kudos)
		return nil
	}
	if got := reactions(id); len(got) != 0 {
		t.Errorf("reactions before any: %v", got)
	}
	w.react(t, "bo", id, "🎉")
	if got := reactions(id); fmt.Sprint(got) != fmt.Sprint(map[string]int{"🎉": 1}) {
		t.Errorf("reactions after the first: %v", got)
	}
	w.react(t, "cy", id, "🎉")
	w.react(t, "dee", id, ":clap:")
	w.react(t, "bo", id, ":clap:")
	w.react(t, "eve", other, "🙏")
	want := map[string]int{"🎉": 2, ":clap:": 2}
	for _, q := range []url.Values{
		query(), query("scope", "team:support"), query("scope", "team:sales"),
		query("scope", "member:bo"), query("scope", "member:dee"), query("scope", "member:ana", "direction", "given"),
	} {
		for _, it := range w.page(t, w.Admin, q).Items {
			switch it.ID {
			case id:
				if fmt.Sprint(it.Reactions) != fmt.Sprint(want) {
					t.Errorf("%v: reactions %v, want %v", q, it.Reactions, want)
				}
			case other:
				if fmt.Sprint(it.Reactions) != fmt.Sprint(map[string]int{"🙏": 1}) {
					t.Errorf("%v: reactions of the other kudos %v", q, it.Reactions)
				}
			}
		}
	}
	// The same reaction again is the one already there: counted once.
	w.Do(t, "POST", "/v1/kudos/"+id+"/reactions", w.Keys["bo"], map[string]any{"emoji": "🎉"}).Want(t, http.StatusOK)
	for _, it := range w.page(t, w.Admin, query()).Items {
		if it.ID == id && it.Reactions["🎉"] != 2 {
			t.Errorf("a repeated reaction counted again: %v", it.Reactions)
		}
	}
}

// A value filter finds only the kudos tagged with that value, in every
// scope and across pages, whatever other values they carry.
func TestFeedValuesSharingATag(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Last = w.Do(t, "PUT", "/v1/policy", w.Admin,
		`{"allowance":{"amount":500,"period":"day"},"values":["value-80611","value-907130","kindness"]}`).Want(t, http.StatusCreated).Seq()
	a1 := w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"value-80611"}})
	b1 := w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"value-907130"}})
	ab := w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"kindness", "value-907130", "value-80611"}})
	w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"kindness"}})
	a2 := w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"value-80611"}})
	for _, scope := range []url.Values{
		query(), query("scope", "team:support"), query("scope", "member:bo"),
		query("scope", "member:ana", "direction", "given"),
	} {
		for value, want := range map[string][]string{
			"value-80611":  {a2, ab, a1},
			"value-907130": {ab, b1},
		} {
			q := url.Values{"value": {value}, "limit": {"1"}}
			for k, v := range scope {
				q[k] = v
			}
			asked := q.Encode()
			if got := w.ids(t, w.Admin, q); !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", asked, got, want)
			}
		}
	}
}

// An index entry that does not parse fails the pages that reach it with a
// 500, the first time and again; a page after it, and the other feeds, are
// answered.
func TestFeedCorruptIndexEntryFailsItsFeed(t *testing.T) {
	t.Parallel()
	w := projtest.Start(t, nil, []enginetest.Member{
		{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
		{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"},
	}, feed.CorruptingModule())
	e, admin, ana := w.Engine, w.Admin, w.Keys["ana"]
	earlier := e.Do(t, "POST", "/v1/kudos", ana, map[string]any{
		"to": []string{"bo"}, "message": "Thanks for covering the morning queue while I was at the dentist",
	}).Want(t, http.StatusCreated).Str("id")
	r := e.Do(t, "POST", "/v1/kudos", ana, map[string]any{
		"to": []string{"bo"}, "message": feed.CorruptEntryMessage,
	}).Want(t, http.StatusCreated)
	after := "&min_seq=" + strconv.FormatUint(r.Seq(), 10)
	for range 2 {
		e.Do(t, "GET", "/v1/feed?scope=member:ana&direction=given"+after, admin, nil).Want(t, http.StatusInternalServerError)
	}
	var past apiv1.FeedPage
	cursor := hex.EncodeToString(binary.BigEndian.AppendUint64(nil, r.Seq()))
	e.Do(t, "GET", "/v1/feed?scope=member:ana&direction=given&cursor="+cursor+after, admin, nil).Want(t, http.StatusOK).Decode(t, &past)
	if len(past.Items) != 1 || past.Items[0].ID != earlier {
		t.Errorf("the page after the corrupt entry: %+v, want only %s", past.Items, earlier)
	}
	for _, scope := range []string{"tenant", "team:support", "member:bo"} {
		var p apiv1.FeedPage
		e.Do(t, "GET", "/v1/feed?scope="+scope+after, admin, nil).Want(t, http.StatusOK).Decode(t, &p)
		if len(p.Items) != 2 || p.Items[0].ID != r.Str("id") || p.Items[1].ID != earlier {
			t.Errorf("%s: %+v, want %s then %s", scope, p.Items, r.Str("id"), earlier)
		}
	}
}

func TestFeedRetractedKudosDisappears(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	keep := w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"kindness"}})
	gone := w.give(t, kudos{from: "ana", to: []string{"bo", "dee"}, values: []string{"kindness", "ownership"}})
	hidden := w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"kindness"}, private: true})
	w.react(t, "dee", gone, "🎉")
	feeds := []struct {
		key string
		q   url.Values
	}{
		{w.Admin, query()},
		{w.Admin, query("value", "kindness")},
		{w.Admin, query("value", "ownership")},
		{w.Admin, query("scope", "team:support")},
		{w.Admin, query("scope", "team:sales")},
		{w.Admin, query("scope", "team:sales", "value", "ownership")},
		{w.Keys["bo"], query("scope", "member:bo")},
		{w.Keys["bo"], query("scope", "member:bo", "value", "kindness")},
		{w.Keys["dee"], query("scope", "member:dee")},
		{w.Keys["ana"], query("scope", "member:ana", "direction", "given")},
		{w.Keys["ana"], query("scope", "member:ana", "direction", "given", "value", "ownership")},
	}
	for _, f := range feeds {
		if !slices.Contains(w.ids(t, f.key, f.q), gone) {
			t.Fatalf("%v: kudos not there before the retraction", f.q)
		}
	}
	w.Retract(t, "ana", gone)
	w.Retract(t, "ana", hidden)
	for _, f := range feeds {
		got := w.ids(t, f.key, f.q)
		if slices.Contains(got, gone) || slices.Contains(got, hidden) {
			t.Errorf("%v: a retracted kudos is still there: %v", f.q, got)
		}
	}
	if got := w.ids(t, w.Keys["bo"], query("scope", "member:bo")); !slices.Equal(got, []string{keep}) {
		t.Errorf("bo's feed after the retractions: %v, want only %s", got, keep)
	}
}

// TestFeedPrivateKudos: private kudos are never in tenant or team feeds,
// whoever reads, and in the giver's and recipients' member feeds only for
// them.
func TestFeedPrivateKudos(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	public := w.give(t, kudos{from: "ana", to: []string{"bo"}, values: []string{"kindness"}})
	private := w.give(t, kudos{from: "ana", to: []string{"bo", "dee"}, values: []string{"kindness"}, private: true})
	w.react(t, "bo", private, "🎉")

	everyone := []string{w.Admin, w.analyst(), w.Keys["integration"], w.Keys["ana"], w.Keys["bo"], w.Keys["cy"], w.Keys["dee"], w.Keys["manager"]}
	for _, key := range everyone {
		for _, q := range []url.Values{
			query(), query("value", "kindness"), query("scope", "team:support"), query("scope", "team:sales"),
			query("scope", "team:support", "value", "kindness"),
		} {
			r := w.get(t, key, q)
			if r.Status == http.StatusForbidden {
				continue // a member reading another team's feed
			}
			var p apiv1.FeedPage
			r.Want(t, http.StatusOK).Decode(t, &p)
			for _, it := range p.Items {
				if it.ID == private || it.Visibility != "public" {
					t.Errorf("%v: private kudos %s in a shared feed", q, it.ID)
				}
			}
			if q.Get("scope") != "team:sales" && !slices.ContainsFunc(p.Items, func(it apiv1.FeedItem) bool { return it.ID == public }) {
				t.Errorf("%v: the public kudos is missing", q)
			}
		}
	}

	// The people in it see it in their own feeds, reactions included.
	for _, f := range []struct{ member, direction string }{{"bo", ""}, {"dee", ""}, {"ana", "given"}} {
		q := query("scope", "member:"+f.member, "direction", f.direction)
		p := w.page(t, w.Keys[f.member], q)
		i := slices.IndexFunc(p.Items, func(it apiv1.FeedItem) bool { return it.ID == private })
		if i < 0 {
			t.Errorf("%s does not see the private kudos in their own feed: %+v", f.member, p.Items)
			continue
		}
		if it := p.Items[i]; it.Visibility != "private" || it.Reactions["🎉"] != 1 || !slices.Equal(it.Recipients, []string{"bo", "dee"}) {
			t.Errorf("%s sees %+v", f.member, it)
		}
	}
	// Nobody else sees it there: an admin or analyst bound to no member,
	// an integration, a member of another tenant; a third member may not
	// read those feeds at all.
	for _, f := range []string{"member:bo", "member:dee"} {
		for _, key := range []string{w.Admin, w.analyst(), w.Keys["integration"], w.globex} {
			if slices.Contains(w.ids(t, key, query("scope", f)), private) {
				t.Errorf("%s: a reader not in the kudos sees it", f)
			}
		}
		w.get(t, w.Keys["cy"], query("scope", f)).WantProblem(t, http.StatusForbidden, "scope")
	}
	for _, key := range []string{w.Admin, w.analyst(), w.Keys["integration"]} {
		if got := w.ids(t, key, query("scope", "member:ana", "direction", "given")); !slices.Equal(got, []string{public}) {
			t.Errorf("ana's given feed for a reader not in the private kudos: %v", got)
		}
	}
	// An admin key bound to a recipient reads it as that member.
	boAdmin := w.Key(t, projtest.Tenant, auth.Admin, "bo")
	if !slices.Contains(w.ids(t, boAdmin, query("scope", "member:bo")), private) {
		t.Error("an admin key bound to bo does not see bo's private kudos")
	}
}

func TestFeedAuthorization(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	k := w.give(t, kudos{from: "ana", to: []string{"bo", "dee"}})
	bo := w.Keys["bo"]
	for _, q := range []url.Values{query(), query("scope", "tenant"), query("scope", "team:support"), query("scope", "member:bo"), query("scope", "member:bo", "direction", "given")} {
		w.get(t, bo, q).Want(t, http.StatusOK)
	}
	for _, q := range []url.Values{query("scope", "member:ana"), query("scope", "member:dee", "direction", "given"), query("scope", "team:sales")} {
		w.get(t, bo, q).WantProblem(t, http.StatusForbidden, "scope")
	}
	// A manager reads as a member does: their team and their own.
	w.get(t, w.Keys["manager"], query("scope", "team:support")).Want(t, http.StatusOK)
	w.get(t, w.Keys["manager"], query("scope", "member:bo")).WantProblem(t, http.StatusForbidden, "scope")
	w.get(t, w.Keys["publisher"], query()).WantProblem(t, http.StatusForbidden, "Authorization")
	w.get(t, "", query()).WantProblem(t, http.StatusUnauthorized, "Authorization")
	w.get(t, "plk_not-a-key-of-anyone-at-all", query()).WantProblem(t, http.StatusUnauthorized, "Authorization")

	// Another tenant's keys see nothing of acme, in any scope.
	for _, key := range []string{w.globex, w.zed} {
		for _, q := range []url.Values{query(), query("scope", "team:support"), query("scope", "member:zed")} {
			if got := w.ids(t, key, q); len(got) != 0 {
				t.Errorf("globex reads %v in %v", got, q)
			}
		}
	}
	for _, f := range []string{"member:ana", "member:bo", "member:dee"} {
		for _, dir := range []string{"received", "given"} {
			if got := w.ids(t, w.globex, query("scope", f, "direction", dir)); len(got) != 0 {
				t.Errorf("globex reads %v in acme's %s %s", got, f, dir)
			}
		}
	}
	w.get(t, w.zed, query("scope", "member:bo")).WantProblem(t, http.StatusForbidden, "scope")
	// And acme sees its own.
	if got := w.ids(t, w.Admin, query()); !slices.Equal(got, []string{k}) {
		t.Errorf("acme reads %v", got)
	}
}

func TestFeedBadQueries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.give(t, kudos{from: "ana", to: []string{"bo"}})
	tests := []struct {
		name  string
		raw   string
		field string
	}{
		{"unknown scope", "scope=world", "scope"},
		{"team without id", "scope=team:", "scope"},
		{"member with a bad id", "scope=member:Not%20Valid", "scope"},
		{"bad direction", "scope=member:bo&direction=sideways", "direction"},
		{"limit not a number", "limit=ten", "limit"},
		{"limit too large", "limit=101", "limit"},
		{"limit negative", "limit=-1", "limit"},
		{"limit zero", "limit=0", "limit"},
		{"cursor not hex", "cursor=zz", "cursor"},
		{"cursor too short", "cursor=00ff", "cursor"},
		{"bad value", "value=Not%20a%20value", "value"},
		{"min_seq not a number", "min_seq=soon", "min_seq"},
		{"min_seq negative", "min_seq=-3", "min_seq"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := w.Do(t, "GET", "/v1/feed?"+tt.raw, w.Admin, nil)
			r.WantProblem(t, http.StatusBadRequest, tt.field)
		})
	}
}

// TestFeedQueryRefusesBadBodies: a request that reaches the query
// function itself (over NATS, say) as JSON it cannot take is refused on
// the field body, a sequence past 2^64 included, rather than read with a
// sequence of another value.
func TestFeedQueryRefusesBadBodies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	page := feed.Module().Queries(w.Runners[feed.Name], time.Now)[apiv1.QueryFeedPage]
	for _, body := range []string{
		`{"tenant":"acme","scope":"tenant","min_seq":18446744073709551621}`,
		`{"tenant":"acme","scope":"tenant","limit":"ten"}`,
		`{"tenant":"acme","scope":`,
	} {
		_, err := page(context.Background(), []byte(body))
		var qe *projector.QueryError
		if !errors.As(err, &qe) || qe.Status != http.StatusBadRequest || qe.Field != "body" {
			t.Errorf("%s: %v, want a 400 on the field body", body, err)
		}
	}
}

// TestFeedReadYourWrites: a read with the sequence of a write sees it; a
// read with a sequence the stream has not reached waits a bounded time and
// is refused with Retry-After.
func TestFeedReadYourWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for i := range 20 {
		id := w.give(t, kudos{from: "ana", to: []string{"bo"}})
		p := w.page(t, w.Keys["bo"], query("scope", "member:bo", "limit", "1"))
		if len(p.Items) != 1 || p.Items[0].ID != id {
			t.Fatalf("read %d after its write does not see it: %+v", i, p.Items)
		}
	}
	start := time.Now()
	r := w.Do(t, "GET", "/v1/feed?min_seq="+strconv.FormatUint(w.Last+1000, 10), w.Admin, nil)
	took := time.Since(start)
	r.WantProblem(t, http.StatusServiceUnavailable, "min_seq")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if took < time.Second || took > 3500*time.Millisecond {
		t.Errorf("refused after %s, want about %s", took, projector.MaxWait)
	}
}
