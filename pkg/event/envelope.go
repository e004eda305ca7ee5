package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SpecVersion is the CloudEvents specification version of every envelope.
const SpecVersion = "1.0"

// Envelope is a CloudEvents 1.0 event in its JSON form. Tenant is a CloudEvents
// extension attribute. Data holds the type's payload as raw JSON; Decode turns
// it into the Go type registered for Type.
//
// TraceParent and TraceState are the CloudEvents distributed-tracing
// extension: the W3C Trace Context (traceparent and tracestate header
// values) of the operation that appended the event, so that whoever
// handles the event can continue that trace. Both are optional: an event
// appended outside a recorded trace, or before Plaudit recorded them, has
// neither.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            time.Time       `json:"time"`
	Subject         string          `json:"subject"`
	Tenant          string          `json:"tenant"`
	DataContentType string          `json:"datacontenttype"`
	DataSchema      string          `json:"dataschema"`
	Data            json.RawMessage `json:"data"`
	TraceParent     string          `json:"traceparent,omitempty"`
	TraceState      string          `json:"tracestate,omitempty"`
}

// Data is implemented by every event payload. EventType names the type and
// version; AggregateSubject gives the stream subject under the tenant; Key is
// the CloudEvents subject: the aggregate the event is about, given the
// event's id (a kudos is its own aggregate); Audience is who may see it.
type Data interface {
	EventType() string
	AggregateSubject(tenant, id string) string
	Key(id string) string
	Audience() (a Audience, about string)
}

// Audience is who may see an event: the one visibility rule of its type,
// which package visibility applies to the live stream, the feeds and every
// integration that delivers events. With it a type names whom the event
// is about: the member for Staff and Personal, the kudos id for a
// reaction's or retraction's Participants.
type Audience uint8

// Audiences.
const (
	// Nobody sees an event of a type that declares no audience.
	Nobody Audience = iota
	// Everyone in the tenant: the directory's members and the tenant's
	// policy, which giving needs.
	Everyone
	// Participants are those of the kudos the event is, or is about:
	// everyone when it is public, its giver and recipients when private.
	Participants
	// Staff are admins, analysts and the member the event is about; never
	// a manager or a peer (ratings are never used to rank or punish).
	Staff
	// Personal is for the member the event is about, and the admins and
	// integrations that act for members (a chat integration delivers
	// nudges).
	Personal
)

// Source is the CloudEvents source of events appended by Plaudit itself.
const Source = "/plaudit"

// SchemaBase prefixes the dataschema URI; the rest is the schema's file name
// under schemas/events.
const SchemaBase = "https://plaudit.dev/schemas/events/"

// New wraps data in an envelope. The id doubles as the Nats-Msg-Id, so it must
// be stable across retries of the same command.
func New(tenant, id string, at time.Time, data Data) (Envelope, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("event: encode %s: %w", data.EventType(), err)
	}
	return Envelope{
		SpecVersion:     SpecVersion,
		ID:              id,
		Source:          Source,
		Type:            data.EventType(),
		Time:            at.UTC().Truncate(time.Millisecond),
		Subject:         data.Key(id),
		Tenant:          tenant,
		DataContentType: "application/json",
		DataSchema:      SchemaBase + SchemaFile(data.EventType()),
		Data:            raw,
	}, nil
}

// StreamSubject is the NATS subject the envelope is stored under.
func (e Envelope) StreamSubject() (string, error) {
	d, err := e.Decode()
	if err != nil {
		return "", err
	}
	return d.AggregateSubject(e.Tenant, e.ID), nil
}

var (
	// ErrMalformed is returned by Parse and Decode when a message is not an
	// envelope or its data does not decode into its type. Projectors treat
	// it as permanent: the message goes to the dead-letter subject.
	ErrMalformed = errors.New("event: malformed envelope")
	// ErrUnknownType is returned by Decode when the envelope's type and
	// version is not registered here (an event newer than this code).
	ErrUnknownType = errors.New("event: unknown type or version")
)

// Parse decodes an envelope from the stream and checks the attributes a
// reader needs. It does not decode Data; see Decode.
func Parse(b []byte) (Envelope, error) { return ParseWith(b, json.Unmarshal) }

// ParseWith is Parse with another decoder, one that behaves as
// encoding/json's Unmarshal does.
func ParseWith(b []byte, unmarshal func([]byte, any) error) (Envelope, error) {
	var e Envelope
	if err := unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch {
	case e.SpecVersion != SpecVersion:
		return Envelope{}, fmt.Errorf("%w: specversion %q", ErrMalformed, e.SpecVersion)
	case e.ID == "" || e.Type == "" || e.Source == "" || e.Tenant == "":
		return Envelope{}, fmt.Errorf("%w: id, type, source and tenant are required", ErrMalformed)
	case len(e.Data) == 0 || string(e.Data) == "null":
		return Envelope{}, fmt.Errorf("%w: no data", ErrMalformed)
	}
	return e, nil
}

// Decode returns the envelope's data as the registered Go type for its type,
// upcast to the newest version when an older one is read.
func (e Envelope) Decode() (Data, error) { return e.DecodeWith(json.Unmarshal) }

// DecodeWith is Decode with another decoder, one that behaves as
// encoding/json's Unmarshal does.
func (e Envelope) DecodeWith(unmarshal func([]byte, any) error) (Data, error) {
	t, ok := registry[e.Type]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, e.Type)
	}
	d, err := t.decode(e.Data, unmarshal)
	if err != nil {
		return nil, fmt.Errorf("%w: %s data: %v", ErrMalformed, e.Type, err)
	}
	return d, nil
}

// Read parses a stream message and decodes its data: Parse and Decode in
// one, with their errors.
func Read(b []byte) (Envelope, Data, error) {
	e, err := Parse(b)
	if err != nil {
		return Envelope{}, nil, err
	}
	d, err := e.Decode()
	if err != nil {
		return Envelope{}, nil, err
	}
	return e, d, nil
}
