package event

import (
	"bytes"
	"encoding/binary"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Read parses a stream message and decodes its data: Parse and Decode in
// one, with their errors.
//
// Every projector reads every event it takes, so this is the largest part
// of a catch-up that is not the projection's own. Messages as Plaudit
// writes them (canonical JSON: no null, no empty string, no repeated or
// unknown names, times in UTC with a Z) of the frequent types are decoded
// in one pass by hand, several times faster than Parse and Decode; any
// other message, and any message that pass does not take, goes through
// Parse and Decode. A fuzz test holds the fast pass to them: whatever it
// takes, they take, with the same result.
//
// The envelope's Data, and its strings, may share memory with b, which
// must not change afterwards.
func Read(b []byte) (Envelope, Data, error) {
	if e, d, ok := readFast(b); ok {
		return e, d, nil
	}
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

// readFast is Read's fast pass; ok is false when it does not take b.
func readFast(b []byte) (e Envelope, d Data, ok bool) {
	if len(b) == 0 {
		return Envelope{}, nil, false
	}
	// b is not to change (Read), so its strings can be b's own bytes: no
	// copy of the message.
	r := fastReader{validator: validator{b: b}, s: unsafe.String(&b[0], len(b))}
	data := dataValue{typ: &e.Type}
	ok = r.into(0, field{"specversion", &e.SpecVersion}, field{"id", &e.ID}, field{"source", &e.Source},
		field{"type", &e.Type}, field{"time", &e.Time}, field{"subject", &e.Subject}, field{"tenant", &e.Tenant},
		field{"datacontenttype", &e.DataContentType}, field{"dataschema", &e.DataSchema}, field{"data", &data})
	r.space()
	if !ok || r.i != len(b) || data.d == nil || e.SpecVersion != SpecVersion || e.ID == "" || e.Source == "" || e.Tenant == "" {
		return Envelope{}, nil, false
	}
	e.Data, d = b[data.start:data.end], data.d
	if d.Validate() != nil {
		return Envelope{}, nil, false
	}
	return e, d, true
}

// dataValue is an envelope's data, decoded as it is read, by the type
// the envelope named before it (as Plaudit writes envelopes), and where it
// lies in the input: b[start:end].
type dataValue struct {
	typ        *string
	d          Data
	start, end int
}

// fastType is how the fast pass decodes the data of type t, nil for the
// types it leaves to Decode.
func fastType(t string) func(*fastReader) (Data, bool) {
	switch t {
	case TypeKudosGiven:
		return (*fastReader).kudosGiven
	case TypeReactionAdded:
		return (*fastReader).reactionAdded
	case TypeKudosRetracted:
		return (*fastReader).kudosRetracted
	case TypeRatingReceived:
		return (*fastReader).ratingReceived
	case TypeMemberUpserted:
		return (*fastReader).memberUpserted
	case TypeMemberLeft:
		return (*fastReader).memberLeft
	}
	return nil
}

// fastReader reads canonical JSON. s is b as a string, so that strings
// without escapes are slices of it rather than allocations of their own.
// Its methods report false for anything they do not take, well-formed or
// not.
type fastReader struct {
	validator // the bytes, the position, white space and skipping values
	s         string
}

func (r *fastReader) next(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object, calling field with each name, with the reader at
// its value, which field must read.
func (r *fastReader) object(field func(name string) bool) bool {
	if !r.next('{') || r.next('}') {
		return false // an empty object is never a whole event or its data
	}
	for {
		r.space()
		name, ok := r.name()
		if !ok || !r.next(':') {
			return false
		}
		r.space()
		if !field(name) {
			return false
		}
		if r.next('}') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// field is a member of an object the fast pass decodes: its JSON name and
// where its value goes, a *string, *[]string, *int, *bool, *time.Time,
// **Cause or *dataValue.
type field struct {
	name string
	dst  any
}

// into reads an object of the fields given, each at most once, those of
// the required bits (by position) at least once.
func (r *fastReader) into(required uint32, fields ...field) bool {
	var seen uint32
	return r.object(func(name string) bool {
		for i, f := range fields {
			if f.name == name {
				if seen&(1<<i) != 0 {
					return false
				}
				seen |= 1 << i
				return r.read(f.dst)
			}
		}
		return false
	}) && seen&required == required
}

func (r *fastReader) read(dst any) (ok bool) {
	switch p := dst.(type) {
	case *string:
		*p, ok = r.str()
	case *[]string:
		*p, ok = r.strs()
	case *int:
		*p, ok = r.int()
	case *bool:
		*p, ok = r.boolean()
	case *time.Time:
		// Parse and Decode read times from the raw bytes, escapes and all
		// (and refuse them): one written with escapes is theirs to refuse.
		start := r.i
		var s string
		if s, ok = r.str(); ok && !bytes.Contains(r.b[start:r.i], []byte{'\\'}) {
			*p, ok = utcTime(s)
		} else {
			ok = false
		}
	case *dataValue:
		decode := fastType(*p.typ)
		if decode == nil {
			return false
		}
		p.start = r.i
		p.d, ok = decode(r)
		p.end = r.i
	case **Cause:
		c := &Cause{}
		ok = r.into(0b11, field{"event_id", &c.EventID}, field{"type", &c.Type})
		*p = c
	}
	return ok
}

// name reads an object's member name: ASCII, without escapes.
func (r *fastReader) name() (string, bool) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return "", false
	}
	start := r.i + 1
	for r.i = start; r.i < len(r.b); r.i++ {
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			return r.s[start : r.i-1], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return "", false
		}
	}
	return "", false
}

// str reads a string that is not empty and is valid UTF-8.
func (r *fastReader) str() (string, bool) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return "", false
	}
	r.i++
	start, ascii := r.i, true
	for {
		for r.i+8 <= len(r.b) && !special8(binary.LittleEndian.Uint64(r.b[r.i:])) {
			r.i += 8
		}
		for r.i < len(r.b) && plain[r.b[r.i]] {
			r.i++
		}
		if r.i >= len(r.b) {
			return "", false
		}
		switch c := r.b[r.i]; {
		case c == '"':
			s := r.s[start:r.i]
			r.i++
			return s, s != "" && (ascii || utf8.ValidString(s))
		case c == '\\':
			return r.escaped(start)
		case c < 0x20:
			return "", false
		}
		ascii = false
		r.i++
	}
}

