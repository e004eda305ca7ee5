package main

import (
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/projections/analytics"
)

// analyticsComponent runs the ClickHouse analytics projector on dsn.
func analyticsComponent(dsn string) engine.NewComponent {
	return func(d engine.ComponentDeps) (engine.Component, error) {
		return analytics.New(analytics.Config{
			Stream: d.Store, DSN: dsn, Replica: d.Replica,
			Logger: d.Logger, Metrics: analytics.NewMetrics(d.Metrics), TracerProvider: d.TracerProvider,
		})
	}
}
