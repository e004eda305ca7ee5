package natsauth_test

import (
	"strings"
	"testing"

	"github.com/plaudit/plaudit/pkg/natsauth"
)

// TestConsumerNamesDoNotCollide: tenant ids and names may hold '-', and
// the engine's own consumers are proj_* and rebuild_*; no issued name
// meets another tenant's or the engine's.
func TestConsumerNamesDoNotCollide(t *testing.T) {
	t.Parallel()
	pairs := [][2]string{{"a-b", "c"}, {"a", "b-c"}, {"a", "b"}, {"a-", "b"}, {"proj_feed", "1"}, {"proj_feed_eu", "1"}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		n := natsauth.ConsumerName(p[0], p[1])
		if other, ok := seen[n]; ok {
			t.Errorf("%v and %v are both %s", p, other, n)
		}
		seen[n] = p
		if strings.HasPrefix(n, "proj_") || strings.HasPrefix(n, "rebuild_") {
			t.Errorf("%v is named like the engine's own: %s", p, n)
		}
	}
}

func TestCheckFilter(t *testing.T) {
	t.Parallel()
	for filter, ok := range map[string]bool{
		"plaudit.acme.>":             true,
		"plaudit.acme.kudos.>":       true,
		"plaudit.acme.kudos.*.given": true,
		"plaudit.acme":               false,
		"plaudit.acme.":              false,
		"plaudit.>":                  false,
		"plaudit.*.kudos.>":          false,
		"plaudit.globex.>":           false,
		"plaudit.acmecorp.>":         false,
		"plaudit.acme.>.given":       false,
		"plaudit.acme.Kudos.>":       false,
		"plaudit-api.v1.acme.>":      false,
		"plaudit.acme.kudos..given":  false,
	} {
		if err := natsauth.CheckFilter("acme", filter); (err == nil) != ok {
			t.Errorf("CheckFilter(acme, %q) = %v, want ok %v", filter, err, ok)
		}
	}
}
