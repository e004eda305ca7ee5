package main

import (
	"testing"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// TestModulesAnswerTheQueries: every query of the contract has a handler
// in one of the modules plauditd runs, and every handler is for a query of
// the contract. The engine asks a projection that runs in another process
// by the names in apiv1.Queries alone: a handler whose query is not listed
// there answers only in its own process.
func TestModulesAnswerTheQueries(t *testing.T) {
	t.Parallel()
	handled := map[string]string{} // query -> projection
	for _, mod := range modules() {
		if mod.Queries == nil {
			continue
		}
		// The handlers are made, not called: they need no runner.
		for name := range mod.Queries(nil, time.Now) {
			if other, ok := handled[name]; ok {
				t.Errorf("%s and %s both answer %s", other, mod.Projection.Name(), name)
			}
			handled[name] = mod.Projection.Name()
		}
	}
	listed := map[string]bool{}
	for _, q := range apiv1.Queries {
		if listed[q.Name] {
			t.Errorf("apiv1.Queries lists %s twice", q.Name)
		}
		listed[q.Name] = true
		if _, ok := handled[q.Name]; !ok {
			t.Errorf("no module answers %s", q.Name)
		}
	}
	for name, projection := range handled {
		if !listed[name] {
			t.Errorf("%s answers %s, which apiv1.Queries does not list", projection, name)
		}
	}
}
