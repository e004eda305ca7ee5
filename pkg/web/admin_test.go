package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/plaudit/plaudit/internal/browser"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// upload posts a CSV file as the import form does: multipart, with the
// session's CSRF token, from the same origin.
func (s *site) upload(t *testing.T, c *http.Client, csrf, csv string) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("csrf", csrf); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", "members.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(fw, csv); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return s.send(t, c, "/admin/members", mw.FormDataContentType(), &b)
}

// submit posts a url-encoded form as the page does and returns the answer
// with its body.
func (s *site) submit(t *testing.T, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return s.send(t, c, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// directory is the tenant's directory as the admin key reads it, by id.
func (s *site) directory(t *testing.T) map[string]apiv1.DirectoryMember {
	t.Helper()
	var d apiv1.Directory
	s.Do(t, "GET", "/v1/members", s.admin, nil).Want(t, http.StatusOK).Decode(t, &d)
	out := map[string]apiv1.DirectoryMember{}
	for _, m := range d.Members {
		out[m.ID] = m
	}
	return out
}

// keys are the tenant's keys as the admin key lists them.
func (s *site) keys(t *testing.T) []apiv1.APIKey {
	t.Helper()
	var l apiv1.KeyList
	s.Do(t, "GET", "/v1/keys", s.admin, nil).Want(t, http.StatusOK).Decode(t, &l)
	return l.Keys
}

// invalidControl finds the form controls a page marks aria-invalid; the
// templates write id before aria-invalid.
var invalidControl = regexp.MustCompile(`<(?:input|select|textarea)[^>]*\bid="([^"]+)"[^>]*aria-invalid="true"`)

// invalidFields are the ids of the controls body marks invalid, each
// checked to be described by its error message.
func invalidFields(t *testing.T, body string) []string {
	t.Helper()
	var ids []string
	for _, m := range invalidControl.FindAllStringSubmatch(body, -1) {
		id := m[1]
		if !regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*aria-describedby="[^"]*\b` + regexp.QuoteMeta(id) + `-error\b`).MatchString(body) {
			t.Errorf("%s is marked invalid but not described by %s-error", id, id)
		}
		if !strings.Contains(body, `id="`+id+`-error"`) {
			t.Errorf("%s is marked invalid and there is no %s-error", id, id)
		}
		ids = append(ids, id)
	}
	return ids
}

// fieldError is the text of the error shown at the control id.
func fieldError(body, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `-error">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestAdminImportsMembers: a CSV import adds or updates every member of the
// file, or, refused, none; a refusal names the row of the file, whether
// the page found it or the API did.
func TestAdminImportsMembers(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.client(t, "ana", "admin")
	csrf := s.csrf(t, c)
	tests := []struct {
		name   string
		csv    string
		status int
		// want is in the page shown: the refusal, or the notice on the
		// page the import redirects to.
		want    string
		members []apiv1.DirectoryMember // in the directory afterwards
		absent  []string                // not in it
	}{
		{
			name: "three members",
			csv: "id,name,team,manager,time_zone,email,slack_user_id,teams_user_id\n" +
				"fay,Fay Lind,ops,,Europe/Paris,Fay@Example.com,U0FAY,\n" +
				"gus,Gus,ops,fay,UTC,,,\n" +
				"hal,Hal,ops,fay,Asia/Tokyo,hal@example.com,,\n",
			status: http.StatusSeeOther, want: "3 members imported",
			members: []apiv1.DirectoryMember{
				{ID: "fay", Name: "Fay Lind", Team: "ops", TimeZone: "Europe/Paris", Active: true, Email: "fay@example.com", SlackUserID: "U0FAY"},
				{ID: "gus", Name: "Gus", Team: "ops", Manager: "fay", TimeZone: "UTC", Active: true},
				{ID: "hal", Name: "Hal", Team: "ops", Manager: "fay", TimeZone: "Asia/Tokyo", Active: true, Email: "hal@example.com"},
			},
		},
		{
			name:   "columns in any order, a quoted name, TRUE, a byte-order mark",
			csv:    "\ufefftime_zone,Active,id,team,name\r\nUTC,TRUE,ivy,ops,\"Ivy, Jr.\"\r\n",
			status: http.StatusSeeOther, want: "1 member imported",
			members: []apiv1.DirectoryMember{{ID: "ivy", Name: "Ivy, Jr.", Team: "ops", TimeZone: "UTC", Active: true}},
		},
		{
			name:   "a bad time zone on row 3, refused by the API",
			csv:    "id,name,team,time_zone\njon,Jon,ops,UTC\nkim,Kim,ops,Mars/Olympus\n",
			status: http.StatusUnprocessableEntity, want: "row 3, time_zone: &#34;Mars/Olympus&#34; is not an IANA time zone",
			absent: []string{"jon", "kim"},
		},
		{
			name:   "a bad id after a blank line",
			csv:    "id,name,team,time_zone\nlou,Lou,ops,UTC\nmo,Mo,ops,UTC\n\nNot An Id,Nat,ops,UTC\n",
			status: http.StatusUnprocessableEntity, want: "row 4 (line 5), id: ",
			absent: []string{"lou", "mo"},
		},
		{
			name:   "an id twice",
			csv:    "id,name,team,time_zone\nned,Ned,ops,UTC\nned,Ned Again,ops,UTC\n",
			status: http.StatusUnprocessableEntity, want: "row 3, id: ",
			absent: []string{"ned"},
		},
		{
			name:   "active neither true nor false",
			csv:    "id,name,team,time_zone,active\nola,Ola,ops,UTC,true\npia,Pia,ops,UTC,yes\n",
			status: http.StatusUnprocessableEntity, want: "row 3, active: &#34;yes&#34; is neither true nor false",
			absent: []string{"ola", "pia"},
		},
		{
			name:   "a required column missing",
			csv:    "id,name,team\nquin,Quin,ops\n",
			status: http.StatusUnprocessableEntity, want: "row 1: the time_zone column is missing",
			absent: []string{"quin"},
		},
		{
			name:   "an unknown column",
			csv:    "id,name,team,time_zone,phone\nrex,Rex,ops,UTC,555\n",
			status: http.StatusUnprocessableEntity, want: "row 1: &#34;phone&#34; is not a column of the import",
			absent: []string{"rex"},
		},
		{
			name:   "a short row",
			csv:    "id,name,team,time_zone\nsam,Sam,ops,UTC\ntia,Tia,ops\n",
			status: http.StatusUnprocessableEntity, want: "row 3: has 3 cells, the header 4",
			absent: []string{"sam", "tia"},
		},
		{
			name:   "a stray quote",
			csv:    "id,name,team,time_zone\numa,Uma,ops,UTC\nvic,Vic \"the\" Great,ops,UTC\n",
			status: http.StatusUnprocessableEntity, want: "row 3 (line 3): ",
			absent: []string{"uma", "vic"},
		},
		{
			name:   "more members than one import holds",
			csv:    manyMembers("w", command.MaxImport+1),
			status: http.StatusUnprocessableEntity, want: fmt.Sprintf("the file has more than %d members", command.MaxImport),
			absent: []string{"w0000"},
		},
		{
			// Within the limit of members, beyond the API's of bytes.
			name:   "members too long for one import",
			csv:    longMembers("x", command.MaxImport),
			status: http.StatusRequestEntityTooLarge, want: "the file is too large for one import",
			absent: []string{"x0000"},
		},
		{
			name:   "a header and no members",
			csv:    "id,name,team,time_zone\n",
			status: http.StatusUnprocessableEntity, want: "the file has a header row but no members",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.StreamLastSeq(t)
			res, body := s.upload(t, c, csrf, tt.csv)
			if res.StatusCode != tt.status {
				t.Fatalf("status %s, want %d: %s", res.Status, tt.status, body)
			}
			if tt.status == http.StatusSeeOther {
				loc := res.Header.Get("Location")
				if !regexp.MustCompile(`^/admin\?imported=\d+&min_seq=\d+$`).MatchString(loc) {
					t.Errorf("redirected to %q, want /admin?imported=N&min_seq=SEQ", loc)
				}
				_, body = s.get(t, c, loc)
			} else {
				if got := invalidFields(t, body); !slices.Equal(got, []string{"file"}) {
					t.Errorf("controls marked invalid %v, want [file]", got)
				}
				if n := s.StreamLastSeq(t); n != before {
					t.Errorf("a refused import appended events: the stream went from %d to %d", before, n)
				}
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("the page does not say %q:\n%s", tt.want, body)
			}
			dir := s.directory(t)
			for _, want := range tt.members {
				if got := dir[want.ID]; got != want {
					t.Errorf("member %s is %+v, want %+v", want.ID, got, want)
				}
			}
			for _, id := range tt.absent {
				if _, ok := dir[id]; ok {
					t.Errorf("member %s is in the directory", id)
				}
			}
		})
	}
}

// manyMembers is a CSV file of n members of team "many", ids prefix0000 on.
func manyMembers(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("id,name,team,time_zone\n")
	for i := range n {
		fmt.Fprintf(&b, "%s%04d,Member %d,many,UTC\n", prefix, i, i)
	}
	return b.String()
}

// longMembers is manyMembers with long e-mail addresses.
func longMembers(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("id,name,team,time_zone,email\n")
	for i := range n {
		fmt.Fprintf(&b, "%s%04d,Member %d,many,UTC,%s%04d@%s.example.com\n", prefix, i, i, prefix, i, strings.Repeat("department", 9))
	}
	return b.String()
}

// TestAdminListsMembersByPage: the members table shows 50 at a time, in
// id order, with links to the neighbouring pages, and filters by team.
func TestAdminListsMembersByPage(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.client(t, "ana", "admin")
	// 120 more members: with the five of the site, 125, three pages.
	if res, body := s.upload(t, c, s.csrf(t, c), manyMembers("m", 120)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %s: %s", res.Status, body)
	}
	rows := regexp.MustCompile(`<tr><td>([^<]+)</td>`)
	tests := []struct {
		path, caption string
		first, last   string // the ids of the first and last rows
		rows          int
		prev, next    string
	}{
		{"/admin", "125 members, page 1 of 3", "ana", "m0044", 50, "", "/admin?page=2"},
		{"/admin?page=2", "125 members, page 2 of 3", "m0045", "m0094", 50, "/admin?page=1", "/admin?page=3"},
		{"/admin?page=3", "125 members, page 3 of 3", "m0095", "m0119", 25, "/admin?page=2", ""},
		{"/admin?page=99", "125 members, page 3 of 3", "m0095", "m0119", 25, "/admin?page=2", ""},
		{"/admin?page=x", "125 members, page 1 of 3", "ana", "m0044", 50, "", "/admin?page=2"},
		{"/admin?team=support", "3 members in support, page 1 of 1", "ana", "cara", 3, "", ""},
		{"/admin?team=many&page=2", "120 members in many, page 2 of 3", "m0050", "m0099", 50, "/admin?page=1&amp;team=many", "/admin?page=3&amp;team=many"},
		{"/admin?team=nobody", "0 members in nobody, page 1 of 1", "", "", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, body := s.get(t, c, tt.path)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			table := body[strings.Index(body, `id="members"`):]
			table = table[:strings.Index(table, "</table>")]
			if !strings.Contains(table, "<caption>"+tt.caption+"</caption>") {
				t.Errorf("caption is not %q:\n%s", tt.caption, table)
			}
			ids := rows.FindAllStringSubmatch(table, -1)
			if len(ids) != tt.rows {
				t.Fatalf("%d rows, want %d", len(ids), tt.rows)
			}
			if tt.rows > 0 && (ids[0][1] != tt.first || ids[len(ids)-1][1] != tt.last) {
				t.Errorf("rows %s to %s, want %s to %s", ids[0][1], ids[len(ids)-1][1], tt.first, tt.last)
			}
			for rel, want := range map[string]string{"prev": tt.prev, "next": tt.next} {
				m := regexp.MustCompile(`<a href="([^"]*)" rel="` + rel + `"`).FindStringSubmatch(body)
				switch {
				case want == "" && m != nil:
					t.Errorf("a %s link to %s, want none", rel, m[1])
				case want != "" && (m == nil || m[1] != want):
					t.Errorf("%s link %v, want %s", rel, m, want)
				}
			}
		})
	}
}

// TestAdminRefusesOthers: the page, and each of its forms, is an admin's:
// anyone else gets the API's refusal, 403, and nothing changes.
func TestAdminRefusesOthers(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ana := s.client(t, "ana", "admin") // whose session the others try to end
	target := ""
	for _, k := range s.keys(t) {
		if k.Session && k.Member == "ana" {
			target = k.KeyID
		}
	}
	if target == "" {
		t.Fatal("ana's session is not among the keys")
	}
	before, keys := s.StreamLastSeq(t), len(s.keys(t))
	for _, who := range []struct{ member, role string }{{"ben", ""}, {"ana", ""}} {
		c := s.client(t, who.member, who.role)
		csrf := s.csrf(t, c)
		posts := []struct {
			path string
			form url.Values
		}{
			{"/admin/keys", url.Values{"role": {"admin"}}},
			{"/admin/policy", url.Values{"allowance_amount": {"500"}, "allowance_period": {"day"}}},
			{"/admin/keys/" + target + "/revoke", nil},
		}
		t.Run(who.member+" GET /admin", func(t *testing.T) {
			status, body := s.get(t, c, "/admin")
			if status != http.StatusForbidden || strings.Contains(body, "API keys and sessions") {
				t.Errorf("status %d, want 403 without the page: %s", status, body)
			}
		})
		for _, p := range posts {
			t.Run(who.member+" POST "+p.path, func(t *testing.T) {
				form := url.Values{"csrf": {csrf}}
				for k, v := range p.form {
					form[k] = v
				}
				if res, body := s.submit(t, c, p.path, form); res.StatusCode != http.StatusForbidden {
					t.Errorf("status %s, want 403: %s", res.Status, body)
				}
			})
		}
		t.Run(who.member+" POST /admin/members", func(t *testing.T) {
			if res, body := s.upload(t, c, csrf, "id,name,team,time_zone\nzed,Zed,ops,UTC\n"); res.StatusCode != http.StatusForbidden {
				t.Errorf("status %s, want 403: %s", res.Status, body)
			}
		})
	}
	if n := s.StreamLastSeq(t); n != before {
		t.Errorf("refused posts appended events: the stream went from %d to %d", before, n)
	}
	// Two sessions more (ben's, ana's as manager); no key made, none revoked.
	if n := len(s.keys(t)); n != keys+2 {
		t.Errorf("%d keys, want %d", n, keys+2)
	}
	if status, _ := s.get(t, ana, "/admin"); status != http.StatusOK {
		t.Errorf("ana's admin session: %d, want 200", status)
	}
}

// TestAdminSetsThePolicy: the policy form saves what it shows and keeps the
// rules it does not; a refusal is shown at the field it names.
func TestAdminSetsThePolicy(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	// Rules the form does not show, not the defaults: saving the form must
	// keep them.
	s.Do(t, "PUT", "/v1/policy", s.admin, map[string]any{
		"allowance": map[string]any{"amount": 10, "period": "week"},
		"values":    []string{"ownership"},
		"rules":     map[string]any{"gap_days": 21},
		"nudges":    map[string]any{"daily_cap": 2},
	}).Want(t, http.StatusCreated)
	var kept apiv1.Policy
	s.Do(t, "GET", "/v1/policy", s.admin, nil).Want(t, http.StatusOK).Decode(t, &kept)
	c := s.client(t, "ana", "admin")
	csrf := s.csrf(t, c)
	form := func(amount, period, values, minLength string, generic bool) url.Values {
		f := url.Values{"csrf": {csrf}, "allowance_amount": {amount}, "allowance_period": {period}, "values": {values}, "min_length": {minLength}}
		if generic {
			f.Set("reject_generic", "on")
		}
		return f
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string // the control the refusal is shown at
		want   string // in the page
	}{
		{"an allowance of -1", form("-1", "week", "ownership", "20", true), http.StatusUnprocessableEntity, "allowance_amount", `value="-1"`},
		{"an allowance in words", form("ten", "week", "ownership", "20", true), http.StatusUnprocessableEntity, "allowance_amount", "must be a whole number"},
		{"a fortnight", form("10", "fortnight", "ownership", "20", true), http.StatusUnprocessableEntity, "allowance_period", ""},
		{"a value with a space", form("10", "week", "ownership, Team Spirit", "20", true), http.StatusUnprocessableEntity, "values", `value="ownership, Team Spirit"`},
		{"messages of length 0", form("10", "week", "ownership", "0", true), http.StatusUnprocessableEntity, "min_length", ""},
		{"saved", form("7", "month", " ownership ,kindness,", "30", false), http.StatusSeeOther, "", "The policy is saved."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.StreamLastSeq(t)
			res, body := s.submit(t, c, "/admin/policy", tt.form)
			if res.StatusCode != tt.status {
				t.Fatalf("status %s, want %d: %s", res.Status, tt.status, body)
			}
			var pol apiv1.Policy
			s.Do(t, "GET", "/v1/policy", s.admin, nil).Want(t, http.StatusOK).Decode(t, &pol)
			if tt.field != "" {
				if got := invalidFields(t, body); !slices.Equal(got, []string{tt.field}) {
					t.Errorf("controls marked invalid %v, want [%s]", got, tt.field)
				}
				if fieldError(body, tt.field) == "" {
					t.Errorf("no error text at %s", tt.field)
				}
				if n := s.StreamLastSeq(t); n != before {
					t.Errorf("a refused policy appended events: the stream went from %d to %d", before, n)
				}
				if pol.Allowance != kept.Allowance || !slices.Equal(pol.Values, kept.Values) {
					t.Errorf("the policy changed to %+v", pol)
				}
			} else {
				if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/admin?done=policy&min_seq=") {
					t.Errorf("redirected to %q", loc)
				}
				_, body = s.get(t, c, res.Header.Get("Location"))
				want := apiv1.Policy{
					Allowance: apiv1.PolicyAllowanceSet{Amount: 7, Period: "month"}, Values: []string{"ownership", "kindness"},
					MessageRules: apiv1.MessageRulesSet{MinLength: 30, RejectGeneric: false},
				}
				if pol.Allowance != want.Allowance || !slices.Equal(pol.Values, want.Values) || pol.MessageRules != want.MessageRules {
					t.Errorf("policy %+v, want %+v", pol, want)
				}
				if rulesOf(t, pol) != rulesOf(t, kept) {
					t.Errorf("rules %s and nudges %s, want them kept: %s and %s", pol.Rules, pol.Nudges, kept.Rules, kept.Nudges)
				}
				for _, v := range []string{`id="allowance_amount" name="allowance_amount" min="1" value="7"`, `value="ownership, kindness"`} {
					if !strings.Contains(body, v) {
						t.Errorf("the form does not show the policy saved: no %s", v)
					}
				}
			}
			if tt.want != "" && !strings.Contains(body, tt.want) {
				t.Errorf("the page does not say %q:\n%s", tt.want, body)
			}
		})
	}
}

