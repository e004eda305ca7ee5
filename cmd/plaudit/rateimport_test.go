package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRateImport imports ratings from CSV and NDJSON files through a real
// engine, in several batches: stored, already stored and refused lines
// are counted and the refused ones named by line and field; importing
// again stores nothing.
func TestRateImport(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	seedMembers(t, s)
	dir := t.TempDir()
	at := clockBase.Add(-time.Hour).Format(time.RFC3339)

	var csvText strings.Builder
	csvText.WriteString("interaction_id,platform,agent,score,scale,channel,handle_time_seconds,comment,occurred_at\n")
	for i := range 25 {
		fmt.Fprintf(&csvText, "csv-%d,cxone,bo,%d,stars_5,voice,300,\"Quick, kind, sorted\",%s\n", i, 1+i%5, at)
	}
	csvText.WriteString("csv-bad,cxone,bo,9,stars_5,voice,300,," + at + "\n")     // line 27: score
	csvText.WriteString("csv-nobody,cxone,zed,5,stars_5,voice,300,," + at + "\n") // line 28: agent
	csvText.WriteString("csv-3,cxone,bo,5,stars_5,voice,300,," + at + "\n")       // line 29: again
	csvFile := filepath.Join(dir, "survey.csv")
	if err := os.WriteFile(csvFile, []byte(csvText.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	r := s.cli(t, "rate", "import", "--batch", "10", csvFile)
	if r.code != exitError {
		t.Fatalf("import with refused lines: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"sent 10 of 28 ratings", "sent 28 of 28 ratings",
		"28 ratings: 25 stored, 1 already stored, 2 refused",
		"line 27: score:", "line 28: agent:",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\r") {
		t.Errorf("a progress bar on a pipe:\n%q", r.stdout)
	}
	again := s.cli(t, "rate", "import", csvFile)
	if !strings.Contains(again.stdout, "28 ratings: 0 stored, 26 already stored, 2 refused") {
		t.Errorf("imported again:\n%s", again.stdout)
	}

	ndjson := strings.Join([]string{
		`{"platform":"cxone","interaction_id":"nd-1","agent":"bo","score":5,"scale":"stars_5","channel":"chat","handle_time_seconds":60,"occurred_at":"` + at + `"}`,
		``,
		`{"platform":"cxone","interaction_id":"nd-2","agent":"bo","score":"five","scale":"stars_5","channel":"chat","handle_time_seconds":60,"occurred_at":"` + at + `"}`,
		`{"platform":"cxone","interaction_id":`,
		`{"platform":"cxone","interaction_id":"csv-0","agent":"bo","score":5,"scale":"stars_5","channel":"chat","handle_time_seconds":60,"occurred_at":"` + at + `"}`,
	}, "\n") + "\n"
	ndFile := filepath.Join(dir, "survey.ndjson")
	if err := os.WriteFile(ndFile, []byte(ndjson), 0o600); err != nil {
		t.Fatal(err)
	}
	r = s.cli(t, "rate", "import", ndFile)
	for _, want := range []string{"4 ratings: 1 stored, 1 already stored, 2 refused", "line 3: score:", "line 4: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}

	good := filepath.Join(dir, "good.ndjson")
	if err := os.WriteFile(good, []byte(strings.SplitN(ndjson, "\n", 2)[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := s.cli(t, "rate", "import", good).ok(t); !strings.Contains(r.stdout, "1 ratings: 0 stored, 1 already stored, 0 refused") {
		t.Errorf("all stored before:\n%s", r.stdout)
	}

	if r := s.cli(t, "rate", "import", "--batch", "10001", good); r.code != exitUsage {
		t.Errorf("--batch 10001: exit %d, %s", r.code, r.stderr)
	}

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("interaction,score\nx,5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := s.cli(t, "rate", "import", bad); r.code != exitError || !strings.Contains(r.stderr, `unknown column "interaction"`) {
		t.Errorf("a CSV with an unknown column: exit %d, %s", r.code, r.stderr)
	}
}
