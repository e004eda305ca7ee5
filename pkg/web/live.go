package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
)

// live is the agent's live moment: the page shows the kudos the viewer
// received lately, and live.js adds each new one as it arrives, from
// /live/events.
func (s *Server) live(w http.ResponseWriter, r *http.Request, v *viewer) {
	var page apiv1.FeedPage
	if p := s.call(r, v, http.MethodGet, "/v1/feed?limit=5&scope=member:"+url.QueryEscape(v.Member), nil, &page); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	var items []feedItem
	for _, it := range page.Items {
		items = append(items, s.feedItem(v.Tenant, it))
	}
	s.render(w, r, http.StatusOK, "live", v, map[string]any{"Items": items, "Member": v.Member})
}

// moment is a kudos to the viewer as /live/events sends it.
type moment struct {
	ID        string   `json:"id"`
	GiverName string   `json:"giver_name"`
	Message   string   `json:"message"`
	Values    []string `json:"values"`
	Points    int      `json:"points"`
	// Customer: the kudos came from a customer's rating (the rules
	// engine's), not from a colleague.
	Customer bool `json:"customer"`
}

// liveEvents follows GET /v1/stream as the viewer, in process, and sends
// each kudos given to the viewer as a server-sent "moment" event. The
// API's stream applies its visibility rules and its limit of streams per
// key; this only narrows it to the viewer's own moments and gives names.
// Last-Event-ID resumes as on the API.
func (s *Server) liveEvents(w http.ResponseWriter, r *http.Request, v *viewer) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.fail(w, r, v, http.StatusInternalServerError, "streaming is not supported here")
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/v1/stream?type="+event.TypeKudosGiven, nil)
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err.Error())
		return
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+v.key)
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		req.Header.Set("Last-Event-ID", id)
	}
	pr, pw := io.Pipe()
	sw := &pipeWriter{header: http.Header{}, pw: pw, under: w, started: make(chan int, 1)}
	go func() {
		s.cfg.API.ServeHTTP(sw, req)
		sw.start(http.StatusOK)
		_ = pw.Close()
	}()
	defer func() { _ = pr.CloseWithError(io.ErrClosedPipe) }()
	if status := <-sw.started; status != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(pr, 64<<10))
		var p apiv1.Problem
		if json.Unmarshal(body, &p) != nil || p.Detail == "" {
			p.Detail = http.StatusText(status)
		}
		if ra := sw.header.Get("Retry-After"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		http.Error(w, p.Detail, status)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": plaudit live\n\n")
	flusher.Flush()

	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case strings.HasPrefix(line, ":"):
			if _, err := fmt.Fprint(w, line+"\n\n"); err != nil { // keep-alive
				return
			}
			flusher.Flush()
		case line == "":
			if id != "" {
				if err := s.sendMoment(w, v, id, data); err != nil {
					return
				}
				flusher.Flush()
			}
			id, data = "", ""
		}
	}
}

// sendMoment writes the event as a moment when it is a kudos to the
// viewer, and otherwise its id alone, so that a reconnection resumes after
// it.
func (s *Server) sendMoment(w io.Writer, v *viewer, id, data string) error {
	if data != "" {
		env, d, err := event.Read([]byte(data))
		if k, ok := d.(event.KudosGiven); err == nil && ok && slices.Contains(k.Recipients, v.Member) {
			m := moment{ID: env.ID, GiverName: s.name(v.Tenant, k.Giver), Message: k.Message, Values: k.Values, Points: k.Points,
				Customer: k.Cause != nil && strings.Contains(k.Cause.Type, "rating")}
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "id: %s\nevent: moment\ndata: %s\n\n", id, b)
			return err
		}
	}
	_, err := fmt.Fprintf(w, "id: %s\n\n", id)
	return err
}

// pipeWriter takes the API's streamed answer into a pipe. Unwrap gives
// http.ResponseController the browser's connection, so the API lifts that
// connection's deadlines as it does for its own clients.
type pipeWriter struct {
	header  http.Header
	pw      *io.PipeWriter
	under   http.ResponseWriter
	started chan int
	once    bool
}

func (p *pipeWriter) Header() http.Header { return p.header }

func (p *pipeWriter) start(status int) {
	if !p.once {
		p.once = true
		p.started <- status
	}
}

func (p *pipeWriter) WriteHeader(status int) { p.start(status) }

func (p *pipeWriter) Write(b []byte) (int, error) {
	p.start(http.StatusOK)
	return p.pw.Write(b)
}

func (p *pipeWriter) Flush() {}

func (p *pipeWriter) Unwrap() http.ResponseWriter { return p.under }
