package projector

import "strings"

// The runtime filters events by subject itself rather than asking the
// server to: a consumer reads the whole stream and hands the projection the
// events on its Filters. A server-side filter matching many distinct
// subjects (one per kudos and reacting member, one per rated interaction)
// makes nats-server look for each next message by intersecting the
// filters with every subject of the message block, many times slower than
// reading everything. Reading past the events a projection does not take
// costs a subject comparison each.

// subjectFilter matches subjects against a projection's filters, with the
// NATS wildcards: "*" is one token, a final ">" one or more.
type subjectFilter []string

// match reports whether subject matches any of the filters.
func (f subjectFilter) match(subject string) bool {
	for _, filter := range f {
		if matchSubject(filter, subject) {
			return true
		}
	}
	return false
}

func matchSubject(filter, subject string) bool {
	for {
		ft, frest, fmore := strings.Cut(filter, ".")
		if ft == ">" {
			return subject != ""
		}
		st, srest, smore := strings.Cut(subject, ".")
		if ft != "*" && ft != st {
			return false
		}
		if !fmore || !smore {
			return fmore == smore
		}
		filter, subject = frest, srest
	}
}
