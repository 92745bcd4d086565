package v2

import (
	"context"
	"errors"
	"fmt"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

var _ engine.Sink = (*RandomWriter)(nil)

// RandomWriter fills a new copy by positioned writes, in any order and
// from several goroutines, as a restore from a backup does: blocks go
// straight into the volume, and ranges never written stay holes (no
// cluster allocated). It does not hash: the caller verifies every block
// and the whole image and passes the verified checksum, and the manifest
// when it has one, to Commit.
//
// Prepare, Commit and Abort belong to one goroutine; WriteAt and Sync may
// be called from any, between Prepare and Commit.
type RandomWriter struct {
	d        *Disk
	id       CopyID
	name     string
	vol      *volstore.Volume
	limits   imagefmt.Limits
	finished bool
}

// CreateRandom starts a new copy filled by positioned writes. It fails
// with ErrExists when the copy is ready on the disk and with ErrBusy when it
// is being written (or an interrupted write's volume is still there). The
// volume is created by Prepare.
func (d *Disk) CreateRandom(id CopyID) (*RandomWriter, error) {
	name, err := d.claim(id)
	if err != nil {
		return nil, err
	}
	return &RandomWriter{d: d, id: id, name: name}, nil
}

// SetLimits sets the bounds Commit judges qcow2 content against (see
// imagefmt.Check); without it, a zero imagefmt.Limits (its defaults).
func (w *RandomWriter) SetLimits(l imagefmt.Limits) { w.limits = l }

// Prepare creates the copy's volume of size bytes, all holes. Called
// again, it starts over with an empty volume.
func (w *RandomWriter) Prepare(size int64) error {
	if w.finished {
		return fmt.Errorf("prepare copy %s: writer already finished", w.id)
	}
	if w.vol != nil {
		if err := w.d.discard(w.name); err != nil {
			return fmt.Errorf("prepare copy %s again: %w", w.id, err)
		}
		w.vol = nil
	}
	meta := copyMeta{id: w.id, sourceFormat: imagefmt.Raw}
	v, err := w.d.store.Create(w.name, size, meta.attrs(StateInProgress, ""))
	if err != nil {
		return fmt.Errorf("prepare copy %s on disk %s with %d bytes: %w", w.id, w.d.Path(), size, err)
	}
	w.vol = v
	return nil
}

// WriteAt writes p at off; safe for concurrent use. Whole 2 MiB-aligned
// blocks (a backup's blocks) are written fastest, and blocks of zeros
// allocate nothing.
func (w *RandomWriter) WriteAt(p []byte, off int64) (int, error) {
	if w.vol == nil {
		return 0, fmt.Errorf("write copy %s: Prepare was not called", w.id)
	}
	return w.vol.WriteAt(p, off)
}

// Sync makes everything written so far durable.
func (w *RandomWriter) Sync() error {
	if w.vol == nil {
		return fmt.Errorf("sync copy %s: Prepare was not called", w.id)
	}
	if err := w.vol.Sync(); err != nil {
		return fmt.Errorf("sync copy %s: %w", w.id, err)
	}
	return nil
}

// Commit makes the volume a ready, read-only copy whose checksum is
// checksum, which the caller has verified to be the SHA-512 of the content
// written, and whose manifest is m. With m nil, the manifest is built by
// reading the volume once (engine.Build), and the content must hash to
// checksum (ErrChecksumMismatch). checksum must not be empty. Content that is a qcow2
// image is refused: one that imagefmt.Check refuses under the limits with
// an error wrapping imagefmt.ErrRefused that says why; any other with
// ErrQcow2Content (a v2 copy holds raw content; Restore stages such a
// backup and converts it). On any error the volume is deleted.
func (w *RandomWriter) Commit(ctx context.Context, checksum string, m *engine.Manifest) (Config, error) {
	if w.finished {
		return Config{}, fmt.Errorf("commit copy %s: writer already finished", w.id)
	}
	cfg, err := w.commit(ctx, normalizeChecksum(checksum), m)
	if err != nil {
		return Config{}, errors.Join(err, w.Abort())
	}
	w.finished = true
	w.d.release(w.name)
	return cfg, nil
}

func (w *RandomWriter) commit(ctx context.Context, checksum string, m *engine.Manifest) (Config, error) {
	if w.vol == nil {
		return Config{}, fmt.Errorf("commit copy %s: Prepare was not called", w.id)
	}
	if checksum == "" {
		return Config{}, fmt.Errorf("commit copy %s: no checksum given; pass the verified SHA-512 of the content", w.id)
	}
	info, err := imagefmt.Check(w.vol, w.vol.Size(), w.limits)
	if err != nil {
		return Config{}, fmt.Errorf("commit copy %s: %w", w.id, err)
	}
	if info.Format == imagefmt.Qcow2 {
		return Config{}, fmt.Errorf("commit copy %s: %w, and a v2 copy holds raw content; "+
			"restore it to a file and convert that", w.id, ErrQcow2Content)
	}
	if m == nil {
		if m, err = engine.Build(ctx, newVolumeReader(w.vol, w.d.Path()), checksum, nil); err != nil {
			return Config{}, fmt.Errorf("commit copy %s: hash what was written: %w", w.id, err)
		}
	}
	if err := m.Validate(); err != nil {
		return Config{}, fmt.Errorf("commit copy %s: %w", w.id, err)
	}
	if m.Size != w.vol.Size() || m.Checksum != checksum {
		return Config{}, fmt.Errorf("commit copy %s: the manifest describes %d bytes hashing to %s, the copy is %d "+
			"bytes hashing to %s", w.id, m.Size, m.Checksum, w.vol.Size(), checksum)
	}
	return w.d.finalize(w.name, copyMeta{id: w.id, expectedChecksum: m.Checksum, sourceFormat: imagefmt.Raw}, m)
}

// Abort deletes the volume and frees its clusters. It is a no-op after a
// successful Commit, so `defer w.Abort()` is the intended pattern.
func (w *RandomWriter) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	defer w.d.release(w.name)
	if w.vol == nil {
		return nil
	}
	if err := w.d.discard(w.name); err != nil {
		return fmt.Errorf("abort copy %s: %w", w.id, err)
	}
	return nil
}
