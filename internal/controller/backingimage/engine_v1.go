package backingimage

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/controller/node"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// v1Engine keeps copies as sparse files on a filesystem disk.
type v1Engine struct {
	disk   *v1.Disk
	limits func(context.Context) imagefmt.Limits
}

var _ engine = (*v1Engine)(nil)

func v1Result(cfg v1.Config) copyResult {
	return copyResult{Checksum: cfg.CurrentChecksum, Size: cfg.Size, VirtualSize: cfg.VirtualSize, Format: string(cfg.Format)}
}

func (e *v1Engine) present(id v1.CopyID) error {
	_, err := os.Stat(e.disk.BackingPath(id))
	return err
}

func (e *v1Engine) remove(id v1.CopyID) error { return e.disk.Remove(id) }

func (e *v1Engine) begin(ctx context.Context, id v1.CopyID) (filler, error) {
	w, err := e.disk.Create(id)
	if errors.Is(err, v1.ErrBusy) {
		// A temp file left by a crash: nothing else writes this copy.
		if _, cerr := e.disk.CleanupTemp(); cerr == nil {
			w, err = e.disk.Create(id)
		}
	}
	if err != nil {
		return nil, err
	}
	w.SetLimits(e.limits(ctx))
	return &v1Filler{w: w}, nil
}

func (e *v1Engine) verify(ctx context.Context, id v1.CopyID) (copyResult, error) {
	cfg, err := e.disk.Verify(ctx, id)
	return v1Result(cfg), err
}

func (e *v1Engine) replicate(ctx context.Context, src node.DiskRef, id v1.CopyID, progress func(int64)) (copyResult, error) {
	if src.Disk == nil {
		return copyResult{}, fmt.Errorf("a v1 copy can only be copied from another filesystem disk")
	}
	cfg, err := v1.CopySparse(ctx, src.Disk, id, e.disk, e.limits(ctx), progress)
	return v1Result(cfg), err
}

func (e *v1Engine) restore(ctx context.Context, r Restorer, params map[string]string, id v1.CopyID, progress func(done, total int64)) (copyResult, error) {
	_ = e.disk.Remove(id) // a partial restore left by a crash starts over
	w, err := e.disk.CreateRandom(id)
	if err != nil {
		return copyResult{}, err
	}
	defer w.Abort()
	w.SetLimits(e.limits(ctx))
	sum, err := r.Restore(ctx, params, w, progress)
	if err != nil {
		return copyResult{}, err
	}
	cfg, err := w.Commit(sum)
	return v1Result(cfg), err
}

func (e *v1Engine) open(id v1.CopyID) (CopyReader, error) {
	f, _, err := e.disk.Open(id)
	if err != nil {
		return nil, err
	}
	src, err := backupstore.OpenFileSource(e.disk.BackingPath(id))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &v1Reader{f: f, src: src}, nil
}

// v1Reader reads a v1 copy: the file for bytes and seeking, the backup
// source for its size and data extents.
type v1Reader struct {
	f   *os.File
	src *backupstore.FileSource
}

func (r *v1Reader) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (r *v1Reader) Read(p []byte) (int, error)              { return r.f.Read(p) }
func (r *v1Reader) Seek(off int64, whence int) (int64, error) {
	return r.f.Seek(off, whence)
}
func (r *v1Reader) Size() int64 { return r.src.Size() }
func (r *v1Reader) DataExtents(ctx context.Context) ([]backupstore.Extent, error) {
	return r.src.DataExtents(ctx)
}
func (r *v1Reader) Close() error { return errors.Join(r.f.Close(), r.src.Close()) }

// v1Filler fills a v1 copy through a Writer.
type v1Filler struct{ w *v1.Writer }

func (f *v1Filler) Write(p []byte) (int, error) { return f.w.Write(p) }
func (f *v1Filler) Written() int64              { return f.w.Written() }
func (f *v1Filler) Reset() error                { return f.w.Reset() }
func (f *v1Filler) abort()                      { _ = f.w.Abort() }
func (f *v1Filler) commit(_ context.Context, expected string) (copyResult, error) {
	cfg, err := f.w.Commit(expected)
	return v1Result(cfg), err
}
