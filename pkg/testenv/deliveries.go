package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TakeDeliveries has another client pull up to n messages from the durable
// consumer of st's stream, beside its own reader, while publish appends
// events, and acknowledges none of them: deliveries the consumer's reader
// never sees, as when a client drops messages over its pending limits or
// loses them with a connection. It tries rounds until it got some, and
// returns how many; it fails tb when it got none.
func TakeDeliveries(tb testing.TB, js jetstream.JetStream, stream, consumer string, n int, publish func(round int)) int {
	tb.Helper()
	cons, err := js.Consumer(context.Background(), stream, consumer)
	if err != nil {
		tb.Fatal(err)
	}
	taken := 0
	for round := 0; taken == 0 && round < 20; round++ {
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			tb.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // the pull request is waiting
		publish(round)
		for range batch.Messages() {
			taken++
		}
	}
	if taken == 0 {
		tb.Fatalf("another client got no message from consumer %s", consumer)
	}
	return taken
}
