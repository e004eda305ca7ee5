package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// importLine is one rating of a file, as a line of a batch body, and where
// it is in the file.
type importLine struct {
	line int
	json []byte
}

// importSummary counts what became of the ratings of an import.
type importSummary struct {
	stored, replayed int
	refused          []string // "line N: field: reason", in file order
}

func (c *cli) rateImport(ctx context.Context, args []string) error {
	s := &spec{
		name: "rate import",
		args: "[--batch N] FILE.csv|FILE.ndjson",
		pos:  []string{"FILE"},
		about: `Record the ratings of a file a platform exported, in batches (POST
/v1/ratings:batch). FILE.ndjson holds one rating a line, each the body of
"plaudit rate" (platform, interaction_id, agent, score, scale, comment,
channel, handle_time_seconds, occurred_at); FILE.csv has a header row naming
those fields, in any order. Each interaction is recorded once: importing a
file again records nothing new. Prints progress, then how many ratings were
stored, already stored and refused, naming each refused line and field.`,
	}
	batch := s.flags().Int("batch", apiv1.MaxRatingBatch, "ratings per request, at most 10000")
	pos, err := c.parseRead(s, args)
	if err != nil {
		return err
	}
	if *batch < 1 || *batch > apiv1.MaxRatingBatch {
		return &usageError{spec: s, msg: fmt.Sprintf("--batch %d: want 1 to %d", *batch, apiv1.MaxRatingBatch)}
	}
	path := pos[0]
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var lines []importLine
	switch {
	case strings.HasSuffix(strings.ToLower(path), ".csv"):
		lines, err = csvRatings(f)
	case strings.HasSuffix(strings.ToLower(path), ".ndjson"), strings.HasSuffix(strings.ToLower(path), ".jsonl"):
		lines, err = ndjsonRatings(f)
	default:
		return &usageError{spec: s, msg: fmt.Sprintf("%s: want a .csv or .ndjson file", path)}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	prog := newProgress(c.stdout, len(lines))
	var sum importSummary
	for start := 0; start < len(lines); start += *batch {
		chunk := lines[start:min(start+*batch, len(lines))]
		results, err := cl.ratingBatch(ctx, chunk)
		if err != nil {
			prog.done()
			return fmt.Errorf("lines %d to %d: %w (the ratings before were recorded; importing again is safe)",
				chunk[0].line, chunk[len(chunk)-1].line, err)
		}
		for _, r := range results {
			if r.Line < 1 || r.Line > len(chunk) {
				return fmt.Errorf("the server answered for line %d of a batch of %d", r.Line, len(chunk))
			}
			switch r.Status {
			case apiv1.RatingStored:
				sum.stored++
			case apiv1.RatingReplayed:
				sum.replayed++
			default:
				why := "refused"
				if p := r.Problem; p != nil {
					why = p.Detail
					if p.Field != "" && p.Field != "line" {
						why = p.Field + ": " + why
					}
				}
				sum.refused = append(sum.refused, fmt.Sprintf("line %d: %s", chunk[r.Line-1].line, why))
			}
		}
		prog.add(len(chunk))
	}
	prog.done()
	fmt.Fprintf(c.stdout, "%d ratings: %d stored, %d already stored, %d refused\n",
		len(lines), sum.stored, sum.replayed, len(sum.refused))
	for _, r := range sum.refused {
		fmt.Fprintln(c.stdout, "  "+r)
	}
	if len(sum.refused) > 0 {
		return fmt.Errorf("%d of %d ratings refused (listed above)", len(sum.refused), len(lines))
	}
	return nil
}

// ndjsonRatings reads the non-blank lines of an NDJSON file.
func ndjsonRatings(r io.Reader) ([]importLine, error) {
	var out []importLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
			out = append(out, importLine{line: n, json: slices.Clone(b)})
		}
	}
	return out, sc.Err()
}

// ratingFields are the fields a rating has, as CSV columns may name them.
var ratingFields = func() map[string]bool {
	m := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			m[strings.Split(f.Tag.Get("json"), ",")[0]] = true
		}
	}
	walk(reflect.TypeFor[apiv1.RatingRequest]())
	return m
}()

// csvRatings reads a CSV file whose header names rating fields into JSON
// ratings. Numbers are sent as numbers, empty cells not at all; a cell
// that is no number where one is wanted goes as text, for the server to
// refuse naming its field.
func csvRatings(r io.Reader) ([]importLine, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !ratingFields[header[i]] {
			return nil, fmt.Errorf("line 1: unknown column %q (want some of platform, interaction_id, agent, score, scale, comment, channel, handle_time_seconds, occurred_at)", h)
		}
	}
	var out []importLine
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		m := make(map[string]any, len(rec))
		for i, v := range rec {
			if v == "" {
				continue
			}
			m[header[i]] = v
			if header[i] == "score" || header[i] == "handle_time_seconds" {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					m[header[i]] = n
				}
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, importLine{line: line, json: b})
	}
}

// ratingBatch sends one batch and returns its results. It is sent again
// after a connection error, a 503 or a 429 (after the wait the server
// asks for): each interaction is recorded once however often it is sent.
func (cl *client) ratingBatch(ctx context.Context, lines []importLine) ([]apiv1.RatingResult, error) {
	var body bytes.Buffer
	for _, l := range lines {
		body.Write(l.json)
		body.WriteByte('\n')
	}
	for attempt := 0; ; attempt++ {
		results, retryAfter, err := cl.ratingBatchOnce(ctx, body.Bytes())
		var p *problem
		again := errors.As(err, new(*connError)) ||
			(errors.As(err, &p) && (p.Status == http.StatusServiceUnavailable || p.Status == http.StatusTooManyRequests))
		if err == nil || attempt == writeRetries+2 || !again {
			return results, err
		}
		wait := max(retryBackoff<<attempt, retryAfter)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(wait, time.Minute)):
		}
	}
}

func (cl *client) ratingBatchOnce(ctx context.Context, body []byte) ([]apiv1.RatingResult, time.Duration, error) {
	req, err := cl.newRequest(ctx, http.MethodPost, apiv1.RatingBatchPath, body)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", apiv1.RatingBatchContentType)
	// A batch may take longer than one write: no overall timeout.
	resp, err := cl.stream.Do(req)
	if err != nil {
		return nil, 0, &connError{base: cl.base, err: err}
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, &connError{base: cl.base, err: err}
	}
	if resp.StatusCode != http.StatusOK {
		var retryAfter time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			retryAfter = time.Duration(s) * time.Second
		}
		return nil, retryAfter, answerError(resp, reply)
	}
	var out []apiv1.RatingResult
	dec := json.NewDecoder(bytes.NewReader(reply))
	for {
		var r apiv1.RatingResult
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return out, 0, nil
		} else if err != nil {
			return nil, 0, fmt.Errorf("reading the server's answer: %w", err)
		}
		out = append(out, r)
	}
}

// progress shows how far an import is: a bar redrawn in place on a
// terminal, a line of counts a batch otherwise.
type progress struct {
	w        io.Writer
	total, n int
	terminal bool
	start    time.Time
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) add(n int) {
	p.n += n
	if !p.terminal {
		fmt.Fprintf(p.w, "sent %d of %d ratings\n", p.n, p.total)
		return
	}
	const width = 30
	filled := width * p.n / max(p.total, 1)
	rate := float64(p.n) / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d ratings, %.0f/s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.n, p.total, rate)
}

// done ends the bar's line on a terminal.
func (p *progress) done() {
	if p.terminal && p.n > 0 {
		fmt.Fprintln(p.w)
	}
}
