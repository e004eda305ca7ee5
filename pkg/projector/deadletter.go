package projector

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeadLetterStream keeps the events projections could not take.
const DeadLetterStream = "PLAUDIT_DEADLETTER"

// DeadLetterPrefix prefixes the dead-letter subject of each projection,
// "plaudit-dlq.<projection>", outside the event stream's subjects.
const DeadLetterPrefix = "plaudit-dlq"

// Headers of a dead letter; its body is the original message's.
const (
	HeaderReason    = "Plaudit-Reason"
	HeaderStreamSeq = "Plaudit-Stream-Seq"
	HeaderSubject   = "Plaudit-Subject"
)

// DeadLetterSubject is the dead-letter subject of a projection.
func DeadLetterSubject(projection string) string { return DeadLetterPrefix + "." + projection }

// EnsureDeadLetterStream creates or updates the dead-letter stream.
func EnsureDeadLetterStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        DeadLetterStream,
		Description: "Events Plaudit projections could not apply, with the reason",
		Subjects:    []string{DeadLetterPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
		MaxAge:      90 * 24 * time.Hour,
		Duplicates:  2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("projector: dead-letter stream: %w", err)
	}
	return s, nil
}

// DeadLetter publishes one poison event of a projection. Its id is the projection and the
// sequence, so a redelivered poison event is dead-lettered once.
func DeadLetter(ctx context.Context, js jetstream.JetStream, projection string, seq uint64, subject string, data []byte, reason error) error {
	m := nats.NewMsg(DeadLetterSubject(projection))
	m.Data = data
	m.Header.Set(HeaderReason, reason.Error())
	m.Header.Set(HeaderStreamSeq, strconv.FormatUint(seq, 10))
	m.Header.Set(HeaderSubject, subject)
	m.Header.Set(jetstream.MsgIDHeader, projection+":"+strconv.FormatUint(seq, 10))
	if _, err := js.PublishMsg(ctx, m); err != nil {
		return Transient(fmt.Errorf("projector: dead-letter %s seq %d: %w", projection, seq, err))
	}
	return nil
}
