package v2

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

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
// on the disk. It fails with ErrExists or ErrBusy as the copy's state says.
func (d *Disk) Import(ctx context.Context, id CopyID, src, expectedChecksum string, progress func(done int64)) (Config, error) {
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
	info, err := imagefmt.DetectReader(staged, staged.Size())
	if err != nil {
		return Config{}, fmt.Errorf("import copy %s from %s: %w", id, src, err)
	}
	expected := normalizeChecksum(expectedChecksum)
	meta := copyMeta{id: id, expectedChecksum: expected, sourceFormat: info.Format}
	if info.Format != imagefmt.Qcow2 {
		// The raw bytes received are the content: one pass checks both.
		return d.fillCopy(ctx, name, staged, meta, expected, progress)
	}
	if info.HasBackingFile {
		return Config{}, fmt.Errorf("import copy %s: the qcow2 image %s refers to a backing file, so it is not "+
			"complete on its own; flatten it first (qemu-img convert -O qcow2 without -B)", id, src)
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

// convertToRaw runs `qemu-img convert -O raw` on the qcow2 file src into a
// new temp file next to it (named "*.tmp", so data engine v1's CleanupTemp
// removes one a crash leaves in a copy folder) and returns its path. The
// caller removes it.
func convertToRaw(ctx context.Context, src string, virtualSize int64) (string, error) {
	bin, err := exec.LookPath("qemu-img")
	if err != nil {
		return "", fmt.Errorf("convert qcow2 image %s to raw for data engine v2: %w: install it "+
			"(Debian/Ubuntu: apt-get install qemu-utils)", src, ErrQemuImgMissing)
	}
	tmp, err := os.CreateTemp(filepath.Dir(src), "."+filepath.Base(src)+".*.raw.tmp")
	if err != nil {
		return "", fmt.Errorf("convert qcow2 image %s to raw: %w", src, err)
	}
	tmp.Close()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "convert", "-q", "-f", "qcow2", "-O", "raw", src, tmp.Name())
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp.Name())
		if ctx.Err() != nil {
			return "", fmt.Errorf("convert qcow2 image %s to raw: %w", src, ctx.Err())
		}
		return "", fmt.Errorf("convert qcow2 image %s to raw: qemu-img convert: %w: %s", src, err, lastLine(stderr.String()))
	}
	fi, err := os.Stat(tmp.Name())
	if err == nil && fi.Size() != virtualSize {
		err = fmt.Errorf("qemu-img wrote %d bytes, but the qcow2 header says the image is %d", fi.Size(), virtualSize)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("convert qcow2 image %s to raw: %w", src, err)
	}
	return tmp.Name(), nil
}

// lastLine is the last non-empty line of a tool's output, capped, for an
// error message.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	line := strings.TrimSpace(lines[len(lines)-1])
	if len(line) > 300 {
		line = line[:300] + "..."
	}
	if line == "" {
		return "no error output"
	}
	return line
}
