package eventstore_test

import (
	"errors"
	"testing"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/schema"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// TestAppendRefusesWhatBreaksTheSchema: an event that breaks its type's
// schema is never stored, alone or in a batch, and the error names the
// field.
func TestAppendRefusesWhatBreaksTheSchema(t *testing.T) {
	t.Parallel()
	_, st := newStore(t)
	good := kudos(t, "ana")
	mustAppend(t, st, eventstore.Pending{Event: good})

	tests := []struct {
		name  string
		data  func(*event.KudosGiven)
		field string
	}{
		{"points out of range", func(k *event.KudosGiven) { k.Points = 101 }, "points"},
		{"recipient not an id", func(k *event.KudosGiven) { k.Recipients = []string{"zed", "Not An Id"} }, "recipients[1]"},
		{"recipient twice", func(k *event.KudosGiven) { k.Recipients = []string{"zed", "zed"} }, "recipients"},
		{"visibility not one of its values", func(k *event.KudosGiven) { k.Visibility = "secret" }, "visibility"},
		{"values null", func(k *event.KudosGiven) { k.Values = nil }, "values"},
		{"cause without its type", func(k *event.KudosGiven) { k.Cause = &event.Cause{EventID: newID()} }, "cause.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := good.Decode()
			if err != nil {
				t.Fatal(err)
			}
			kg := d.(event.KudosGiven)
			tt.data(&kg)
			bad := envelope(t, newID(), kg)
			before := msgCount(t, st)

			_, err = st.Append(testCtx(t), eventstore.Pending{Event: bad})
			var serr *schema.Error
			if !errors.As(err, &serr) || !errors.Is(err, schema.ErrInvalid) {
				t.Fatalf("Append = %v, want a *schema.Error", err)
			}
			if serr.Field != tt.field || serr.Reason == "" {
				t.Errorf("field %q (%s), want %q", serr.Field, serr.Reason, tt.field)
			}
			_, err = st.AppendBatch(testCtx(t), []eventstore.Pending{{Event: kudos(t, "ana")}, {Event: bad}})
			if !errors.Is(err, schema.ErrInvalid) {
				t.Fatalf("AppendBatch = %v, want schema.ErrInvalid", err)
			}
			if after := msgCount(t, st); after != before {
				t.Fatalf("stream went from %d to %d messages", before, after)
			}
		})
	}
}
