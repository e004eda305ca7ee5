package command

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
)

// indexDBOf opens an index database of the test's own, closed when it ends.
func indexDBOf(t *testing.T) *indexDB {
	t.Helper()
	db, err := openIndexDB(filepath.Join(t.TempDir(), "index"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.close() })
	return db
}

// tables returns each kind of kudos table, empty.
func tables(t *testing.T) map[string]kudosTable {
	t.Helper()
	return map[string]kudosTable{"memory": newKudosMem(), "disk": kudosDisk{indexDBOf(t)}}
}

// TestKudosTables: both tables keep a kudos' first place and its first
// retraction, per tenant, in whatever order they see the events.
func TestKudosTables(t *testing.T) {
	t.Parallel()
	k, other := uuid.New(), uuid.New()
	r1, r2 := uuid.New(), uuid.New()
	for name, table := range tables(t) {
		t.Run(name, func(t *testing.T) {
			err := table.write([]queuedKudos{
				{tenant: "acme", giver: "ana", id: k, seq: 5},
				// The same id stored again after the duplicate window
				// is not the kudos: the first place stands.
				{tenant: "acme", giver: "ana", id: k, seq: 9},
				// A retraction of a kudos the table does not hold.
				{tenant: "acme", id: other, retraction: true, retractID: r1, seq: 10},
				{tenant: "globex", giver: "zoe", id: other, seq: 11},
			})
			if err != nil {
				t.Fatal(err)
			}
			want := kudosRef{giver: "ana", seq: 5}
			if ref, ok, err := table.get("acme", k); err != nil || !ok || ref != want {
				t.Errorf("get(acme, k) = %+v, %v, %v; want %+v", ref, ok, err, want)
			}
			if ref, ok, err := table.get("acme", other); err != nil || ok {
				t.Errorf("get(acme, other) = %+v, %v, %v; want none: the retraction came before any kudos", ref, ok, err)
			}
			if ref, ok, err := table.get("globex", other); err != nil || !ok || ref != (kudosRef{giver: "zoe", seq: 11}) {
				t.Errorf("get(globex, other) = %+v, %v, %v", ref, ok, err)
			}
			if ref, ok, err := table.get("nobody", k); err != nil || ok {
				t.Errorf("get(nobody, k) = %+v, %v, %v; want none", ref, ok, err)
			}
			err = table.write([]queuedKudos{
				{tenant: "acme", id: k, retraction: true, retractID: r1, seq: 12},
				{tenant: "acme", id: k, retraction: true, retractID: r2, seq: 14},
			})
			if err != nil {
				t.Fatal(err)
			}
			want = kudosRef{giver: "ana", seq: 5, retractID: r1.String(), retractSeq: 12}
			if ref, ok, err := table.get("acme", k); err != nil || !ok || ref != want {
				t.Errorf("after two retractions get(acme, k) = %+v, %v, %v; want the first, %+v", ref, ok, err, want)
			}
			// Out of order: what the stream holds, whatever came first.
			late := uuid.New()
			err = table.write([]queuedKudos{
				{tenant: "acme", id: late, retraction: true, retractID: r2, seq: 30},
				{tenant: "acme", giver: "bo", id: late, seq: 27},
				{tenant: "acme", giver: "bo", id: late, seq: 25},
				{tenant: "acme", id: late, retraction: true, retractID: r1, seq: 29},
			})
			if err != nil {
				t.Fatal(err)
			}
			want = kudosRef{giver: "bo", seq: 25, retractID: r1.String(), retractSeq: 29}
			if ref, ok, err := table.get("acme", late); err != nil || !ok || ref != want {
				t.Errorf("events out of order: get(acme, late) = %+v, %v, %v; want %+v", ref, ok, err, want)
			}
		})
	}
}

// TestKudosDiskIsACache: the database is emptied when opened, is the
// engine's alone on disk, is refused while another holds it, and answers
// an error, not a crash, once closed.
func TestKudosDiskIsACache(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kudos")
	log := slog.New(slog.DiscardHandler)
	db, err := openIndexDB(path, log)
	if err != nil {
		t.Fatal(err)
	}
	d := kudosDisk{db}
	k := uuid.New()
	if err := d.write([]queuedKudos{{tenant: "acme", giver: "ana", id: k, seq: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := openIndexDB(path, log); err == nil {
		t.Error("a second open of a database in use succeeded")
	}
	if _, ok, err := d.get("acme", k); err != nil || !ok {
		t.Fatalf("get = %v, %v; want the kudos", ok, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("database directory: %v, %v; want mode 0700", fi, err)
	}
	if err := db.close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.get("acme", k); !errors.Is(err, errIndexClosed) {
		t.Errorf("get after close = %v, want %v", err, errIndexClosed)
	}
	if err := d.write([]queuedKudos{{tenant: "acme", giver: "ana", id: k, seq: 3}}); !errors.Is(err, errIndexClosed) {
		t.Errorf("write after close = %v, want %v", err, errIndexClosed)
	}
	db, err = openIndexDB(path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	d = kudosDisk{db}
	if ref, ok, err := d.get("acme", k); err != nil || ok {
		t.Errorf("reopened, get = %+v, %v, %v; want an empty index", ref, ok, err)
	}
}

// TestObserveWritesAtFoldAt: kudos observed with no lookup are written to
// the table once foldAt wait, so the queue does not grow with the gives.
func TestObserveWritesAtFoldAt(t *testing.T) {
	t.Parallel()
	x := newKudosIndex(newKudosMem())
	first := uuid.New()
	x.observe("acme", first.String(), event.KudosGiven{Giver: "ana"}, 1)
	for i := 2; i <= 3*foldAt; i++ {
		x.observe("acme", uuid.NewString(), event.KudosGiven{Giver: "ana"}, uint64(i))
	}
	x.mu.Lock()
	queued := len(x.queued)
	x.mu.Unlock()
	if queued >= foldAt {
		t.Errorf("%d kudos queued after %d observed, want fewer than %d", queued, 3*foldAt, foldAt)
	}
	if ref, ok, err := x.table.get("acme", first); err != nil || !ok || ref.seq != 1 {
		t.Errorf("the first kudos in the table = %+v, %v, %v", ref, ok, err)
	}
}

// subjectOnly is a stream message of which only the subject is read.
type subjectOnly struct {
	jetstream.Msg
	subject string
}

func (m subjectOnly) Subject() string { return m.subject }

// TestObserveMsgRefusesOtherKudosEvents: the index reads the whole kudos
// subject family (one filter), so an event it does not know there is
// skipped, not taken for a retraction.
func TestObserveMsgRefusesOtherKudosEvents(t *testing.T) {
	t.Parallel()
	x := newKudosIndex(newKudosMem())
	if err := x.observeMsg(subjectOnly{subject: "plaudit.acme.kudos.ana.edited"}, 7); err == nil {
		t.Error("observeMsg took a kudos event it does not know")
	}
}
