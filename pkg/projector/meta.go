package projector

import "slices"

// Meta is what a projection is to the runtime: its name, the version of
// its store's layout and the stream subjects it consumes. Embedded in a
// projection's type, it implements the projection's Name and Filters and
// Layouter, so the type writes only Apply. Its zero value names nothing:
// a projection that embeds it is made with its Meta (NewMeta).
type Meta struct {
	name    string
	layout  int
	filters []string
}

// NewMeta is the Meta of the projection named name (a constant: renaming
// one replays the whole stream), whose store has layout version layout
// (0 for none) and which consumes the subjects filters, with NATS
// wildcards.
func NewMeta(name string, layout int, filters ...string) Meta {
	return Meta{name: name, layout: layout, filters: filters}
}

// Name implements Projection.
func (m Meta) Name() string { return m.name }

// Layout implements Layouter.
func (m Meta) Layout() int { return m.layout }

// Filters implements Projection. The slice is the caller's.
func (m Meta) Filters() []string { return slices.Clone(m.filters) }
