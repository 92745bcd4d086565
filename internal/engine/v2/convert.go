package v2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// noDataFileMsg is what qemu-img says when a data-file is given for a
// qcow2 image that has no external data file.
const noDataFileMsg = "'data-file' can only be set for images with an external data file"

// qcow2Spec is the qemu-img image argument that opens src as a qcow2 with
// the file driver and nothing else. Import runs imagefmt.Check first; this
// is the second line of defence, which holds even if that check were
// wrong: a plain filename would let the image's header make qemu-img open
// other files (a backing file, an external data file, a "json:" or
// protocol name in either). So the image is given as a json: spec with
// "backing": null (no backing file is ever opened) and the image file
// itself named through the "file" driver (no protocol prefix is parsed).
// An external data file cannot be switched off that way: when nullData is
// true, the spec gives a null-co data file instead of the one the header
// names; qemu-img refuses that for an image without a data file, which
// is how probeDataFile tells the two apart.
func qcow2Spec(src string, nullData bool) string {
	spec := map[string]any{
		"driver":  "qcow2",
		"backing": nil,
		"file":    map[string]any{"driver": "file", "filename": src},
	}
	if nullData {
		spec["data-file"] = map[string]any{"driver": "null-co", "read-zeroes": true}
	}
	b, err := json.Marshal(spec)
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return "json:" + string(b)
}

// probeDataFile asks qemu-img itself whether src has an external data
// file, without letting it open one: `qemu-img map` with a null-co data
// file succeeds only for an image that has one (which is refused), and
// fails with noDataFileMsg for one that has not (which may be converted).
// Any other failure is qemu-img's verdict that the image is unusable.
func probeDataFile(ctx context.Context, bin, src string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "map", "--output=json", qcow2Spec(src, true))
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := cmd.Run()
	switch {
	case err == nil:
		return fmt.Errorf("qemu-img reports that the qcow2 image names an external data file; plinth refuses "+
			"images that make qemu-img open other files: convert it to a standalone image with "+
			"qemu-img convert -O qcow2: %w", imagefmt.ErrRefused)
	case ctx.Err() != nil:
		return ctx.Err()
	case strings.Contains(stderr.String(), noDataFileMsg):
		return nil
	}
	return fmt.Errorf("qemu-img cannot open the qcow2 image: %s: %w", lastLine(stderr.String()), imagefmt.ErrRefused)
}

// convertToRaw runs `qemu-img convert -O raw` on the qcow2 file src into
// dst (a staged file, replaced if present; the caller removes it).
// qemu-img opens src and the output and nothing else (see qcow2Spec): an
// image naming an external data file is refused with an error wrapping
// imagefmt.ErrRefused, a backing file is never opened.
func convertToRaw(ctx context.Context, src, dst string, virtualSize int64) error {
	bin, err := exec.LookPath("qemu-img")
	if err != nil {
		return fmt.Errorf("convert qcow2 image %s to raw for data engine v2: %w: install it "+
			"(Debian/Ubuntu: apt-get install qemu-utils)", src, ErrQemuImgMissing)
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("convert qcow2 image %s to raw: %w", src, err)
	}
	if err := probeDataFile(ctx, bin, abs); err != nil {
		return fmt.Errorf("convert qcow2 image %s to raw: %w", src, err)
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("convert qcow2 image %s to raw: %w", src, err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "convert", "-q", "-O", "raw", qcow2Spec(abs, false), dst)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		os.Remove(dst)
		if ctx.Err() != nil {
			return fmt.Errorf("convert qcow2 image %s to raw: %w", src, ctx.Err())
		}
		return fmt.Errorf("convert qcow2 image %s to raw: qemu-img convert: %w: %s", src, err, lastLine(stderr.String()))
	}
	fi, err := os.Stat(dst)
	if err == nil && fi.Size() != virtualSize {
		err = fmt.Errorf("qemu-img wrote %d bytes, but the qcow2 header says the image is %d", fi.Size(), virtualSize)
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("convert qcow2 image %s to raw: %w", src, err)
	}
	return nil
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
