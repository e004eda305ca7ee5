package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/plaudit/plaudit/pkg/api"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/engine"
)

// postBatch sends an NDJSON body to POST /v1/ratings:batch and returns the
// status, the results (when 200) and the raw body.
func postBatch(t *testing.T, e *engine.Engine, key, contentType string, body []byte) (int, []apiv1.RatingResult, string) {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+e.HTTPAddr()+apiv1.RatingBatchPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, string(raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != apiv1.RatingBatchContentType {
		t.Errorf("answered as %q, want %s", ct, apiv1.RatingBatchContentType)
	}
	var out []apiv1.RatingResult
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var r apiv1.RatingResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("result line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return resp.StatusCode, out, string(raw)
}

func ndjson(t *testing.T, lines ...any) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, l := range lines {
		if s, ok := l.(string); ok {
			b.WriteString(s)
		} else {
			j, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(j)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TestRatingBatch: a batch of good, repeated, already stored and bad
// lines is answered line by line, in order; sent again it stores nothing.
func TestRatingBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{})
	single := must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], f.rating("ana", "batch-0"), nil))

	badScore := f.rating("bo", "batch-bad-score")
	badScore["score"] = 9
	unknownField := f.rating("bo", "batch-unknown")
	unknownField["stars"] = 5
	long := f.rating("bo", "batch-long")
	long["comment"] = strings.Repeat("x", 70<<10)
	body := ndjson(t,
		f.rating("ana", "batch-1"),
		f.rating("bo", "batch-2"),
		"",                         // blank: skipped, line numbers go on
		f.rating("ana", "batch-0"), // stored before, one by one
		`{"platform":"cxone","interaction_id":`,
		badScore,
		f.rating("ana", "batch-1"), // repeats line 1
		unknownField,
		f.rating("zed", "batch-3"),
		long,
	)
	before := streamLen(t, f.e)
	status, res, raw := postBatch(t, f.e, f.keys["publisher"], apiv1.RatingBatchContentType, body)
	if status != http.StatusOK {
		t.Fatalf("batch: %d %s", status, raw)
	}
	want := []struct {
		line   int
		status string
		field  string
	}{
		{1, "stored", ""}, {2, "stored", ""}, {4, "replayed", ""}, {5, "refused", "line"}, {6, "refused", "score"},
		{7, "replayed", ""}, {8, "refused", "stars"}, {9, "refused", "agent"}, {10, "refused", "line"},
	}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d:\n%s", len(res), len(want), raw)
	}
	for i, w := range want {
		r := res[i]
		if r.Line != w.line || r.Status != w.status {
			t.Errorf("result %d = line %d %s, want line %d %s", i, r.Line, r.Status, w.line, w.status)
		}
		if w.field != "" && (r.Problem == nil || r.Problem.Field != w.field || r.Problem.Detail == "") {
			t.Errorf("line %d: problem %+v, want one naming %s", w.line, r.Problem, w.field)
		}
		if w.field == "" && (r.ID == "" || r.Seq == 0 || r.Problem != nil) {
			t.Errorf("line %d: %+v, want an event id and seq", w.line, r)
		}
	}
	if res[2].ID != single.Str("id") {
		t.Errorf("line 4 replays %s, want the rating stored one by one, %s", res[2].ID, single.Str("id"))
	}
	if res[5].ID != res[0].ID || res[5].Seq != res[0].Seq {
		t.Errorf("line 7 answers %s@%d, want line 1's %s@%d", res[5].ID, res[5].Seq, res[0].ID, res[0].Seq)
	}
	if got := streamLen(t, f.e); got != before+2 {
		t.Errorf("stream grew by %d, want 2", got-before)
	}

	// Sent again: nothing new, every stored line a replay of itself.
	status, again, raw := postBatch(t, f.e, f.admin, "", body)
	if status != http.StatusOK || len(again) != len(res) {
		t.Fatalf("batch again: %d %s", status, raw)
	}
	for i := range res {
		wantStatus := res[i].Status
		if wantStatus == "stored" {
			wantStatus = "replayed"
		}
		if again[i].Status != wantStatus || again[i].ID != res[i].ID || again[i].Seq != res[i].Seq {
			t.Errorf("again, line %d = %+v, want %s of %s@%d", res[i].Line, again[i], wantStatus, res[i].ID, res[i].Seq)
		}
	}
	if got := streamLen(t, f.e); got != before+2 {
		t.Errorf("stream grew by %d after the batch was sent again, want 2 in all", got-before)
	}
}

