package v2

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// CopyFrom makes the copy id from src, raw content whose SHA-512 is
// checksum (a ready v1 copy opened with backupstore.OpenFileSource, or
// another disk's VolumeReader). It reads only src's data extents, allocates
// no cluster of zeros, and verifies the content against checksum (skipped
// when empty). A qcow2 src is refused: Import converts it. progress, if not
// nil, gets the bytes processed so far. On any error nothing is left on the
// disk.
func (d *Disk) CopyFrom(ctx context.Context, id CopyID, src backupstore.Source, checksum string,
	progress func(done int64)) (Config, error) {
	want := normalizeChecksum(checksum)
	return d.copyFrom(ctx, copyMeta{id: id, expectedChecksum: want, sourceFormat: imagefmt.Raw}, src, want, progress)
}

// CopySparse copies the ready copy id from disk src to disk dst, reading
// only its allocated clusters and verifying the new copy against the
// source's checksum. The new copy keeps the source's expected checksum and
// source format.
func CopySparse(ctx context.Context, src *Disk, id CopyID, dst *Disk, progress func(done int64)) (Config, error) {
	r, cfg, err := src.Open(id)
	if err != nil {
		return Config{}, err
	}
	defer r.Close()
	meta := copyMeta{id: id, expectedChecksum: cfg.ExpectedChecksum, sourceFormat: cfg.SourceFormat}
	return dst.copyFrom(ctx, meta, r, cfg.CurrentChecksum, progress)
}

func (d *Disk) copyFrom(ctx context.Context, meta copyMeta, src backupstore.Source, want string,
	progress func(int64)) (Config, error) {
	name, err := d.claim(meta.id)
	if err != nil {
		return Config{}, err
	}
	defer d.release(name)
	// Raw content is all a v2 copy holds; Check also refuses (with the
	// reason) a malformed or unsafe qcow2 before the message below.
	info, err := imagefmt.Check(src, src.Size(), imagefmt.Limits{})
	if err != nil {
		return Config{}, fmt.Errorf("copy %s to disk %s: %w", meta.id, d.Path(), err)
	}
	if info.Format == imagefmt.Qcow2 {
		return Config{}, fmt.Errorf("copy %s to disk %s: the source is a qcow2 image, and a v2 copy holds raw "+
			"content; Import its file instead, which converts it", meta.id, d.Path())
	}
	return d.fillCopy(ctx, name, src, meta, want, progress)
}
