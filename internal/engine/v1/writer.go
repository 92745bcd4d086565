package v1

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/source"
)

const (
	// holeBlock is the zero-detection granularity: an all-zero block at an
	// aligned offset is skipped (left as a hole) instead of written.
	holeBlock = 4096
	// bufferSize is how much a Writer batches before hashing and writing;
	// a multiple of holeBlock, so batches stay block-aligned in the file.
	bufferSize = 1 << 20
)

var zeroBlock = make([]byte, holeBlock)

var (
	// ErrExists means the copy is already on the disk (ready or committed).
	ErrExists = errors.New("copy already exists")
	// ErrBusy means another Writer holds the copy's temp file.
	ErrBusy = errors.New("copy is being written")
	// ErrChecksumMismatch means the bytes written do not hash to the
	// expected SHA-512.
	ErrChecksumMismatch = errors.New("checksum mismatch")
)

var _ source.Sink = (*Writer)(nil)
var _ io.ReaderFrom = (*Writer)(nil)

// Writer fills one new copy sequentially. It hashes every byte as it
// arrives (so Commit needs no second pass), leaves all-zero 4 KiB blocks as
// holes, and counts bytes for progress. Written may be called from any
// goroutine; all other methods belong to the one goroutine doing the work.
//
// Resuming: a Writer keeps its hash state, so a download that reconnects
// with `Range: bytes=<Written()>-` simply keeps writing. Reset starts over
// from byte zero. Across a process restart nothing is resumed: the temp file
// is removed by CleanupTemp and the work starts again.
type Writer struct {
	disk     *Disk
	id       CopyID
	dir      string
	tmp      string
	f        *os.File
	pipe     *pipeline
	buf      []byte // being filled; full buffers go to pipe
	off      int64  // file offset of buf[0]: bytes submitted so far
	accepted atomic.Int64
	err      error // sticky write error; cleared by Reset
	limits   imagefmt.Limits
	finished bool
}

// Create starts a new copy on the disk. It fails with ErrExists if the copy
// is already there and with ErrBusy if its temp file exists (another Writer,
// or a crash that CleanupTemp has not cleaned yet).
func (d *Disk) Create(id CopyID) (*Writer, error) {
	dir, tmp, f, err := d.startCopy(id)
	if err != nil {
		return nil, err
	}
	pipe := newPipeline(f, sha512.New())
	return &Writer{disk: d, id: id, dir: dir, tmp: tmp, f: f, pipe: pipe, buf: pipe.buffer()}, nil
}

// startCopy validates id, refuses an existing copy (ErrExists) or a live
// temp file (ErrBusy), and creates the copy's temp file exclusively.
func (d *Disk) startCopy(id CopyID) (dir, tmp string, f *os.File, err error) {
	if err := id.Validate(); err != nil {
		return "", "", nil, err
	}
	dir = d.CopyDir(id)
	if _, err := os.Stat(filepath.Join(dir, BackingName)); err == nil {
		return "", "", nil, fmt.Errorf("create copy %s on disk %s: %w", id, d.path, ErrExists)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", nil, fmt.Errorf("create copy %s: %w", id, err)
	}
	tmp = filepath.Join(dir, TempName)
	f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, fs.ErrExist) {
		return "", "", nil, fmt.Errorf("create copy %s on disk %s: %s exists: %w", id, d.path, tmp, ErrBusy)
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("create copy %s: %w", id, err)
	}
	return dir, tmp, f, nil
}

// SetLimits sets the bounds Commit judges the image against (see
// imagefmt.Check); without it, a zero imagefmt.Limits (its defaults).
func (w *Writer) SetLimits(l imagefmt.Limits) { w.limits = l }

// Written is the number of bytes accepted so far (for progress and for the
// offset a resumed download asks for).
func (w *Writer) Written() int64 { return w.accepted.Load() }

// Write accepts the next bytes of the image. It copies p (p is never kept).
func (w *Writer) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if w.err != nil {
			return total - len(p), w.err
		}
		n := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+n]
		w.accepted.Add(int64(n))
		p = p[n:]
		w.flushFull()
	}
	return total, w.err
}

// ReadFrom reads r to its end straight into the Writer's buffer. A read
// error is returned as is (the bytes before it stay accepted).
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if w.err != nil {
			return total, w.err
		}
		n, err := r.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+n]
		w.accepted.Add(int64(n))
		total += int64(n)
		w.flushFull()
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// flushFull hands a full buffer to the pipeline and takes an empty one.
func (w *Writer) flushFull() {
	if len(w.buf) == cap(w.buf) {
		w.submit()
	}
}

// submit hands the current buffer (possibly partial, at the end) to the
// pipeline. Buffers are submitted whole, so every one but the last starts
// at a holeBlock-aligned offset.
func (w *Writer) submit() {
	n := int64(len(w.buf))
	if err := w.pipe.submit(w.buf, w.off); err != nil {
		w.err = fmt.Errorf("write copy %s on disk %s: %w", w.id, w.disk.path, err)
	}
	w.off += n
	w.buf = w.pipe.buffer()
}