// TestRatingBatchRefused: what is refused as a whole, before anything is
// stored.
func TestRatingBatchRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{})
	var big bytes.Buffer
	for i := range apiv1.MaxRatingBatch + 1 {
		j, _ := json.Marshal(f.rating("ana", fmt.Sprintf("big-%d", i)))
		big.Write(j)
		big.WriteByte('\n')
	}
	huge := bytes.Repeat([]byte("x"), apiv1.MaxRatingBatchBody+1)
	good := ndjson(t, f.rating("ana", "refused-1"))
	before := streamLen(t, f.e)
	for _, tt := range []struct {
		name        string
		key         string
		contentType string
		body        []byte
		status      int
		field       string
	}{
		{"over 10,000 ratings", f.keys["publisher"], apiv1.RatingBatchContentType, big.Bytes(), 413, "body"},
		{"over the body limit", f.keys["publisher"], apiv1.RatingBatchContentType, huge, 413, "body"},
		{"empty", f.keys["publisher"], apiv1.RatingBatchContentType, []byte("\n \n"), 400, "body"},
		{"JSON", f.keys["publisher"], "application/json", good, 415, "Content-Type"},
		{"member key", f.keys["ana"], apiv1.RatingBatchContentType, good, 403, "Authorization"},
		{"analyst key", f.keys["analyst"], apiv1.RatingBatchContentType, good, 403, "Authorization"},
		{"no key", "", apiv1.RatingBatchContentType, good, 401, "Authorization"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, raw := postBatch(t, f.e, tt.key, tt.contentType, tt.body)
			var p apiv1.Problem
			_ = json.Unmarshal([]byte(raw), &p)
			if status != tt.status || p.Field != tt.field {
				t.Errorf("= %d %s, want %d naming %s", status, raw, tt.status, tt.field)
			}
			if tt.name == "over 10,000 ratings" && !strings.Contains(p.Detail, "10000") {
				t.Errorf("detail %q does not say the limit", p.Detail)
			}
		})
	}
	if got := streamLen(t, f.e); got != before {
		t.Errorf("stream grew by %d", got-before)
	}
}

// TestRatingBatchRate: a batch counts against its key's rate by its size.
func TestRatingBatchRate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{})
	f.e.Gateway.SetLimits(api.Limits{PerKey: 0.01, KeyBurst: 2})
	var body bytes.Buffer
	for i := range 2001 {
		j, _ := json.Marshal(f.rating("ana", fmt.Sprintf("rate-%d", i)))
		body.Write(j)
		body.WriteByte('\n')
	}
	// 2,001 ratings count 3 requests, more than the burst of 2; refused,
	// the batch cost one, as any refused request does. 500 count 1.
	status, _, raw := postBatch(t, f.e, f.keys["publisher"], apiv1.RatingBatchContentType, body.Bytes())
	if status != http.StatusTooManyRequests || !strings.Contains(raw, "counts as 3 requests") {
		t.Errorf("= %d %s, want 429", status, raw)
	}
	lines := bytes.SplitAfter(body.Bytes(), []byte("\n"))
	if status, _, raw := postBatch(t, f.e, f.keys["publisher"], apiv1.RatingBatchContentType, bytes.Join(lines[:500], nil)); status != http.StatusOK {
		t.Errorf("500 ratings = %d %s, want 200", status, raw)
	}
}
