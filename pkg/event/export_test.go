package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// DecodeStd decodes the envelope's data with encoding/json, strictly, into
// the Go type registered for its type: the reference the fast decoder is
// fuzzed against.
func DecodeStd(e Envelope) (Data, error) {
	k, ok := registry[e.Type]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, e.Type)
	}
	v := reflect.New(k.typ)
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return nil, err
	}
	d := v.Elem().Interface().(Data)
	if k.up != nil {
		if err := d.Validate(); err != nil {
			return nil, err
		}
		d = k.up(d)
	}
	return d, nil
}

// ReadFast is Read's fast pass alone.
func ReadFast(b []byte) (Envelope, Data, bool) { return readFast(b) }
