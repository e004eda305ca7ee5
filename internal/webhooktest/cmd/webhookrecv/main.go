// Command webhookrecv is a webhook endpoint for trying Plaudit's webhooks
// by hand: it verifies each delivery with the Standard Webhooks reference
// library and prints one line per request. It is a tool for the README's
// tour, not part of the product.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8093", "address to listen on")
	secrets := flag.String("secret", "", "the subscription's whsec_ secret(s), comma-separated")
	flag.Parse()
	var verifiers []*standardwebhooks.Webhook
	for _, s := range strings.Split(*secrets, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		v, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "webhookrecv: -secret:", err)
			os.Exit(2)
		}
		verifiers = append(verifiers, v)
	}
	if len(verifiers) == 0 {
		fmt.Fprintln(os.Stderr, "webhookrecv: -secret is required (the whsec_ secret webhooks.create showed)")
		os.Exit(2)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		for _, v := range verifiers {
			if v.Verify(body, r.Header) == nil {
				var ce struct{ Type, Subject string }
				_ = json.Unmarshal(body, &ce)
				fmt.Printf("verified %s %s %s\n", r.Header.Get("webhook-id"), ce.Type, ce.Subject)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		fmt.Printf("REFUSED %s: the signature does not verify\n", r.Header.Get("webhook-id"))
		w.WriteHeader(http.StatusUnauthorized)
	})
	log.Printf("webhookrecv listening on http://%s", *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
