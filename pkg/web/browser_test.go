package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plaudit/plaudit/internal/browser"
)

// TestInTheBrowser walks the page in Chromium as its people do: a member
// signs in through a link and gives kudos that shows in the feed, sees a
// refusal at the field it names, an agent's live page shows a kudos made
// from a customer's rating posted over the API, and a manager sees the
// team's chart and gap list and recognises someone from it. Every page
// passes axe-core with no serious or critical violation. With
// PLAUDIT_SCREENSHOTS set it saves the README's screenshots.
func TestInTheBrowser(t *testing.T) {
	s := startSite(t)

	ben := browser.New(t)
	tab := s.signIn(t, ben, "ben", "")
	browser.Axe(t, tab)

	// Give kudos through the form; it shows in the feed.
	const message = "Cara rebuilt the refund macro, so every agent saves a minute on each call"
	browser.Run(t, tab,
		chromedp.Navigate(s.URL+"/give"),
		chromedp.WaitVisible(chromedp.CSS("#allowance")),
	)
	if got := browser.Get(t, tab, chromedp.Text(chromedp.CSS("#allowance"))); !strings.Contains(got, "10 of 10 points left") {
		t.Errorf("allowance shown before giving: %q", got)
	}
	browser.Axe(t, tab)
	browser.Run(t, tab,
		chromedp.SendKeys(chromedp.CSS("#to"), "cara"),
		chromedp.SendKeys(chromedp.CSS("#message"), message),
		chromedp.Click(chromedp.CSS(`input[name="values"][value="customer-first"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/give"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
	)
	if got := browser.Get(t, tab, chromedp.Text(chromedp.CSS(".feed .kudos .message"))); got != message {
		t.Errorf("the feed's newest kudos says %q, want %q", got, message)
	}
	browser.Axe(t, tab)
	browser.Screenshot(t, tab, "feed")
	// Checked before the refusal below, whose answer (422) the browser
	// logs as a failed load.
	browser.NoJSErrors(t, tab)

	// A refusal is shown at the field it names, with what was typed kept.
	browser.Run(t, tab,
		chromedp.Navigate(s.URL+"/give"),
		chromedp.WaitVisible(chromedp.CSS("#to")),
		chromedp.SendKeys(chromedp.CSS("#to"), "cara"),
		chromedp.SendKeys(chromedp.CSS("#message"), "great job"),
		chromedp.Click(chromedp.CSS(`form[action="/give"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#message-error")),
	)
	if got := browser.Get(t, tab, chromedp.Text(chromedp.CSS("#message-error"))); !strings.Contains(got, "generic") && !strings.Contains(got, "specific") {
		t.Errorf("the message's error says %q", got)
	}
	if got := browser.Get(t, tab, chromedp.AttributeValue(chromedp.CSS("#message"), "aria-invalid")); got.Value != "true" {
		t.Errorf("the message field's aria-invalid is %q", got.Value)
	}
	if got := browser.Get(t, tab, chromedp.Value(chromedp.CSS("#to"))); got != "cara" {
		t.Errorf("the recipients typed were not kept: %q", got)
	}
	browser.Axe(t, tab)

	// The keyboard: the first Tab reaches the skip link, which moves focus
	// to the page's content.
	browser.Run(t, tab,
		chromedp.Navigate(s.URL+"/give"),
		chromedp.WaitVisible(chromedp.CSS("#to")),
		chromedp.KeyEvent("\t"),
	)
	if got := browser.Get(t, tab, chromedp.Evaluate[string](`document.activeElement.className`)); got != "skip" {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	browser.Run(t, tab, chromedp.KeyEvent("\r"))
	if got := browser.Get(t, tab, chromedp.Evaluate[string](`document.activeElement.id`)); got != "main" {
		t.Errorf("the skip link moved focus to %q, want main", got)
	}

	// Another site's page (another port: same site, other origin, so
	// the SameSite cookie is sent) posts the give form with ben's very
	// token: refused, nothing given.
	token := browser.Get(t, tab, chromedp.Evaluate[string](`document.querySelector('input[name="csrf"]').value`))
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>x</title><form id="f" method="post" action="%s/give">
<input name="csrf" value="%s"><input name="to" value="cara"><input name="points" value="1">
<input name="message" value="Posted by another site to spend the allowance of whoever visits"></form>
<script>document.getElementById("f").submit()</script></html>`, s.URL, token)
	}))
	defer evil.Close()
	before := s.StreamLastSeq(t)
	browser.Run(t, tab,
		chromedp.Navigate(evil.URL),
		chromedp.Poll[chromedp.Void](`location.href.startsWith("`+s.URL+`/give")`),
		chromedp.WaitReady(chromedp.CSS("body")),
	)
	if got := browser.Get(t, tab, chromedp.Evaluate[string](`document.body.innerText`)); !strings.Contains(strings.ToLower(got), "cross-origin") {
		t.Errorf("the cross-site post was answered %q", got)
	}
	if after := s.StreamLastSeq(t); after != before {
		t.Errorf("the cross-site post appended events: %d to %d", before, after)
	}

	// A member opening another team's view is refused; a link opened a
	// second time signs nobody in.
	browser.Run(t, tab, chromedp.Navigate(s.URL+"/team/sales"), chromedp.WaitVisible(chromedp.CSS("main .problem")))
	if got := browser.Get(t, tab, chromedp.Text(chromedp.CSS("main .problem"))); !strings.Contains(got, "team") {
		t.Errorf("ben opening sales' team view was told %q", got)
	}
	link := s.link(t, "dev", "")
	stranger := browser.New(t)
	once := stranger.Tab(t)
	browser.Run(t, once,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)),
	)
	again := browser.New(t).Tab(t)
	browser.Run(t, again, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("main .problem")))
	if got := browser.Get(t, again, chromedp.Text(chromedp.CSS("main .problem"))); !strings.Contains(got, "used already") {
		t.Errorf("a link opened a second time says %q", got)
	}

	// The agent's live moment: cara keeps /live open; a customer's
	// 5-star rating arrives over the API and becomes kudos.
	cara := browser.New(t)
	live := s.signIn(t, cara, "cara", "")
	browser.Run(t, live,
		chromedp.Navigate(s.URL+"/live"),
		chromedp.WaitVisible(chromedp.CSS("#moments")),
		chromedp.Poll[chromedp.Void](`document.getElementById("live-status").textContent.startsWith("Live")`),
	)
	browser.Axe(t, live)
	posted := time.Now()
	s.Do(t, "POST", "/v1/ratings", s.admin, map[string]any{
		"platform": "cxone", "interaction_id": "conv-live-1", "agent": "cara", "score": 5, "scale": "stars_5",
		"comment": "Cara sorted my refund in minutes and explained every step", "channel": "voice",
		"handle_time_seconds": 312, "occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
	}).Want(t, http.StatusCreated)
	browser.Run(t, live, chromedp.WaitVisible(chromedp.CSS("#moments li.moment")))
	t.Logf("live moment shown %v after the rating was posted", time.Since(posted).Round(time.Millisecond))
	if got := browser.Get(t, live, chromedp.Text(chromedp.CSS("#toast"))); !strings.Contains(got, "customer") {
		t.Errorf("the live moment's announcement says %q", got)
	}
	browser.Screenshot(t, live, "live")
	browser.NoJSErrors(t, live)

	// The manager's team view: the chart, and the gap list (ben has not
	// been recognised since joining) whose "recognise now" opens the give
	// form for him.
	// The team view reads the density projection: it has applied
	// everything given so far.
	s.CaughtUp(t, 30*time.Second)
	ana := browser.New(t)
	mgr := s.signIn(t, ana, "ana", "")
	browser.Run(t, mgr,
		chromedp.Navigate(s.URL+"/team"),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")),
		chromedp.WaitVisible(chromedp.CSS("#gaps")),
	)
	bars := browser.Get(t, mgr, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart rect").length`))
	if bars != 12 {
		t.Errorf("the chart has %d bars, want 12 weeks", bars)
	}
	gaps := browser.Get(t, mgr, chromedp.Text(chromedp.CSS("#gaps")))
	if !strings.Contains(gaps, "Ben") || strings.Contains(gaps, "Cara") {
		t.Errorf("the gap list says %q: want Ben, not Cara (recognised today)", gaps)
	}
	browser.Axe(t, mgr)
	browser.Screenshot(t, mgr, "team")
	browser.Run(t, mgr,
		chromedp.Click(chromedp.CSS(`#gaps a.button`)),
		chromedp.WaitVisible(chromedp.CSS("#to")),
	)
	if got := browser.Get(t, mgr, chromedp.Value(chromedp.CSS("#to"))); got != "ben" {
		t.Errorf("recognise now opened the form for %q, want ben", got)
	}
	for _, page := range []string{"/me", "/?scope=team"} {
		browser.Run(t, mgr, chromedp.Navigate(s.URL+page), chromedp.WaitVisible(chromedp.CSS("main h1")))
		browser.Axe(t, mgr)
	}
	browser.NoJSErrors(t, mgr)
}

// TestTeamViewRules: a member may not open another team's view, a manager
// sees only the people they manage, and the page shows the API's refusal.
func TestTeamViewRules(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ben := s.client(t, "ben", "")
	if status, body := s.get(t, ben, "/team/sales"); status != http.StatusForbidden || !strings.Contains(body, "team") {
		t.Errorf("ben opening sales' team view: %d\n%s", status, body)
	}
	// ben's own team: its totals, not the list of people.
	if status, body := s.get(t, ben, "/team/support"); status != http.StatusOK || !strings.Contains(body, "The list of people is for their managers") || strings.Contains(body, `id="gaps"`) {
		t.Errorf("ben opening his own team's view: %d", status)
	}
	lee := s.client(t, "lee", "")
	if status, _ := s.get(t, lee, "/team/support"); status != http.StatusForbidden {
		t.Errorf("lee, who manages sales, opening support's view: %d", status)
	}
	status, body := s.get(t, lee, "/team/sales")
	if status != http.StatusOK || !strings.Contains(body, "Recognise Dev now") {
		t.Errorf("lee's own team: %d, dev not in the gap list", status)
	}
	for _, name := range []string{"Ana", "Ben", "Cara"} {
		if strings.Contains(body, fmt.Sprintf("Recognise %s now", name)) {
			t.Errorf("lee's gap list names %s, whom lee does not manage", name)
		}
	}
}
