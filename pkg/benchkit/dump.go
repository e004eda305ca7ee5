package benchkit

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/projector"
)

// Dump is a projection's store as its Reader shows it: bucket -> key ->
// value.
type Dump map[string]map[string][]byte

// CatchUpDumps publishes a workload of cfg in dir, catches each of ps up
// with it (CatchUp) and returns their stores, in order: for tests that
// check what a floor writes against its projection.
func CatchUpDumps(ctx context.Context, dir string, cfg Config, ps ...projector.Projection) ([]Dump, error) {
	fx, err := NewFixture(ctx, filepath.Join(dir, "fixture"), cfg, nil)
	if err != nil {
		return nil, err
	}
	defer fx.Close()
	st, err := fx.Store(ctx)
	if err != nil {
		return nil, err
	}
	var dumps []Dump
	for i, p := range ps {
		t, err := TargetOf(ctx, st.Stream(), p.Filters())
		if err != nil {
			return nil, err
		}
		pdir := filepath.Join(dir, "catchup-"+strconv.Itoa(i))
		if _, err := CatchUp(ctx, st, p, pdir, "dump"+strconv.Itoa(i), t, nil); err != nil {
			return nil, err
		}
		r, err := projector.New(p, projector.Config{
			Stream: st, Dir: pdir, Replica: "dump" + strconv.Itoa(i),
			Logger:  slog.New(slog.DiscardHandler),
			Metrics: projector.NewMetrics(prometheus.NewRegistry()),
		})
		if err != nil {
			return nil, err
		}
		d := Dump{}
		err = r.View(func(rd *projector.Reader) error {
			rd.Buckets(func(b, k, v []byte) bool {
				if d[string(b)] == nil {
					d[string(b)] = map[string][]byte{}
				}
				d[string(b)][string(k)] = bytes.Clone(v)
				return true
			})
			return nil
		})
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("benchkit: reading %s's store: %w", p.Name(), err)
		}
		dumps = append(dumps, d)
	}
	return dumps, nil
}
