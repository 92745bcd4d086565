// Package scrub finds bit rot in this node's copies of backing images and
// repairs it. In the background it re-reads, one copy at a time and at a
// bounded rate, every local copy whose last scrub is older than the
// setting backing-image-scrub-interval, checking each block against the
// copy's manifest (engine.Disk.Verify). A damaged copy is marked failed,
// naming its bad blocks; each bad block is then rewritten in place from
// another ready copy of the image on this node or from a backup of the
// image with the same checksum (engine.Disk.Repair refuses bytes that do
// not hash to the manifest's ID), and the copy is verified again and made
// ready, its message saying what was repaired from where. VerifyImage does
// the same for one image on demand, at full speed.
package scrub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// BlockSource gives verified block bytes from backups, so the scrub does
// not depend on the backup controller.
type BlockSource interface {
	// BackupBlock returns the bytes of the block at offset (a multiple of
	// engine.BlockSize) of a backup of image whose image checksum is
	// checksum. It fails when no such backup exists or its cfg has no data
	// block there.
	BackupBlock(ctx context.Context, image, checksum string, offset int64) ([]byte, error)
}

// Scrubber scrubs and repairs this node's copies. Set the exported fields
// before Run or VerifyImage; Backups, Log, Now and Enqueue may be nil.
type Scrubber struct {
	BIs      *store.Kind[model.BackingImage]
	Settings *settings.Store
	Disks    *node.Registry
	NodeID   string
	// Scrubs keeps when each copy was last scrubbed (see NewKind).
	Scrubs *store.Kind[Record]
	// Backups repairs blocks no local copy has; nil: local copies only.
	Backups BlockSource
	Log     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Enqueue, if set, asks for an image to be reconciled after one of its
	// copies changed state.
	Enqueue func(name string)

	locks sync.Map // copy key -> *sync.Mutex: one verify or repair per copy
	kick  chan struct{}
	once  sync.Once
}

// maxSleep bounds how long Run waits between passes, so a changed setting
// or a new copy is noticed without a restart.
const maxSleep = 15 * time.Second

func (s *Scrubber) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Scrubber) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Scrubber) kicks() chan struct{} {
	s.once.Do(func() { s.kick = make(chan struct{}, 1) })
	return s.kick
}

// Kick makes Run start its next pass now (a setting changed).
func (s *Scrubber) Kick() {
	select {
	case s.kicks() <- struct{}{}:
	default:
	}
}

// Run scrubs due copies until ctx ends.
func (s *Scrubber) Run(ctx context.Context) {
	for {
		wait, err := s.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			s.log().Warn("scrub pass", "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kicks():
		case <-t.C:
		}
		t.Stop()
	}
}

// candidate is one local copy the scrub may verify.
type candidate struct {
	bi       model.BackingImage
	diskUUID string
	ref      node.DiskRef
	due      time.Time
}

// Pass scrubs, one at a time and at the rate setting, every local copy
// that is due, and returns how long to wait before the next pass (at most
// maxSleep). It returns early when ctx ends.
func (s *Scrubber) Pass(ctx context.Context) (time.Duration, error) {
	interval := s.Settings.ScrubInterval(ctx)
	if interval <= 0 {
		return maxSleep, nil
	}
	opts := engine.VerifyOptions{BytesPerSecond: int64(s.Settings.Int(ctx, settings.ScrubRateMB)) * 1_000_000}
	last, err := s.lastScrubs(ctx)
	if err != nil {
		return maxSleep, err
	}
	cands, err := s.localCopies(ctx, nil)
	if err != nil {
		return maxSleep, err
	}
	next := maxSleep
	for _, c := range cands {
		c.due = dueAt(c, last, interval)
		if wait := c.due.Sub(s.now()); wait > 0 {
			next = min(next, wait)
			continue
		}
		if ctx.Err() != nil {
			return next, ctx.Err()
		}
		s.scrubCopy(ctx, c, opts, "scrub")
		next = min(next, interval)
	}
	s.prune(ctx, cands)
	return max(next, 10*time.Millisecond), nil
}

// dueAt is when copy c next needs a scrub: interval after its last scrub,
// or after it became ready (it was hashed as it was made) if never
// scrubbed. A failed copy whose failure is newer than its last scrub (a
// backup found it damaged) is due at once.
func dueAt(c candidate, last map[string]time.Time, interval time.Duration) time.Time {
	cp := c.bi.Status.Copies[c.diskUUID]
	at, ok := last[copyKey(c.bi, c.diskUUID)]
	if cp.State == apitypes.StateFailed && (!ok || at.Before(cp.LastTransition)) {
		return time.Time{}
	}
	if !ok {
		at = cp.LastTransition
	}
	return at.Add(interval)
}

// localCopies lists the copies on this node's ready disks that hold a
// ready copy in the engine: ready ones, and failed ones whose content is
// there and has the image's checksum (a damage found by a backup), sorted
// by image and disk. only, if not nil, limits the list to that image.
func (s *Scrubber) localCopies(ctx context.Context, only *model.BackingImage) ([]candidate, error) {
	var bis []model.BackingImage
	if only != nil {
		bis = []model.BackingImage{*only}
	} else {
		list, _, err := s.BIs.List(ctx)
		if err != nil {
			return nil, fmt.Errorf("list backing images: %w", err)
		}
		for _, v := range list {
			bis = append(bis, v.Value)
		}
	}
	var out []candidate
	for _, bi := range bis {
		if bi.DeletionRequested != nil {
			continue
		}
		keys := make([]string, 0, len(bi.Status.Copies))
		for k := range bi.Status.Copies {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, diskUUID := range keys {
			if ref, ok := s.scrubbable(bi, diskUUID); ok {
				out = append(out, candidate{bi: bi, diskUUID: diskUUID, ref: ref})
			}
		}
	}
	return out, nil
}

func (s *Scrubber) scrubbable(bi model.BackingImage, diskUUID string) (node.DiskRef, bool) {
	cp := bi.Status.Copies[diskUUID]
	if cp.NodeID != s.NodeID || cp.Cleanup || (cp.State != apitypes.StateReady && cp.State != apitypes.StateFailed) {
		return node.DiskRef{}, false
	}
	ref, ok := s.Disks.Get(diskUUID)
	if !ok || ref.Disk == nil {
		return node.DiskRef{}, false
	}
	id := copyID(bi)
	if cp.State == apitypes.StateFailed {
		rec, err := ref.Disk.Record(id)
		if err != nil || bi.Status.CurrentChecksum == "" || rec.Checksum != bi.Status.CurrentChecksum {
			return node.DiskRef{}, false
		}
	}
	return ref, true
}

func copyID(bi model.BackingImage) engine.CopyID { return engine.CopyID{Name: bi.Name, UUID: bi.UUID} }

// lock serialises verifies and repairs of one copy.
func (s *Scrubber) lock(key string) func() {
	m, _ := s.locks.LoadOrStore(key, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// ErrNoImage is wrapped when VerifyImage is asked for an image that does
// not exist (or is being deleted); it matches store.ErrNotFound too.
var ErrNoImage = fmt.Errorf("backing image not found: %w", store.ErrNotFound)

// isNotFound reports a missing record.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
