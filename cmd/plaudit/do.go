package main

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// do calls any operation of the contract by name (apiv1.Ops): the body
// from flags named after its JSON fields, or whole from --body, and the id
// the route acts on, if it has one, as the argument. An operation is
// callable here as soon as it is declared; the commands with words of
// their own (give, react, ...) say what happened in a sentence.
func (c *cli) do(ctx context.Context, args []string) error {
	s := &spec{
		name: "do",
		args: "OPERATION [ID] [--FIELD VALUE ...] [--body JSON]",
		about: "Call an operation of the write API by name and print the server's JSON reply.\n" +
			"Flags are the fields of the operation's body: text as it is, numbers, lists\n" +
			"comma-separated, true/false, objects as JSON. Operations:\n\n" + opList(),
		pos: []string{"OPERATION"},
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		_, err := c.parseWrite(s, args)
		return err
	}
	i := slices.IndexFunc(apiv1.Ops, func(o apiv1.Op) bool { return o.Name == args[0] })
	if i < 0 {
		return &usageError{spec: s, msg: fmt.Sprintf("unknown operation %q", args[0])}
	}
	o := apiv1.Ops[i]
	method, path, _ := strings.Cut(o.Route, " ")
	before, wildcard, hasID := strings.Cut(path, "{")
	s.name, s.pos, s.args = "do "+o.Name, nil, "[--FIELD VALUE ...] [--body JSON]"
	if hasID {
		s.pos, s.args = []string{"ID"}, "ID "+s.args
	}
	s.about = o.Route + "\n\nFlags are the fields of its body: text as it is, numbers, lists comma-separated,\ntrue/false, objects as JSON."
	body := map[string]any{}
	whole := s.flags().String("body", "", "the whole body as JSON; flags set fields over it")
	if o.Body != nil {
		for name, t := range apiv1.Fields(reflect.TypeOf(o.Body)) {
			s.flags().Func(name, "the body's "+name+" ("+t.String()+")", func(v string) error {
				val, err := flagValue(t, v)
				body[name] = val
				return err
			})
		}
	}
	pos, err := c.parseWrite(s, args[1:])
	if err != nil {
		return err
	}
	if hasID {
		name, rest, _ := strings.Cut(wildcard, "}")
		id := seg(pos[0])
		if strings.HasSuffix(name, "...") { // the rest of the path: its slashes stay
			id = strings.ReplaceAll(id, "%2F", "/")
		}
		path = before + id + rest
	}
	if *whole != "" {
		var base map[string]any
		if err := json.Unmarshal([]byte(*whole), &base); err != nil {
			return &usageError{spec: s, msg: "--body is not a JSON object: " + err.Error()}
		}
		for k, v := range body {
			base[k] = v
		}
		body = base
	}
	reply, err := c.sendRaw(ctx, method, path, body)
	if err != nil {
		return err
	}
	c.printRaw(reply)
	return nil
}

// opList lists the operations with their routes, one a line.
func opList() string {
	var b strings.Builder
	for _, o := range apiv1.Ops {
		fmt.Fprintf(&b, "  %-26s %s\n", o.Name, o.Route)
	}
	return strings.TrimRight(b.String(), "\n")
}

// flagValue reads a flag's text as a value of a body field of type t.
func flagValue(t reflect.Type, v string) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.String:
		return v, nil
	case t.Kind() == reflect.Bool:
		return strconv.ParseBool(v)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return strconv.ParseInt(v, 10, 64)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		if v == "" {
			return []string{}, nil
		}
		return strings.Split(v, ","), nil
	}
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return raw, nil
}
