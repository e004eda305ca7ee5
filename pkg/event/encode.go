package event

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the envelope's JSON to b: the same document
// json.Marshal produces for it (attributes in declaration order), written
// without reflection and without re-validating Data, which New produced.
// The write path encodes every event through it.
func (e Envelope) AppendJSON(b []byte) []byte {
	b = append(b, `{"specversion":`...)
	b = appendString(b, e.SpecVersion)
	b = append(b, `,"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"source":`...)
	b = appendString(b, e.Source)
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","subject":`...)
	b = appendString(b, e.Subject)
	b = append(b, `,"tenant":`...)
	b = appendString(b, e.Tenant)
	b = append(b, `,"datacontenttype":`...)
	b = appendString(b, e.DataContentType)
	b = append(b, `,"dataschema":`...)
	b = appendString(b, e.DataSchema)
	b = append(b, `,"data":`...)
	if len(e.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Data...)
	}
	return append(b, '}')
}

// appendJSON appends d's JSON to b: what json.Marshal writes for it. Every
// give encodes one, so it is written out rather than reflected.
func (d KudosGiven) appendJSON(b []byte) []byte {
	b = append(b, `{"giver":`...)
	b = appendString(b, d.Giver)
	b = append(b, `,"recipients":`...)
	b = appendStrings(b, d.Recipients)
	b = append(b, `,"message":`...)
	b = appendString(b, d.Message)
	b = append(b, `,"values":`...)
	b = appendStrings(b, d.Values)
	b = append(b, `,"points":`...)
	b = strconv.AppendInt(b, int64(d.Points), 10)
	b = append(b, `,"visibility":`...)
	b = appendString(b, d.Visibility)
	b = append(b, `,"channel":`...)
	b = appendString(b, d.Channel)
	if d.Cause != nil {
		b = append(b, `,"cause":{"event_id":`...)
		b = appendString(b, d.Cause.EventID)
		b = append(b, `,"type":`...)
		b = appendString(b, d.Cause.Type)
		b = append(b, '}')
	}
	b = append(b, `,"period":`...)
	b = appendString(b, d.Period)
	b = append(b, `,"spent":`...)
	b = strconv.AppendInt(b, int64(d.Spent), 10)
	return append(b, '}')
}

// appendStrings appends ss as a JSON array; nil is null, as json.Marshal
// writes it.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json escapes
// it: quotes, backslashes, control characters, <, > and &, U+2028 and U+2029;
// invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
