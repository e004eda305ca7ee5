package main

import (
	"context"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/slack"
	"github.com/plaudit/plaudit/pkg/teams"
)

// integrations are the chat integrations plauditd runs, by the name the
// admin API gives them (PUT /v1/integrations/{name}); each does nothing
// for a tenant until an admin configures it. Slack's Web API is at
// slackURL.
func integrations(slackURL string) map[string]engine.NewIntegration {
	return map[string]engine.NewIntegration{
		slack.Name: slack.Integration(slackURL),
		teams.Name: teamsIntegration,
	}
}

// teamsIntegration runs Microsoft Teams (package teams) with the engine:
// it does nothing for a tenant until an admin configures it
// (PUT /v1/integrations/teams).
func teamsIntegration(d engine.IntegrationDeps) (engine.Integration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return teams.Open(ctx, teams.Config{
		JetStream: d.Store.JetStream(), Replicas: d.Replicas, Stream: d.Store.Stream(),
		Command: d.Command, Sealer: d.Sealer, Policy: d.Outbound, Dead: d.Dead, Retries: d.Retries, Log: d.Logger,
		TracerProvider: d.TracerProvider,
	})
}
