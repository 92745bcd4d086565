package v2

import (
	"context"
	"fmt"
	"os"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Import makes the copy id from src, the path of an image file, raw or
// qcow2. expectedChecksum, unless empty, must be the SHA-512 of src's bytes
// as they are (for a qcow2, of the qcow2 file). A qcow2 is converted to raw
// with `qemu-img convert` into the staging directory (removed afterwards);
// the copy holds raw content, and its checksum is the SHA-512 of that.
// The raw content is copied sparse-aware: src's holes are never read and
// clusters of zeros never allocated; its manifest is computed as it is
// written. progress, if not nil, gets the raw bytes processed so far. src
// is not changed. On any error nothing is left on the disk. It fails with
// ErrExists or ErrBusy as the copy's state says, and with an error wrapping
// imagefmt.ErrRefused (saying why) when src is a qcow2 that imagefmt.Check
// refuses under limits: qemu-img never sees it.
func (d *Disk) Import(ctx context.Context, id CopyID, src, expectedChecksum string, limits imagefmt.Limits,
	progress func(done int64)) (Config, error) {
	name, err := d.claim(id)
	if err != nil {
		return Config{}, err
	}
	defer d.release(name)
	expected := normalizeChecksum(expectedChecksum)
	return d.importFile(ctx, name, src, copyMeta{id: id, expectedChecksum: expected}, expected, nil, limits, progress)
}

// importFile makes the claimed copy volume name from the image file path.
// A raw file is copied (hashed unless known, its manifest, is given; the
// content must hash to want unless want is empty); a qcow2 is judged,
// converted and copied with hashing, and want, if given, must be the
// qcow2 file's SHA-512 (checked before the conversion). meta's source
// format is set from the file.
func (d *Disk) importFile(ctx context.Context, name, path string, meta copyMeta, want string, known *engine.Manifest,
	limits imagefmt.Limits, progress func(int64)) (Config, error) {
	staged, err := openFileSource(path)
	if err != nil {
		return Config{}, fmt.Errorf("import copy %s: %w", meta.id, err)
	}
	defer staged.Close()
	info, err := imagefmt.Check(staged, staged.Size(), limits)
	if err != nil {
		return Config{}, fmt.Errorf("import copy %s from %s: %w", meta.id, path, err)
	}
	meta.sourceFormat = info.Format
	if info.Format != imagefmt.Qcow2 {
		// The raw bytes received are the content: one pass checks both.
		return d.fillCopy(ctx, name, staged, meta, want, known, progress)
	}
	if want != "" {
		m, err := fill(ctx, staged, nil, d.store.ClusterSize(), true, nil)
		if err != nil {
			return Config{}, fmt.Errorf("import copy %s: hash %s: %w", meta.id, path, err)
		}
		if m.Checksum != want {
			return Config{}, fmt.Errorf("import copy %s: %w: expected %s, the qcow2 file received hashes to %s "+
				"(the source's bytes differ; check the expected checksum or the source)", meta.id, ErrChecksumMismatch, want, m.Checksum)
		}
	}
	return d.importQcow2(ctx, name, path, info.VirtualSize, meta, progress)
}

// importQcow2 converts the judged qcow2 file path to raw in the staging
// directory and copies that into the claimed volume name, hashing it.
func (d *Disk) importQcow2(ctx context.Context, name, path string, virtualSize int64, meta copyMeta,
	progress func(int64)) (Config, error) {
	raw := d.stagePath(name, convertedSuffix)
	if err := convertToRaw(ctx, path, raw, virtualSize); err != nil {
		return Config{}, fmt.Errorf("import copy %s: %w", meta.id, err)
	}
	defer os.Remove(raw)
	rawSrc, err := openFileSource(raw)
	if err != nil {
		return Config{}, fmt.Errorf("import copy %s: %w", meta.id, err)
	}
	defer rawSrc.Close()
	meta.sourceFormat = imagefmt.Qcow2
	return d.fillCopy(ctx, name, rawSrc, meta, "", nil, progress)
}
