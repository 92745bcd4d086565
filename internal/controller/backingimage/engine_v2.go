package backingimage

import (
	"context"
	"errors"
	"fmt"

	"github.com/plinth-storage/plinth/internal/controller/node"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
	v2 "github.com/plinth-storage/plinth/internal/engine/v2"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// v2Engine keeps copies as read-only volumes on a block disk. Sequential
// sources (download, upload) are staged as a file on the stage disk first:
// the bytes received are checked against expectedChecksum there, qcow2 is
// converted to raw, and the raw content is imported sparse-aware. Restores
// write straight into the volume.
type v2Engine struct {
	disk   *v2.Disk
	stage  *v1.Disk
	limits func(context.Context) imagefmt.Limits
}

var _ engine = (*v2Engine)(nil)

func v2Result(cfg v2.Config) copyResult {
	return copyResult{Checksum: cfg.CurrentChecksum, Size: cfg.Size, VirtualSize: cfg.VirtualSize, Format: string(cfg.Format)}
}

func (e *v2Engine) present(id v1.CopyID) error {
	r, _, err := e.disk.Open(id)
	if err != nil {
		return err
	}
	return r.Close()
}

func (e *v2Engine) remove(id v1.CopyID) error {
	err := e.disk.Remove(id)
	if e.stage != nil {
		_ = e.stage.Remove(id)
	}
	return err
}

func (e *v2Engine) begin(ctx context.Context, id v1.CopyID) (filler, error) {
	if err := e.present(id); err == nil {
		return nil, fmt.Errorf("copy %s: %w", id, v1.ErrExists)
	}
	_ = e.disk.Remove(id) // an incomplete volume left by a crash
	_ = e.stage.Remove(id)
	w, err := e.stage.Create(id)
	if errors.Is(err, v1.ErrBusy) {
		if _, cerr := e.stage.CleanupTemp(); cerr == nil {
			w, err = e.stage.Create(id)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("stage copy %s: %w", id, err)
	}
	limits := e.limits(ctx)
	w.SetLimits(limits) // the staged file is judged before qemu-img sees it
	return &v2Filler{w: w, e: e, id: id, limits: limits}, nil
}

func (e *v2Engine) verify(ctx context.Context, id v1.CopyID) (copyResult, error) {
	cfg, err := e.disk.Verify(ctx, id)
	return v2Result(cfg), err
}

func (e *v2Engine) replicate(ctx context.Context, src node.DiskRef, id v1.CopyID, progress func(int64)) (copyResult, error) {
	if src.Block != nil {
		cfg, err := v2.CopySparse(ctx, src.Block, id, e.disk, progress)
		return v2Result(cfg), err
	}
	cfg, err := e.disk.Import(ctx, id, src.Disk.BackingPath(id), "", e.limits(ctx), progress)
	return v2Result(cfg), err
}

// restore writes the backup straight into a volume. A backup of a qcow2
// image cannot be a raw volume as it is: it is restored to a staged file
// (verified against the backup's checksum and judged by imagefmt.Check) and
// imported, which converts it. A backup whose first block already shows
// an image plinth refuses fails before anything is written.
func (e *v2Engine) restore(ctx context.Context, r Restorer, params map[string]string, id v1.CopyID, progress func(done, total int64)) (copyResult, error) {
	_ = e.remove(id)
	f, err := r.Format(ctx, params)
	if errors.Is(err, imagefmt.ErrRefused) {
		return copyResult{}, err
	}
	if err == nil && f == imagefmt.Qcow2 {
		return e.restoreStaged(ctx, r, params, id, progress)
	}
	w, err := e.disk.CreateRandom(id)
	if err != nil {
		return copyResult{}, err
	}
	w.SetLimits(e.limits(ctx))
	sum, err := r.Restore(ctx, params, w, progress)
	if err != nil {
		_ = w.Abort()
		return copyResult{}, err
	}
	cfg, err := w.Commit(sum)
	if !errors.Is(err, v2.ErrQcow2Content) {
		return v2Result(cfg), err
	}
	return e.restoreStaged(ctx, r, params, id, progress)
}

func (e *v2Engine) restoreStaged(ctx context.Context, r Restorer, params map[string]string, id v1.CopyID, progress func(done, total int64)) (copyResult, error) {
	sw, err := e.stage.CreateRandom(id)
	if err != nil {
		return copyResult{}, err
	}
	defer e.stage.Remove(id)
	limits := e.limits(ctx)
	sw.SetLimits(limits)
	sum, err := r.Restore(ctx, params, sw, progress)
	if err != nil {
		_ = sw.Abort()
		return copyResult{}, err
	}
	if _, err := sw.Commit(sum); err != nil {
		return copyResult{}, err
	}
	cfg, err := e.disk.Import(ctx, id, e.stage.BackingPath(id), sum, limits, nil)
	return v2Result(cfg), err
}

func (e *v2Engine) open(id v1.CopyID) (CopyReader, error) {
	r, _, err := e.disk.Open(id)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// v2Filler stages the bytes in a v1 Writer and imports them on commit.
type v2Filler struct {
	w      *v1.Writer
	e      *v2Engine
	id     v1.CopyID
	limits imagefmt.Limits
}

func (f *v2Filler) Write(p []byte) (int, error) { return f.w.Write(p) }
func (f *v2Filler) Written() int64              { return f.w.Written() }
func (f *v2Filler) Reset() error                { return f.w.Reset() }
func (f *v2Filler) abort()                      { _ = f.w.Abort(); _ = f.e.stage.Remove(f.id) }

func (f *v2Filler) commit(ctx context.Context, expected string) (copyResult, error) {
	defer f.e.stage.Remove(f.id)
	if _, err := f.w.Commit(expected); err != nil {
		return copyResult{}, err
	}
	cfg, err := f.e.disk.Import(ctx, f.id, f.e.stage.BackingPath(f.id), expected, f.limits, nil)
	return v2Result(cfg), err
}
