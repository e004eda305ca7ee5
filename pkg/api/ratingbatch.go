package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
)

// ratingsPerToken is how many ratings of a batch cost one request of the
// key's rate: a batch of 10,000 costs 10, so a publisher key sustains its
// rate in full batches (50 a second by default: 500,000 ratings a second,
// far more than one engine stores) and bursts of 10 of them, while a key
// sending ratings one by one is held to its rate as before.
const ratingsPerToken = 1000

// serveRatingBatch is POST /v1/ratings:batch: NDJSON in, a RatingResult
// per rating out, as NDJSON, in the order of the lines (see
// apiv1.RatingBatchRoute). It has its own handler rather than an
// operation of the table: its body is not one JSON object, it is larger
// than MaxBody, and its answer is not one either.
func (g *Gateway) serveRatingBatch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := g.authenticate(ctx, bearer(r))
	if err != nil {
		writeProblem(w, toProblem(err))
		return
	}
	if !slices.Contains(raters, p.Role) {
		writeProblem(w, forbidden("Authorization", "a "+string(p.Role)+" key may not record ratings"))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != apiv1.RatingBatchContentType && mt != "application/jsonl") {
			writeProblem(w, problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
				"Content-Type", "the body must be "+apiv1.RatingBatchContentType+" (one rating a line), not "+ct))
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, apiv1.MaxRatingBatchBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, "body-too-large", "Body too large", "body",
			fmt.Sprintf("the body is larger than %d MiB", apiv1.MaxRatingBatchBody>>20)))
		return
	}
	if err != nil {
		writeProblem(w, badRequest("body", "could not read the body"))
		return
	}
	lines := ratingLines(body)
	switch {
	case len(lines) == 0:
		writeProblem(w, badRequest("body", "no ratings: one JSON rating a line is required"))
		return
	case len(lines) > apiv1.MaxRatingBatch:
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, "body-too-large", "Body too large", "body",
			fmt.Sprintf("the body holds %d ratings; a batch holds at most %d", len(lines), apiv1.MaxRatingBatch)))
		return
	}
	// The first token was taken by authenticate.
	if extra := (len(lines)+ratingsPerToken-1)/ratingsPerToken - 1; extra > 0 {
		if d, ok := g.perKey.takeN(p.KeyID, extra); !ok {
			writeProblem(w, toProblem(g.limited(limitPerKey, d, "Authorization",
				fmt.Sprintf("key %s is over its rate (a batch of %d ratings counts as %d requests); retry in %d s",
					p.KeyID, len(lines), extra+1, retryAfterSeconds(d)))))
			return
		}
	}

	results := make([]apiv1.RatingResult, len(lines))
	var ratings []event.RatingReceived
	var at []int // the results the ratings answer
	for i, l := range lines {
		res := &results[i]
		res.Line = l.number
		var b apiv1.RatingRequest
		err := decode(l.text, &b)
		if len(l.text) > MaxBody {
			err = badRequest("body", "the line is longer than 64 KiB")
		}
		var d event.RatingReceived
		if err == nil {
			d, err = ratingOf(b)
		}
		res.Platform, res.InteractionID = b.Platform, b.InteractionID
		if err != nil {
			res.Status, res.Problem = apiv1.RatingRefused, lineProblem(err)
			g.metrics.refusedRating(err, res.Problem)
			continue
		}
		ratings = append(ratings, d)
		at = append(at, i)
	}
	outcomes, err := g.cmd.RecordRatings(ctx, p.Tenant, ratings)
	if err != nil {
		writeProblem(w, g.fail(ctx, err).problem())
		return
	}
	for j, o := range outcomes {
		res := &results[at[j]]
		switch {
		case o.Err != nil:
			res.Status, res.Problem = apiv1.RatingRefused, lineProblem(o.Err)
			g.metrics.refusedRating(o.Err, res.Problem)
			if res.Problem.Status >= 500 {
				g.log.ErrorContext(ctx, "rating batch: line failed", "line", res.Line, "err", o.Err)
			}
		case o.Result.Replayed:
			res.Status, res.ID, res.Seq = apiv1.RatingReplayed, o.Result.Events[0].ID, o.Result.Events[0].Seq
		default:
			res.Status, res.ID, res.Seq = apiv1.RatingStored, o.Result.Events[0].ID, o.Result.Events[0].Seq
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	for i := range results {
		if err := enc.Encode(&results[i]); err != nil {
			writeProblem(w, g.fail(ctx, err).problem())
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", apiv1.RatingBatchContentType)
	h.Set("Content-Length", fmt.Sprint(out.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Bytes())
}

// ratingLine is one non-blank line of a batch and its number.
type ratingLine struct {
	number int
	text   []byte
}

// ratingLines splits an NDJSON body into its non-blank lines.
func ratingLines(body []byte) []ratingLine {
	var out []ratingLine
	n := 0
	for len(body) > 0 {
		n++
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, ratingLine{number: n, text: line})
		}
	}
	return out
}

// lineProblem is the problem of one refused line: a problem about the body
// as a whole (a line that is no JSON object) names the line instead.
func lineProblem(err error) *apiv1.Problem {
	p := *toProblem(err)
	if p.Field == "body" {
		p.Field = "line"
	}
	return &p
}

// problem is the problem a failed reply carries.
func (r Reply) problem() *apiv1.Problem {
	var p apiv1.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return problem(http.StatusInternalServerError, "internal", "Internal error", "", "")
	}
	return &p
}