// writeSparse writes data at off, one WriteAt per run of blocks that are
// not all zero. off must be holeBlock-aligned for holes to be whole blocks.
func writeSparse(f *os.File, data []byte, off int64) error {
	start := -1 // start of the current non-zero run, or -1
	for i := 0; i < len(data); i += holeBlock {
		end := min(i+holeBlock, len(data))
		zero := bytes.Equal(data[i:end], zeroBlock[:end-i])
		if !zero && start < 0 {
			start = i
		}
		if zero && start >= 0 {
			if _, err := f.WriteAt(data[start:i], off+int64(start)); err != nil {
				return err
			}
			start = -1
		}
	}
	if start >= 0 {
		if _, err := f.WriteAt(data[start:], off+int64(start)); err != nil {
			return err
		}
	}
	return nil
}

// Reset discards everything written and starts the copy again from byte
// zero (a download whose server cannot resume).
func (w *Writer) Reset() error {
	if w.finished {
		return fmt.Errorf("reset copy %s: writer already finished", w.id)
	}
	w.pipe.restart()
	if err := w.f.Truncate(0); err != nil {
		return fmt.Errorf("reset copy %s: truncate %s: %w", w.id, w.tmp, err)
	}
	w.buf = w.buf[:0]
	w.off = 0
	w.accepted.Store(0)
	w.err = nil
	return nil
}

// Commit finishes the copy: it writes the buffered tail, sets the length,
// fsyncs, compares the SHA-512 with expectedChecksum (skipped when empty),
// checks the image with imagefmt.Check (an unsafe or malformed qcow2 fails
// with an error wrapping imagefmt.ErrRefused that says why), writes
// backing.cfg durably and renames the temp file to `backing`. On any error
// the temp file is removed (the copy is not made).
func (w *Writer) Commit(expectedChecksum string) (Config, error) {
	if w.finished {
		return Config{}, fmt.Errorf("commit copy %s: writer already finished", w.id)
	}
	cfg, err := w.commit(strings.ToLower(strings.TrimSpace(expectedChecksum)))
	if err != nil {
		w.Abort()
		return Config{}, err
	}
	w.finished = true
	return cfg, nil
}

func (w *Writer) commit(expected string) (Config, error) {
	if len(w.buf) > 0 {
		w.submit()
	}
	if err := w.pipe.wait(); err != nil {
		return Config{}, fmt.Errorf("write copy %s on disk %s: %w", w.id, w.disk.path, err)
	}
	w.pipe.stop()
	current := hex.EncodeToString(w.pipe.hash.Sum(nil))
	if expected != "" && expected != current {
		return Config{}, fmt.Errorf("copy %s: %w: expected %s, got %s (the source's bytes differ; check the expected checksum or the source)",
			w.id, ErrChecksumMismatch, expected, current)
	}
	if err := w.f.Truncate(w.off); err != nil {
		return Config{}, fmt.Errorf("commit copy %s: set size: %w", w.id, err)
	}
	f := w.f
	w.f = nil // sealCopy closes it
	return w.disk.sealCopy(w.id, w.dir, w.tmp, f, w.off, w.limits, expected, current)
}

// sealCopy finishes a filled temp file: check the image (format, and for a
// qcow2 everything imagefmt.Check judges), fsync, close, and publish it
// with a cfg recording the checksums. It always closes f.
func (d *Disk) sealCopy(id CopyID, dir, tmp string, f *os.File, size int64, limits imagefmt.Limits,
	expected, current string) (Config, error) {
	info, err := imagefmt.Check(f, size, limits)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Config{}, fmt.Errorf("commit copy %s: %w", id, err)
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return Config{}, fmt.Errorf("commit copy %s: %w", id, err)
	}
	facts := statFacts(fi)
	cfg := Config{
		Name: d.BackingPath(id), UUID: id.UUID,
		Size: facts.size, VirtualSize: info.VirtualSize, RealSize: facts.realSize,
		ExpectedChecksum: expected, CurrentChecksum: current, ModificationTime: facts.mtime,
		BackingImage: id.Name, Format: info.Format,
	}
	return cfg, publishCopy(id, dir, tmp, cfg)
}

// publishCopy makes a filled temp file the copy: cfg first, then the
// rename, then the directory syncs, so a `backing` file never exists
// without its cfg.
func publishCopy(id CopyID, dir, tmp string, cfg Config) error {
	if err := writeConfig(dir, cfg); err != nil {
		return fmt.Errorf("commit copy %s: %w", id, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, BackingName)); err != nil {
		os.Remove(filepath.Join(dir, ConfigName))
		return fmt.Errorf("commit copy %s: rename: %w", id, err)
	}
	err := syncDir(dir)
	if err == nil {
		err = syncDir(filepath.Dir(dir))
	}
	if err != nil {
		// The copy is visible but not durable; remove it rather than
		// report a failure and leave a copy behind.
		os.RemoveAll(dir)
		return fmt.Errorf("commit copy %s: %w", id, err)
	}
	return nil
}

// Abort removes the temp file (and the copy's folder if nothing else is in
// it). It is a no-op after a successful Commit, so `defer w.Abort()` is the
// intended pattern.
func (w *Writer) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	w.pipe.stop()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort copy %s: %w", w.id, err)
	}
	os.Remove(w.dir) // only succeeds when empty; a ready copy's folder stays
	return nil
}
