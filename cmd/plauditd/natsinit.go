package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/plaudit/plaudit/pkg/natsauth"
)

// natsInit is "plauditd nats-init": it creates the NATS keys of a
// deployment on an external cluster and writes the part of the servers'
// configuration that trusts them (deploy/README.md).
func natsInit(args []string) error {
	fs := flag.NewFlagSet("plauditd nats-init", flag.ContinueOnError)
	keysDir := fs.String("keys", "", "directory for the operator and account keys, created with mode 0700; give it to plauditd as --nats-keys")
	out := fs.String("server-config", "", "file to write the servers' auth configuration to, for their config to include")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var errs []error
	if *keysDir == "" {
		errs = append(errs, errors.New("keys: required"))
	}
	if *out == "" {
		errs = append(errs, errors.New("server-config: required"))
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments: %v", fs.Args()))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// The configuration preloads the account: written again over the one
	// the servers run with, it would bring back, at their next start, the
	// users revoked since (a preloaded account that is newer wins).
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("server-config: %s exists; nats-init writes it once", *out)
	}
	keys, err := natsauth.LoadOrCreate(*keysDir)
	if err != nil {
		return err
	}
	conf, err := natsauth.ServerConfig(keys)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	// The configuration holds JWTs, which are public, and no seed.
	if err := os.WriteFile(*out, []byte(conf), 0o644); err != nil {
		return err
	}
	fmt.Printf("keys in %s (keep them secret: whoever holds them can sign NATS users)\nserver configuration in %s\n", *keysDir, *out)
	return nil
}