// plain marks the bytes a string holds as they are: ASCII, neither a
// control character, a quote nor a backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special8 reports whether any of the 8 bytes of x is not plain, eight
// bytes at a time: a quote, a backslash, a control character or a byte of
// a multi-byte character.
func special8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs } // bytes that are 0
	control := (x - 0x20*ones) & ^x & highs                          // bytes below 0x20
	return (zero(x^('"'*ones)) | zero(x^('\\'*ones)) | control | x&highs) != 0
}

// escaped reads the rest of a string from the first backslash; start is
// where the string's contents began.
func (r *fastReader) escaped(start int) (string, bool) {
	buf := make([]byte, 0, 2*(r.i-start)+16)
	buf = append(buf, r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return string(buf), len(buf) > 0 && utf8.Valid(buf)
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.b) {
			return "", false
		}
		switch e := r.b[r.i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			if r.i+6 > len(r.b) {
				return "", false
			}
			var v rune
			for _, h := range r.b[r.i+2 : r.i+6] {
				switch {
				case '0' <= h && h <= '9':
					v = v<<4 | rune(h-'0')
				case 'a' <= h && h <= 'f':
					v = v<<4 | rune(h-'a'+10)
				case 'A' <= h && h <= 'F':
					v = v<<4 | rune(h-'A'+10)
				default:
					return "", false
				}
			}
			if 0xd800 <= v && v < 0xe000 {
				return "", false // surrogates: left to the full decoder
			}
			buf = utf8.AppendRune(buf, v)
			r.i += 4
		default:
			return "", false
		}
		r.i += 2
	}
	return "", false
}

