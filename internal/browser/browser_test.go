package browser

import (
	"context"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// page writes a whole HTML document with body in its main landmark.
func page(w http.ResponseWriter, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
<body><main><h1>%s</h1>
%s
</main></body></html>`, title, title, body)
}

// site serves the pages of the tests on 127.0.0.1.
func site(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Give kudos", `<form method="post" action="/form">
<label for="message">Message</label>
<input id="message" name="message" type="text">
<button type="submit">Send</button>
</form>`)
	})
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Sent", `<p id="posted">`+html.EscapeString(r.FormValue("message"))+`</p>`)
	})
	// Three serious faults: an image with no text alternative, a field
	// with no label, grey text on white (contrast 2.3:1, 4.5:1 needed).
	mux.HandleFunc("GET /faulty", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Faulty", `<img id="logo" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">
<input id="search" name="q" type="text">
<p id="faint" style="color: #aaaaaa; background: #ffffff">Hard to read</p>`)
	})
	mux.HandleFunc("GET /errors", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Errors", `<p>Broken script</p>
<script>console.error("console says no"); throw new Error("thrown on purpose");</script>`)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "who", Value: r.URL.Query().Get("as"), Path: "/", HttpOnly: true})
		page(w, "Signed in", `<p>Signed in</p>`)
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		who := "nobody"
		if c, err := r.Cookie("who"); err == nil {
			who = c.Value
		}
		page(w, "Who", `<p id="who">`+html.EscapeString(who)+`</p>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestAxePassesAnAccessiblePage(t *testing.T) {
	t.Parallel()
	srv := site(t)
	tab := New(t).Tab(t)
	Run(t, tab, chromedp.Navigate(srv.URL+"/form"))
	Screenshot(t, tab, "accessible-form")
	if vs := Axe(t, tab); len(vs) != 0 {
		t.Errorf("violations on an accessible page: %+v", vs)
	}
	NoJSErrors(t, tab)
}

func TestAxeReportsViolations(t *testing.T) {
	t.Parallel()
	srv := site(t)
	tab := New(t).Tab(t)
	Run(t, tab, chromedp.Navigate(srv.URL+"/faulty"))
	Screenshot(t, tab, "faulty")

	vs, err := axe(tab)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // rule -> the element that breaks it
		"image-alt":      "#logo",
		"label":          "#search",
		"color-contrast": "#faint",
	}
	for _, v := range vs {
		target, ok := want[v.ID]
		if !ok {
			continue
		}
		delete(want, v.ID)
		if !v.Fails() {
			t.Errorf("%s has impact %q, want serious or critical", v.ID, v.Impact)
		}
		if len(v.Nodes) != 1 || !slices.Equal(v.Nodes[0].Target, []string{target}) {
			t.Errorf("%s: nodes %+v, want one, %s", v.ID, v.Nodes, target)
		}
	}
	for id := range want {
		t.Errorf("axe did not report %s; it reported %+v", id, vs)
	}

	// Axe itself fails the test, naming each rule and element.
	rec := &recorder{TB: t}
	Axe(rec, tab)
	msg := strings.Join(rec.errors, "\n")
	for _, s := range []string{"image-alt", "#logo", "label", "#search", "color-contrast", "#faint"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Axe's failure does not name %s:\n%s", s, msg)
		}
	}
}

// recorder is a testing.TB that keeps the errors reported to it instead
// of failing the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) {
	r.errors = append(r.errors, fmt.Sprint(args...))
}

func TestFormPostsWhatWasTyped(t *testing.T) {
	t.Parallel()
	srv := site(t)
	tab := New(t).Tab(t)
	const message = `Thanks for the <calm> refund call & more`
	Run(t, tab,
		chromedp.Navigate(srv.URL+"/form"),
		chromedp.SendKeys(chromedp.CSS("#message"), message),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#posted")),
	)
	if got := Get(t, tab, chromedp.Text(chromedp.CSS("#posted"))); got != message {
		t.Errorf("the page shows %q posted, want %q", got, message)
	}
	NoJSErrors(t, tab)
}

func TestBrowsersDoNotShareCookies(t *testing.T) {
	t.Parallel()
	srv := site(t)
	ana, bo := New(t), New(t)
	anaTab := ana.Tab(t)
	Run(t, anaTab, chromedp.Navigate(srv.URL+"/login?as=ana"))

	who := func(tab context.Context) string {
		Run(t, tab, chromedp.Navigate(srv.URL+"/whoami"))
		return Get(t, tab, chromedp.Text(chromedp.CSS("#who")))
	}
	if got := who(anaTab); got != "ana" {
		t.Errorf("ana's tab is signed in as %q, want ana", got)
	}
	if got := who(ana.Tab(t)); got != "ana" {
		t.Errorf("ana's second tab is signed in as %q, want ana: tabs of a Browser share cookies", got)
	}
	if got := who(bo.Tab(t)); got != "nobody" {
		t.Errorf("bo's tab is signed in as %q, want nobody: ana's cookie leaked", got)
	}
}

func TestJSErrorsReportsExceptionsAndConsoleErrors(t *testing.T) {
	t.Parallel()
	srv := site(t)
	tab := New(t).Tab(t)
	Run(t, tab, chromedp.Navigate(srv.URL+"/errors"))

	errs := JSErrors(t, tab)
	var texts []string
	for _, m := range errs {
		texts = append(texts, m.String())
	}
	all := strings.Join(texts, "\n")
	if len(errs) != 2 || !strings.Contains(all, "console says no") || !strings.Contains(all, "thrown on purpose") {
		t.Errorf("JSErrors gave %d: %q; want the console.error and the exception", len(errs), texts)
	}

	rec := &recorder{TB: t}
	NoJSErrors(rec, tab)
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "thrown on purpose") {
		t.Errorf("NoJSErrors reported %q, want one failure naming the exception", rec.errors)
	}
}

func TestScreenshotWritesAPNGWhenAsked(t *testing.T) {
	srv := site(t)
	dir := filepath.Join(t.TempDir(), "shots")
	t.Setenv(ScreenshotsEnv, dir)
	tab := New(t).Tab(t)
	Run(t, tab, chromedp.Navigate(srv.URL+"/form"))
	Screenshot(t, tab, "form")
	f, err := os.Open(filepath.Join(dir, "form.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("form.png: %v", err)
	}
	if img.Width != viewportWidth || img.Height != viewportHeight {
		t.Errorf("form.png is %dx%d, want the viewport, %dx%d", img.Width, img.Height, viewportWidth, viewportHeight)
	}
}