// unshown are the parts of a policy the form does not show.
type unshown struct {
	rules  event.Rules
	nudges event.NudgePolicy
}

func rulesOf(t *testing.T, p apiv1.Policy) unshown {
	t.Helper()
	var r unshown
	if err := json.Unmarshal(p.Rules, &r.rules); err != nil {
		t.Fatalf("rules %s: %v", p.Rules, err)
	}
	if err := json.Unmarshal(p.Nudges, &r.nudges); err != nil {
		t.Fatalf("nudges %s: %v", p.Nudges, err)
	}
	return r
}

// newKey is the secret the page shows for a key just made.
var newKey = regexp.MustCompile(`id="new-key" value="([^"]+)"`)

// TestAdminCreatesKeys: a key made on the page works, and its secret is in
// the answer to the post only, once; a refusal is shown at its field.
func TestAdminCreatesKeys(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.client(t, "ana", "admin")
	csrf := s.csrf(t, c)
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string // the control a refusal is shown at
		role   string // of the key made
	}{
		{"an analyst key", url.Values{"role": {"analyst"}}, http.StatusCreated, "", "analyst"},
		{"a member key expiring", url.Values{"role": {"member"}, "member": {" ben "}, "expires": {"2099-12-31"}}, http.StatusCreated, "", "member"},
		{"no role", url.Values{"role": {""}}, http.StatusUnprocessableEntity, "role", ""},
		{"a member key without its member", url.Values{"role": {"member"}}, http.StatusUnprocessableEntity, "member", ""},
		{"a member who is not one", url.Values{"role": {"manager"}, "member": {"nobody"}}, http.StatusUnprocessableEntity, "member", ""},
		{"an expiry in the past", url.Values{"role": {"analyst"}, "expires": {"2001-01-01"}}, http.StatusUnprocessableEntity, "expires", ""},
		{"an expiry that is no date", url.Values{"role": {"analyst"}, "expires": {"soon"}}, http.StatusUnprocessableEntity, "expires", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.keys(t)
			tt.form.Set("csrf", csrf)
			res, body := s.submit(t, c, "/admin/keys", tt.form)
			if res.StatusCode != tt.status {
				t.Fatalf("status %s, want %d: %s", res.Status, tt.status, body)
			}
			after := s.keys(t)
			if tt.field != "" {
				if got := invalidFields(t, body); !slices.Equal(got, []string{tt.field}) {
					t.Errorf("controls marked invalid %v, want [%s]", got, tt.field)
				}
				if len(after) != len(before) || newKey.MatchString(body) {
					t.Errorf("a refused key was made: %d keys before, %d after", len(before), len(after))
				}
				return
			}
			m := newKey.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("the answer shows no key:\n%s", body)
			}
			secret := m[1]
			if n := strings.Count(body, secret); n != 1 {
				t.Errorf("the secret is in the answer %d times, want once", n)
			}
			if !strings.Contains(body, "it will not be shown again") {
				t.Error("the answer does not say the key will not be shown again")
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			var new []apiv1.APIKey
			for _, k := range after {
				if !slices.ContainsFunc(before, func(b apiv1.APIKey) bool { return b.KeyID == k.KeyID }) {
					new = append(new, k)
				}
			}
			if len(new) != 1 || len(after) != len(before)+1 {
				t.Fatalf("keys made %+v (%d before, %d after), want one", new, len(before), len(after))
			}
			made := new[0]
			if made.Role != tt.role || !strings.Contains(body, made.KeyID) {
				t.Errorf("key %+v made, want role %s, named on the page", made, tt.role)
			}
			// The key works, as the key listed.
			s.Do(t, "GET", "/v1/policy", secret, nil).Want(t, http.StatusOK)
			// And the page does not show it again.
			status, page := s.get(t, c, "/admin")
			if status != http.StatusOK || strings.Contains(page, secret) || newKey.MatchString(page) {
				t.Errorf("the next GET /admin (%d) shows the secret again", status)
			}
			if !strings.Contains(page, made.KeyID) {
				t.Errorf("the next GET /admin does not list key %s", made.KeyID)
			}
		})
	}
}

