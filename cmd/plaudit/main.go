// Command plaudit is the command-line client of plauditd: it gives kudos,
// records ratings, manages members, the policy, boosts and API keys,
// follows the event stream, reads feeds, balances, recognition density and
// gaps, and shows and rebuilds the projections, all over plauditd's HTTP
// API.
//
// It holds no domain rules; the server validates every request and plaudit
// prints the server's answer. Run "plaudit help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
