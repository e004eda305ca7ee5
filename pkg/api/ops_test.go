package api

import (
	"reflect"
	"testing"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// TestEveryOpHasAHandler: an operation declared in the contract without a
// handler would have a route that answers nothing, and a handler of an
// undeclared one no route at all.
func TestEveryOpHasAHandler(t *testing.T) {
	declared := map[string]bool{}
	for _, o := range apiv1.Ops {
		if declared[o.Name] {
			t.Errorf("apiv1.Ops declares %s twice", o.Name)
		}
		declared[o.Name] = true
		h, ok := ops[o.Name]
		if !ok {
			t.Errorf("%s (%s) has no handler in ops", o.Name, o.Route)
			continue
		}
		if declared := reflect.TypeOf(o.Body); h.body != declared {
			t.Errorf("%s's handler reads a %v body, apiv1 declares %v", o.Name, h.body, declared)
		}
	}
	for name := range ops {
		if !declared[name] {
			t.Errorf("ops handles %s, which apiv1.Ops does not declare", name)
		}
	}
}
