package natsauth

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Role is what an issued NATS user may do. The engine's own users are not
// issued and have no role: they may do everything in the account.
type Role string

// Roles of issued users.
const (
	// Downstream reads its tenant's events through the durable pull
	// consumers issued with it, and nothing else: it may not create,
	// change or delete consumers, publish to any subject but the pull and
	// acknowledgement subjects of its own consumers, or subscribe to
	// anything but its own inbox.
	Downstream Role = "downstream"
	// Publisher calls the NATS command service's rating operations of its
	// tenant (plaudit-api.v1.<tenant>.ratings.*), and nothing else.
	Publisher Role = "publisher"
)

// Valid reports whether r is a role that can be issued.
func (r Role) Valid() bool { return r == Downstream || r == Publisher }

// CommandPrefix prefixes the NATS command service's subjects:
// "plaudit-api.v1.<tenant>.<operation>". It lies outside the event stream's
// "plaudit.>" on purpose.
const CommandPrefix = "plaudit-api.v1"

// CommandSubject is the subject of an operation of the command service for
// a tenant.
func CommandSubject(tenant, op string) string { return CommandPrefix + "." + tenant + "." + op }

// InboxPrefix is the inbox prefix an issued user must connect with
// (nats.CustomInboxPrefix): its replies and pulled messages arrive there,
// and nobody else may subscribe to it. The default "_INBOX." is the
// engine's alone, so no issued user can read another's replies.
func InboxPrefix(user string) string { return "_INBOX_" + user }

// ConsumerName is the durable consumer's name on the event stream for a
// downstream consumer called name of tenant: "ds<len(tenant)>-<tenant>-<name>".
// Tenants share the stream, so the tenant is part of the name, with its
// length: ids may hold '-', and "a-b"+"c" must not meet "a"+"b-c". No
// name of the engine's own consumers (proj_…, rebuild_…) has that shape.
func ConsumerName(tenant, name string) string {
	return "ds" + strconv.Itoa(len(tenant)) + "-" + tenant + "-" + name
}

// Consumer is a durable pull consumer issued with a downstream user.
type Consumer struct {
	// Name is its name on the stream (ConsumerName).
	Name string `json:"name"`
	// Filter selects the events it delivers: "plaudit.<tenant>.>" or a
	// narrower filter within the tenant.
	Filter string `json:"filter"`
}

// CheckFilter reports why filter does not select only events of tenant, or
// nil. It must be "plaudit.<tenant>.>" or a subject under
// "plaudit.<tenant>." whose tokens are ids or wildcards.
func CheckFilter(tenant, filter string) error {
	prefix := event.Prefix + "." + tenant + "."
	if !strings.HasPrefix(filter, prefix) || len(filter) == len(prefix) {
		return fmt.Errorf("must be %s> or a subject under it", prefix)
	}
	tokens := strings.Split(strings.TrimPrefix(filter, prefix), ".")
	for i, t := range tokens {
		switch {
		case t == ">" && i == len(tokens)-1, t == "*", event.ValidID(t):
		default:
			return fmt.Errorf("token %q is not an id, * or a final >", t)
		}
	}
	return nil
}

// exports are the Plaudit account's services that tenant accounts import:
// a consumer's info, its next messages (answered with many messages) and
// its acknowledgements, and the rating operations of the command service.
// They are public, since only the operator, the engine, signs accounts,
// and a tenant account imports only its own consumers' subjects.
func exports() []*jwt.Export {
	stream := eventstore.DefaultStream
	return []*jwt.Export{
		{Name: "consumer info", Subject: jwt.Subject("$JS.API.CONSUMER.INFO." + stream + ".*"), Type: jwt.Service},
		{Name: "consumer next", Subject: jwt.Subject("$JS.API.CONSUMER.MSG.NEXT." + stream + ".*"), Type: jwt.Service,
			ResponseType: jwt.ResponseTypeStream, ResponseThreshold: 2 * time.Minute},
		{Name: "consumer ack", Subject: jwt.Subject("$JS.ACK." + stream + ".*.>"), Type: jwt.Service},
		{Name: "rating commands", Subject: jwt.Subject(CommandSubject("*", "ratings") + ".*"), Type: jwt.Service},
	}
}

// DownstreamAPIPrefix is the JetStream API prefix a downstream user's
// client uses (jetstream.NewWithAPIPrefix): its tenant account imports
// its consumers' API subjects under it, since "$JS.API." in an account
// without JetStream of its own is the server's.
const DownstreamAPIPrefix = "$JS.PLAUDIT.API"

// Import is one service a tenant account imports from the Plaudit account:
// Subject there, Local in the tenant account.
type Import struct{ Subject, Local string }

// TenantImports are the services tenant's account imports: the rating
// operations, and the info, next and acknowledgement subjects of each of
// its consumers.
func TenantImports(tenant string, ratingOps []string, consumers []string) []Import {
	stream := eventstore.DefaultStream
	var out []Import
	for _, op := range ratingOps {
		out = append(out, Import{CommandSubject(tenant, op), CommandSubject(tenant, op)})
	}
	for _, c := range consumers {
		for _, api := range []string{"CONSUMER.INFO.", "CONSUMER.MSG.NEXT."} {
			out = append(out, Import{"$JS.API." + api + stream + "." + c, DownstreamAPIPrefix + "." + api + stream + "." + c})
		}
		ack := "$JS.ACK." + stream + "." + c + ".>"
		out = append(out, Import{ack, ack})
	}
	return out
}

// DownstreamPermissions are a downstream user's permissions: pull from and
// acknowledge on its consumers, read their info, receive in its inbox.
//
// Consumers are created by the engine, never by the user: a user that may
// create consumers may create push consumers, whose deliver subject no
// subject permission checks. Within its tenant's account the user may
// reach only what that account imports; these permissions narrow it to
// its own consumers.
func DownstreamPermissions(user string, consumers []Consumer) *jwt.Permissions {
	stream := eventstore.DefaultStream
	p := &jwt.Permissions{}
	for _, c := range consumers {
		p.Pub.Allow.Add(
			DownstreamAPIPrefix+".CONSUMER.INFO."+stream+"."+c.Name,
			DownstreamAPIPrefix+".CONSUMER.MSG.NEXT."+stream+"."+c.Name,
			"$JS.ACK."+stream+"."+c.Name+".>",
		)
	}
	p.Sub.Allow.Add(InboxPrefix(user) + ".>")
	return p
}

// PublisherPermissions are a rating publisher's permissions: request the
// rating operations of its tenant, receive the replies in its inbox.
func PublisherPermissions(user, tenant string, ratingOps []string) *jwt.Permissions {
	p := &jwt.Permissions{}
	for _, op := range ratingOps {
		p.Pub.Allow.Add(CommandSubject(tenant, op))
	}
	p.Sub.Allow.Add(InboxPrefix(user) + ".>")
	return p
}