// strs reads an array of strings.
func (r *fastReader) strs() ([]string, bool) {
	if !r.next('[') {
		return nil, false
	}
	out := make([]string, 0, 4)
	if r.next(']') {
		return out, true
	}
	for {
		r.space()
		s, ok := r.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if r.next(']') {
			return out, true
		}
		if !r.next(',') {
			return nil, false
		}
	}
}

// int reads an integer written without fraction or exponent, of at most 18
// digits.
func (r *fastReader) int() (int, bool) {
	neg := r.i < len(r.b) && r.b[r.i] == '-'
	if neg {
		r.i++
	}
	start, n := r.i, 0
	for ; r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9'; r.i++ {
		n = n*10 + int(r.b[r.i]-'0')
	}
	digits := r.i - start
	if digits == 0 || digits > 18 || (digits > 1 && r.b[start] == '0') {
		return 0, false
	}
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func (r *fastReader) boolean() (bool, bool) {
	switch {
	case len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "true":
		r.i += 4
		return true, true
	case len(r.b)-r.i >= 5 && string(r.b[r.i:r.i+5]) == "false":
		r.i += 5
		return false, true
	}
	return false, false
}

// utcTime parses a time as Plaudit writes it, in UTC with a Z (the
// schemas' pattern): what time.Time's UnmarshalJSON makes of it.
func utcTime(s string) (time.Time, bool) {
	const prefix = len("2006-01-02T15:04:05")
	if len(s) < prefix+1 || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if d > time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	ns := 0
	if frac := s[prefix : len(s)-1]; frac != "" {
		if len(frac) < 2 || len(frac) > 10 || frac[0] != '.' {
			return time.Time{}, false
		}
		if ns = num(prefix+1, len(frac)-1); ns < 0 {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			ns *= 10
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC), true
}

// The frequent types, field by field, as their JSON names say; the
// required bits are the fields without omitempty.

func (r *fastReader) kudosGiven() (Data, bool) {
	var k KudosGiven
	ok := r.into(0b11_0111_1111, field{"giver", &k.Giver}, field{"recipients", &k.Recipients},
		field{"message", &k.Message}, field{"values", &k.Values}, field{"points", &k.Points},
		field{"visibility", &k.Visibility}, field{"channel", &k.Channel}, field{"cause", &k.Cause},
		field{"period", &k.Period}, field{"spent", &k.Spent})
	return k, ok
}

func (r *fastReader) reactionAdded() (Data, bool) {
	var a ReactionAdded
	ok := r.into(0b111, field{"kudos_id", &a.KudosID}, field{"member", &a.Member}, field{"emoji", &a.Emoji})
	return a, ok
}

func (r *fastReader) kudosRetracted() (Data, bool) {
	var k KudosRetracted
	ok := r.into(0b111_1111, field{"kudos_id", &k.KudosID}, field{"giver", &k.Giver}, field{"by", &k.By},
		field{"by_role", &k.ByRole}, field{"reason", &k.Reason}, field{"period", &k.Period},
		field{"refunded", &k.Refunded})
	return k, ok
}

func (r *fastReader) ratingReceived() (Data, bool) {
	var g RatingReceived
	ok := r.into(0b1_1101_1111, field{"platform", &g.Platform}, field{"interaction_id", &g.InteractionID},
		field{"agent", &g.Agent}, field{"score", &g.Score}, field{"scale", &g.Scale},
		field{"comment", &g.Comment}, field{"channel", &g.Channel},
		field{"handle_time_seconds", &g.HandleTimeSeconds}, field{"occurred_at", &g.OccurredAt})
	return g, ok
}

func (r *fastReader) memberUpserted() (Data, bool) {
	var m MemberUpserted
	ok := r.into(0b11_0111, field{"member", &m.Member}, field{"name", &m.Name}, field{"team", &m.Team},
		field{"manager", &m.Manager}, field{"time_zone", &m.TimeZone}, field{"active", &m.Active})
	return m, ok
}

func (r *fastReader) memberLeft() (Data, bool) {
	var m MemberLeft
	ok := r.into(0b01, field{"member", &m.Member}, field{"reason", &m.Reason})
	return m, ok
}
