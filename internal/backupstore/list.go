package backupstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
)

// Stamp identifies one version of a cfg object cheaply: a listing returns
// it for free, so only cfgs whose stamp changed need to be read again.
type Stamp struct {
	Size    int64
	ModTime time.Time
}

// Summary describes one backup without its block list.
type Summary struct {
	Name              string
	Stamp             Stamp
	Size              int64
	BlockCount        int64
	Checksum          string
	CompressionMethod string // effective: "" in the cfg reads as gzip
	Labels            map[string]string
	CreatedTime       string
	CompleteTime      string
	// InProgress is true for a placeholder: being written or failed; not
	// restorable.
	InProgress bool
	// Invalid is set, and nothing else but Name and Stamp, when the cfg
	// exists but cannot be parsed; such a backup is not restorable.
	Invalid string
}

// Listing is the result of ListChanged.
type Listing struct {
	// Loaded holds the backups that are new or whose cfg changed.
	Loaded []Summary
	// Unchanged names the backups whose cfg has the stamp given in seen.
	Unchanged []string
	// Gone names the backups in seen that no longer exist.
	Gone []string
}

// Inspect returns the full cfg of backup name, in progress or not (check
// InProgress before offering it for restore).
func (s *Store) Inspect(ctx context.Context, name string) (*format.Config, error) {
	cfg, err := s.loadConfig(ctx, name)
	if target.IsNotFound(err) {
		return nil, fmt.Errorf("inspect backup %q: %w: %w", name, ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("inspect backup %q: %w", name, err)
	}
	return cfg, nil
}

// List returns every backup on the target, sorted by name. One listing of
// the cfg tree, then the cfgs are read in parallel. A listing or read
// failure is an error, never an empty or partial result.
func (s *Store) List(ctx context.Context) ([]Summary, error) {
	l, err := s.ListChanged(ctx, nil)
	return l.Loaded, err
}

// ListChanged is List for a caller that keeps a copy: only cfgs that are
// new or whose Stamp differs from seen[name] are read.
func (s *Store) ListChanged(ctx context.Context, seen map[string]Stamp) (Listing, error) {
	var out Listing
	stamps, err := s.scanConfigs(ctx)
	if err != nil {
		return out, err
	}
	var load []string
	for _, name := range slices.Sorted(maps.Keys(stamps)) {
		if old, ok := seen[name]; ok && old.Size == stamps[name].Size && old.ModTime.Equal(stamps[name].ModTime) {
			out.Unchanged = append(out.Unchanged, name)
		} else {
			load = append(load, name)
		}
	}
	for name := range seen {
		if _, ok := stamps[name]; !ok {
			out.Gone = append(out.Gone, name)
		}
	}
	slices.Sort(out.Gone)
	loaded, err := s.summarize(ctx, load, stamps)
	if err != nil {
		return Listing{}, err
	}
	out.Loaded = loaded
	return out, nil
}

// StampOf returns the stamp of backup name's cfg as a listing shows it (the
// form a sync compares: a plain stat may round the time differently on
// some targets), and false when the listing fails or has no such cfg. A
// finished backup records it so that the next sync does not re-read its cfg.
func (s *Store) StampOf(ctx context.Context, name string) (Stamp, bool) {
	var st Stamp
	found := false
	_ = s.tgt.Walk(ctx, format.ConfigsDir+"/"+name, func(e target.Entry) error {
		if n, ok := format.NameFromConfigKey(e.Key); ok && n == name {
			st, found = Stamp{Size: e.Size, ModTime: e.ModTime}, true
		}
		return nil
	})
	return st, found
}

// scanConfigs lists every cfg object with its stamp, keyed by backup name.
func (s *Store) scanConfigs(ctx context.Context) (map[string]Stamp, error) {
	stamps := make(map[string]Stamp)
	err := s.tgt.Walk(ctx, format.ConfigsDir, func(e target.Entry) error {
		if name, ok := format.NameFromConfigKey(e.Key); ok {
			stamps[name] = Stamp{Size: e.Size, ModTime: e.ModTime}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", format.ConfigsDir, err)
	}
	return stamps, nil
}

// summarize reads the cfgs of names in parallel. A cfg deleted since the
// listing is left out; any other read error fails the whole call.
func (s *Store) summarize(ctx context.Context, names []string, stamps map[string]Stamp) ([]Summary, error) {
	sums := make([]*Summary, len(names))
	err := parallel(ctx, s.concurrency(0), len(names), func(ctx context.Context, i int) error {
		name := names[i]
		data, err := s.tgt.Get(ctx, format.ConfigKey(name))
		if target.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", format.ConfigKey(name), err)
		}
		sum := &Summary{Name: name, Stamp: stamps[name]}
		if cfg, err := format.DecodeConfig(data); err != nil {
			sum.Invalid = err.Error()
		} else {
			fillSummary(sum, cfg)
		}
		sums[i] = sum
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(sums))
	for _, sum := range sums {
		if sum != nil {
			out = append(out, *sum)
		}
	}
	return out, nil
}

func fillSummary(sum *Summary, cfg *format.Config) {
	sum.Size, sum.BlockCount = int64(cfg.Size), int64(cfg.BlockCount)
	sum.Checksum, sum.CompressionMethod = cfg.Checksum, cfg.Compression()
	sum.Labels = cfg.Labels
	sum.CreatedTime, sum.CompleteTime = cfg.CreatedTime, cfg.CompleteTime
	sum.InProgress = cfg.InProgress()
}

// parallel runs fn for 0..n-1 with at most conc at once; the first error
// cancels the rest and is returned.
func parallel(ctx context.Context, conc, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(conc, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
