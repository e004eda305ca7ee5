package engine

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"

	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/natsembed"
)

// connectNATS starts the embedded server or joins the external one, and
// opens the engine's connections: its own, as a user without
// restrictions, and the system account's when it holds the keys. Every
// connection authenticates; none is anonymous.
func connectNATS(e *Engine) error {
	cfg := e.cfg
	if cfg.NATSURL == "" {
		// The data dir holds private recognition: nobody else reads it.
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("engine: data dir: %w", err)
		}
		if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("engine: data dir: %w", err)
		}
		e.keysDir = cfg.NATSKeysDir
		if e.keysDir == "" {
			e.keysDir = filepath.Join(cfg.DataDir, "nats", "keys")
		}
		keys, err := natsauth.LoadOrCreate(e.keysDir)
		if err != nil {
			return err
		}
		e.natsKey = keys
		e.embed, err = natsembed.Start(natsembed.Options{
			StoreDir: filepath.Join(cfg.DataDir, "jetstream"), Listen: cfg.NATSListen, SyncAlways: cfg.SyncAlways,
			Auth: keys, ResolverDir: filepath.Join(cfg.DataDir, "nats", "accounts"),
			TLSCert: cfg.NATSTLSCert, TLSKey: cfg.NATSTLSKey,
		})
		if err != nil {
			return err
		}
		if e.nc, err = e.embed.Connect("plauditd"); err != nil {
			return fmt.Errorf("engine: nats: %w", err)
		}
		if e.sys, err = e.embed.ConnectSystem("plauditd-system"); err != nil {
			return fmt.Errorf("engine: nats: %w", err)
		}
		if url := e.embed.ClientURL(); url != "" {
			e.log.Info("embedded NATS exposed; every connection authenticates", "url", url, "tls", cfg.NATSTLSCert != "")
		}
		return nil
	}
	base := []nats.Option{nats.MaxReconnects(-1)}
	if cfg.NATSCA != "" {
		base = append(base, nats.RootCAs(cfg.NATSCA))
	}
	var userOpt, sysOpt nats.Option
	if cfg.NATSCreds != "" {
		userOpt = nats.UserCredentials(cfg.NATSCreds)
	} else {
		keys, err := natsauth.Load(cfg.NATSKeysDir)
		if err != nil {
			return err
		}
		e.natsKey, e.keysDir = keys, cfg.NATSKeysDir
		u, err := keys.NewUser("plauditd")
		if err != nil {
			return err
		}
		su, err := keys.NewSystemUser("plauditd-system")
		if err != nil {
			return err
		}
		userOpt, sysOpt = u.Option(), su.Option()
	}
	var err error
	if e.nc, err = nats.Connect(cfg.NATSURL, append(base, userOpt, nats.Name("plauditd"))...); err != nil {
		return fmt.Errorf("engine: nats: %w", err)
	}
	if sysOpt != nil {
		if e.sys, err = nats.Connect(cfg.NATSURL, append(base, sysOpt, nats.Name("plauditd-system"))...); err != nil {
			return fmt.Errorf("engine: nats system account: %w", err)
		}
	}
	return nil
}