// TestAdminRevokesSessions: revoking a session on the page signs its
// browser out; the admin's own session is not offered for revoking.
func TestAdminRevokesSessions(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.client(t, "ana", "admin")
	ben := s.client(t, "ben", "")
	if status, _ := s.get(t, ben, "/me"); status != http.StatusOK {
		t.Fatalf("ben's session: %d", status)
	}
	sessions := map[string]string{} // member -> session key id
	for _, k := range s.keys(t) {
		if k.Session {
			sessions[k.Member] = k.KeyID
		}
	}
	_, page := s.get(t, c, "/admin")
	for member, id := range sessions {
		offered := strings.Contains(page, `action="/admin/keys/`+id+`/revoke"`)
		if offered != (member != "ana") {
			t.Errorf("%s's session %s offered for revoking: %v", member, id, offered)
		}
	}
	csrf := s.csrf(t, c)
	tests := []struct {
		name   string
		id     string
		status int
		want   string // in the page, after the redirect when there is one
	}{
		{"ben's session", sessions["ben"], http.StatusSeeOther, "The key is revoked"},
		{"ben's session again", sessions["ben"], http.StatusNotFound, "no key " + sessions["ben"]},
		{"ana's own session", sessions["ana"], http.StatusUnprocessableEntity, "a key cannot revoke itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := s.submit(t, c, "/admin/keys/"+tt.id+"/revoke", url.Values{"csrf": {csrf}})
			if res.StatusCode != tt.status {
				t.Fatalf("status %s, want %d: %s", res.Status, tt.status, body)
			}
			if res.StatusCode == http.StatusSeeOther {
				_, body = s.get(t, c, res.Header.Get("Location"))
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("the page does not say %q:\n%s", tt.want, body)
			}
		})
	}
	// Revoked when the post was answered: ben is signed out at once.
	if status, body := s.get(t, ben, "/me"); status != http.StatusUnauthorized {
		t.Errorf("ben's revoked session: GET /me %d, want 401: %s", status, body)
	}
	if status, _ := s.get(t, c, "/admin"); status != http.StatusOK {
		t.Errorf("ana's session after the refusal to revoke it: %d", status)
	}
}

// TestAdminPageInBrowser: the page, and a refusal on it, pass axe-core in
// a real browser.
func TestAdminPageInBrowser(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	tab := s.signIn(t, browser.New(t), "ana", "admin")
	browser.Run(t, tab,
		chromedp.Navigate(s.URL+"/admin"),
		chromedp.WaitVisible(chromedp.CSS("#members")),
		chromedp.WaitVisible(chromedp.CSS("#keys")),
	)
	browser.Screenshot(t, tab, "admin")
	browser.Axe(t, tab)
	// Checked now: the refusal below is a 422 page, which the browser logs
	// as a failed load.
	browser.NoJSErrors(t, tab)
	// The policy refused, at its field.
	browser.Run(t, tab,
		chromedp.SetValue(chromedp.CSS("#allowance_amount"), "-1"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/policy"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#allowance_amount-error")),
	)
	browser.Screenshot(t, tab, "admin-policy-refused")
	browser.Axe(t, tab)
	// A key made, its secret shown.
	browser.Run(t, tab,
		chromedp.SetValue(chromedp.CSS("#role"), "analyst"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/keys"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-key")),
	)
	browser.Screenshot(t, tab, "admin-key-created")
	browser.Axe(t, tab)
}
