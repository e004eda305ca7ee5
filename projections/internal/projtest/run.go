package projtest

import (
	"context"
	"fmt"
	"time"

	"github.com/plaudit/plaudit/pkg/projector"
)

// RunTo runs r until it has applied the stream up to seq (as WaitFor
// tells), or within has passed, or Run has stopped, and then stops it. It
// returns why r did not get to seq, or how Run ended if not well; it does
// not close r. It fails no test itself, so a test's goroutine may call it.
func RunTo(r *projector.Runner, seq uint64, within time.Duration) error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := r.Run(ctx)
		cancel() // nothing more to wait for
		done <- err
	}()
	werr := r.WaitFor(wctx, seq)
	stop()
	if err := <-done; err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if werr != nil {
		return fmt.Errorf("at %d of %d: %w", r.LastSeq(), seq, werr)
	}
	return nil
}
