package chat_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestGiveAfterTheDeadline: a give whose request ran out of time is
// answered as given when the kudos of its seed is in the stream (it was
// appended before the deadline struck), and as the failure it was when
// it is not.
func TestGiveAfterTheDeadline(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	store := testenv.Store(t, testenv.NATS(t, ""))
	dir := command.NewDirectory()
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = dir.Run(dctx, store, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() { stop(); <-done })
	<-dir.Ready()
	cmd := command.NewService(store, dir, nil)
	for _, m := range []string{"ana", "bo"} {
		if _, err := cmd.UpsertMember(ctx, command.UpsertMember{Tenant: "acme", MemberUpserted: event.MemberUpserted{
			Member: m, Name: m, Team: "ops", TimeZone: "UTC", Active: true}}); err != nil {
			t.Fatal(err)
		}
	}
	give := func(seed string) command.GiveKudos {
		return command.GiveKudos{Tenant: "acme", From: "ana", To: []string{"bo"}, Points: 1, IDSeed: seed,
			Message: "for staying on the outage bridge until it closed", Visibility: event.Public, Channel: event.ChannelChat}
	}
	first, err := cmd.GiveKudos(ctx, give("trigger-1"))
	if err != nil {
		t.Fatal(err)
	}
	late, cancelLate := context.WithCancel(ctx)
	cancelLate() // the request's deadline struck
	res, err := chat.Give(late, cmd, give("trigger-1"))
	if err != nil || !res.Replayed || res.Events[0].ID != first.Events[0].ID {
		t.Errorf("a give recorded before the deadline: %+v, %v; want it answered as given", res, err)
	}
	if _, err := chat.Give(late, cmd, give("trigger-2")); err == nil {
		t.Error("a give not recorded was answered as given")
	}
}
