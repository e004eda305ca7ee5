package engine

import (
	"context"
	"time"
)

// tracingFlush bounds how long a stopping engine waits for its last spans
// to be exported.
const tracingFlush = 5 * time.Second

// shutdownTracing flushes the spans still queued and stops the tracer
// provider, when it is one that stops (the SDK's is): the traces of the
// last requests are exported before the engine goes.
func (e *Engine) shutdownTracing() {
	tp, ok := e.cfg.TracerProvider.(interface{ Shutdown(context.Context) error })
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), tracingFlush)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		e.log.Warn("tracing: spans not flushed", "err", err)
	}
}
