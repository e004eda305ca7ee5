package main

import (
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/feed"
	"github.com/plaudit/plaudit/projections/rules"
)

// modules are the projections plauditd runs: all of them by default, one
// with "plauditd projector NAME".
func modules() []projector.Module {
	return []projector.Module{feed.Module(), allowance.Module(), density.Module(), rules.Module()}
}
