package feed

import (
	"reflect"
	"testing"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// TestPageIsFeedPage: the feed query answers with a Page, for its cached
// encodings, and the gateway and the CLI read an apiv1.FeedPage. The two
// must have the same exported fields, types and JSON tags, in order, or
// the feed would answer what the contract does not say.
func TestPageIsFeedPage(t *testing.T) {
	t.Parallel()
	// Within Page, Item stands for apiv1.FeedItem.
	same := map[reflect.Type]reflect.Type{reflect.TypeFor[[]Item](): reflect.TypeFor[[]apiv1.FeedItem]()}
	for _, tt := range []struct{ got, want reflect.Type }{
		{reflect.TypeFor[Page](), reflect.TypeFor[apiv1.FeedPage]()},
		{reflect.TypeFor[Item](), reflect.TypeFor[apiv1.FeedItem]()},
	} {
		got, want := exportedFields(tt.got), exportedFields(tt.want)
		if len(got) != len(want) {
			t.Errorf("%s has %d exported fields, %s %d", tt.got, len(got), tt.want, len(want))
			continue
		}
		for i, w := range want {
			g := got[i]
			typ := g.Type
			if s, ok := same[typ]; ok {
				typ = s
			}
			if g.Name != w.Name || typ != w.Type || g.Tag != w.Tag {
				t.Errorf("%s field %d is %s %s `%s`; %s has %s %s `%s`", tt.got, i, g.Name, g.Type, g.Tag, tt.want, w.Name, w.Type, w.Tag)
			}
		}
	}
}

func exportedFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for f := range t.Fields() {
		if f.IsExported() {
			out = append(out, f)
		}
	}
	return out
}
