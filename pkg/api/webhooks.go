package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// SetWebhooks lets admins manage webhook subscriptions, delivered by d.
func (g *Gateway) SetWebhooks(d *webhook.Deliverer) { g.webhooks = d }

func (g *Gateway) deliverer() (*webhook.Deliverer, error) {
	if g.webhooks == nil {
		return nil, problem(http.StatusServiceUnavailable, "unavailable", "Unavailable", "",
			"this engine does not deliver webhooks (a projector service): ask the main engine")
	}
	return g.webhooks, nil
}

// Rotation overlaps: what a rotation keeps the secrets before signing for
// when not told, and at most.
const (
	defaultOverlap = 24 * time.Hour
	maxOverlap     = 7 * 24 * time.Hour
)

// createdWebhook answers webhooks.create and webhooks.rotate; the secret
// is shown only in it.
type createdWebhook struct{ apiv1.CreatedWebhook }

// WithoutSecret is the answer kept for an Idempotency-Key: a retry learns
// the subscription was made or rotated, not its secret.
func (w createdWebhook) WithoutSecret() any {
	w.Secret = ""
	w.Note = "the secret was shown once, in the first answer; rotate it if it was lost"
	return w
}

// webhookView is s as the API shows it: its URL without the query, which
// may carry a token.
func webhookView(s webhook.Subscription, secrets int) apiv1.Webhook {
	return apiv1.Webhook{ID: s.ID, URL: s.Endpoint(), Types: s.Types, CreatedAt: s.CreatedAt, DisabledAt: s.DisabledAt,
		DisabledReason: s.DisabledReason, Secrets: secrets}
}

func createWebhook(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.WebhookRequest) (int, any, error) {
	d, err := g.deliverer()
	if err != nil {
		return 0, nil, err
	}
	if b.URL == "" {
		return 0, nil, invalidField("url", "is required")
	}
	for i, t := range b.Types {
		if !event.Current(t) {
			return 0, nil, invalidField(fmt.Sprintf("types[%d]", i), "is not an event type Plaudit writes (see schemas/README.md)")
		}
	}
	sub, secret, err := d.Registry.Create(ctx, p.Tenant, b.URL, b.Types)
	if errors.Is(err, webhook.ErrDestination) {
		return 0, nil, invalidField("url", err.Error())
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, createdWebhook{apiv1.CreatedWebhook{Webhook: webhookView(sub, 1), Secret: secret.Reveal()}}, nil
}

// subscription is the caller's tenant's subscription of the path's id.
func subscription(ctx context.Context, g *Gateway, p auth.Principal, c Call) (*webhook.Deliverer, webhook.Subscription, error) {
	d, err := g.deliverer()
	if err != nil {
		return nil, webhook.Subscription{}, err
	}
	s, err := d.Registry.Get(ctx, p.Tenant, c.ID)
	if errors.Is(err, webhook.ErrNotFound) {
		return nil, s, notFound("id", "no webhook subscription "+c.ID+" in this tenant")
	}
	return d, s, err
}

// view is s as shown, with the number of secrets that sign now.
func view(d *webhook.Deliverer, s webhook.Subscription) (apiv1.Webhook, error) {
	secrets, err := d.Registry.Secrets(s)
	return webhookView(s, len(secrets)), err
}

func listWebhooks(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	d, err := g.deliverer()
	if err != nil {
		return 0, nil, err
	}
	subs, err := d.Registry.List(ctx, p.Tenant)
	if err != nil {
		return 0, nil, err
	}
	out := apiv1.WebhookList{Webhooks: []apiv1.Webhook{}}
	for _, s := range subs {
		v, err := view(d, s)
		if err != nil {
			return 0, nil, err
		}
		out.Webhooks = append(out.Webhooks, v)
	}
	return http.StatusOK, out, nil
}

func getWebhook(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	d, s, err := subscription(ctx, g, p, c)
	if err != nil {
		return 0, nil, err
	}
	v, err := view(d, s)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func deleteWebhook(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	d, s, err := subscription(ctx, g, p, c)
	if err != nil {
		return 0, nil, err
	}
	if err := d.Registry.Delete(ctx, p.Tenant, s.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, webhookView(s, 0), nil
}

func rotateWebhook(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.RotateRequest) (int, any, error) {
	overlap := defaultOverlap
	if b.OverlapSeconds != nil {
		overlap = time.Duration(*b.OverlapSeconds) * time.Second
		if overlap < 0 || overlap > maxOverlap {
			return 0, nil, invalidField("overlap_seconds", "must be 0 to 604800 (7 days)")
		}
	}
	d, s, err := subscription(ctx, g, p, c)
	if err != nil {
		return 0, nil, err
	}
	secret, err := d.Registry.Rotate(ctx, p.Tenant, s.ID, overlap)
	if err != nil {
		return 0, nil, err
	}
	if s, err = d.Registry.Get(ctx, p.Tenant, s.ID); err != nil {
		return 0, nil, err
	}
	v, err := view(d, s)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, createdWebhook{apiv1.CreatedWebhook{Webhook: v, Secret: secret.Reveal()}}, nil
}

func webhookDeliveries(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	d, s, err := subscription(ctx, g, p, c)
	if err != nil {
		return 0, nil, err
	}
	dead, err := d.Dead.List(ctx, p.Tenant, webhook.RelayName(s.ID))
	if err != nil {
		return 0, nil, err
	}
	out := apiv1.Deliveries{Dead: []apiv1.DeadLetter{}}
	for _, dl := range dead {
		out.Dead = append(out.Dead, apiv1.DeadLetter{EventID: dl.EventID, Type: dl.Type, Seq: dl.Seq, Attempts: dl.Attempts, LastError: dl.LastError, At: dl.At})
	}
	info, err := d.Stream.Consumer(ctx, webhook.RelayName(s.ID))
	if err == nil {
		ci := info.CachedInfo()
		out.Pending, out.Delivered = ci.NumPending, ci.AckFloor.Stream
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func redeliverWebhook(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.RedeliverRequest) (int, any, error) {
	d, s, err := subscription(ctx, g, p, c)
	if err != nil {
		return 0, nil, err
	}
	var seqs []uint64
	if b.Seq != nil {
		seqs = []uint64{*b.Seq}
	} else {
		dead, err := d.Dead.List(ctx, p.Tenant, webhook.RelayName(s.ID))
		if err != nil {
			return 0, nil, err
		}
		for _, dl := range dead {
			seqs = append(seqs, dl.Seq)
		}
	}
	out := apiv1.Redelivered{Redelivered: []uint64{}}
	for _, seq := range seqs {
		err := d.Redeliver(ctx, s, seq)
		switch {
		case errors.Is(err, relay.ErrNoDeadLetter):
			return 0, nil, notFound("seq", fmt.Sprintf("no dead letter %d of this subscription", seq))
		case err != nil:
			return 0, nil, problem(http.StatusBadGateway, "redelivery-failed", "Redelivery failed", "seq",
				fmt.Sprintf("the endpoint did not take event %d: %v; redelivered before it: %v", seq, err, out.Redelivered))
		}
		out.Redelivered = append(out.Redelivered, seq)
	}
	return http.StatusOK, out, nil
}
