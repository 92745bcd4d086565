package v2

import (
	"context"
	"fmt"
	"os"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Import makes the copy id from src, the path of a staged image file (what
// a download or an upload received, or a v1 copy's backing file), raw or
// qcow2. expectedChecksum, unless empty, must be the SHA-512 of src's bytes
// as they are (for a qcow2, of the qcow2 file). A qcow2 is converted to raw
// with `qemu-img convert` into a temp file next to src, removed afterwards;
// the copy holds raw content, and its checksum is the SHA-512 of that.
// The raw content is copied sparse-aware: src's holes are never read and
// clusters of zeros never allocated. progress, if not nil, gets the raw
// bytes processed so far. src is not changed. On any error nothing is left
// on the disk. It fails with ErrExists or ErrBusy as the copy's state says,
// and with an error wrapping imagefmt.ErrRefused (saying why) when src is a
// qcow2 that imagefmt.Check refuses under limits: qemu-img never sees it.
func (d *Disk) Import(ctx context.Context, id CopyID, src, expectedChecksum string, limits imagefmt.Limits,
	progress func(done int64)) (Config, error) {
	name, err := d.claim(id)
	if err != nil {
		return Config{}, err
	}
	defer d.release(name)
	staged, err := backupstore.OpenFileSource(src)
	if err != nil {
		return Config{}, fmt.Errorf("import copy %s: %w", id, err)
	}
	defer staged.Close()
	info, err := imagefmt.Check(staged, staged.Size(), limits)
	if err != nil {
		return Config{}, fmt.Errorf("import copy %s from %s: %w", id, src, err)
	}
	expected := normalizeChecksum(expectedChecksum)
	meta := copyMeta{id: id, expectedChecksum: expected, sourceFormat: info.Format}
	if info.Format != imagefmt.Qcow2 {
		// The raw bytes received are the content: one pass checks both.
		return d.fillCopy(ctx, name, staged, meta, expected, progress)
	}
	if expected != "" {
		sum, err := fill(ctx, staged, nil, d.store.ClusterSize(), nil)
		if err != nil {
			return Config{}, fmt.Errorf("import copy %s: hash %s: %w", id, src, err)
		}
		if sum != expected {
			return Config{}, fmt.Errorf("import copy %s: %w: expected %s, the qcow2 file received hashes to %s "+
				"(the source's bytes differ; check the expected checksum or the source)", id, ErrChecksumMismatch, expected, sum)
		}
	}
	raw, err := convertToRaw(ctx, src, info.VirtualSize)
	if err != nil {
		return Config{}, fmt.Errorf("import copy %s: %w", id, err)
	}
	defer os.Remove(raw)
	rawSrc, err := backupstore.OpenFileSource(raw)
	if err != nil {
		return Config{}, fmt.Errorf("import copy %s: %w", id, err)
	}
	defer rawSrc.Close()
	return d.fillCopy(ctx, name, rawSrc, meta, "", progress)
}
