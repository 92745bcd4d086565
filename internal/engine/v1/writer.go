package v1

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/plinth-storage/plinth/internal/engine"
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
	_ source.Sink   = (*Writer)(nil)
	_ engine.Filler = (*Writer)(nil)
	_ io.ReaderFrom = (*Writer)(nil)
)

// Writer fills one new copy sequentially. It hashes every byte as it
// arrives, the whole image and every block of its manifest (so Commit
// needs no second pass), leaves all-zero 4 KiB blocks as
// holes, and counts bytes for progress. Written may be called from any
// goroutine; all other methods belong to the one goroutine doing the work.
//
// Resuming: a Writer keeps its hash state, so a download that reconnects
// with `Range: bytes=<Written()>-` simply keeps writing. Reset starts over
// from byte zero. Across a process restart nothing is resumed: the temp file
// is removed by Cleanup (or the next Create) and the work starts again.
type Writer struct {
	disk     *Disk
	id       CopyID
	s        *staged
	pipe     *pipeline
	buf      []byte // being filled; full buffers go to pipe
	off      int64  // file offset of buf[0]: bytes submitted so far
	accepted atomic.Int64
	err      error // sticky write error; cleared by Reset
	limits   imagefmt.Limits
	finished bool
}

// Create starts a new copy filled in order (a download, an upload); the
// Filler is a *Writer. It clears what a crashed attempt left for id, fails
// with ErrExists if the copy is ready and with ErrBusy if another writer in
// this process fills it. Commit judges the image against limits.
func (d *Disk) Create(ctx context.Context, id CopyID, limits imagefmt.Limits) (engine.Filler, error) {
	return d.createWriter(id, limits)
}

func (d *Disk) createWriter(id CopyID, limits imagefmt.Limits) (*Writer, error) {
	s, err := d.stage(id)
	if err != nil {
		return nil, err
	}
	pipe := newPipeline(s.f, sha512.New())
	return &Writer{disk: d, id: id, s: s, pipe: pipe, buf: pipe.buffer(), limits: limits}, nil
}

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
	if err := w.s.f.Truncate(0); err != nil {
		return fmt.Errorf("reset copy %s: truncate %s: %w", w.id, w.s.tmp, err)
	}
	w.buf = w.buf[:0]
	w.off = 0
	w.accepted.Store(0)
	w.err = nil
	return nil
}

// Commit finishes the copy: it writes the buffered tail, sets the length,
// compares the SHA-512 with expected (skipped when empty; a difference is
// ErrChecksumMismatch), checks the image with imagefmt.Check (an unsafe or
// malformed qcow2 fails with an error wrapping imagefmt.ErrRefused that
// says why), and publishes the copy durably with its manifest and
// backing.cfg. On any error nothing is left (the copy is not made).
func (w *Writer) Commit(ctx context.Context, expected string) (engine.Record, error) {
	if w.finished {
		return engine.Record{}, fmt.Errorf("commit copy %s: writer already finished", w.id)
	}
	cfg, err := w.commit(ctx, strings.ToLower(strings.TrimSpace(expected)))
	w.finish()
	if err != nil {
		w.pipe.stop()
		w.s.drop()
		return engine.Record{}, err
	}
	return cfg.record(), nil
}

func (w *Writer) commit(ctx context.Context, expected string) (Config, error) {
	if len(w.buf) > 0 {
		w.submit()
	}
	if err := w.pipe.wait(); err != nil {
		return Config{}, fmt.Errorf("write copy %s on disk %s: %w", w.id, w.disk.path, err)
	}
	current := hex.EncodeToString(w.pipe.hash.Sum(nil))
	m := w.pipe.blocks.Finish(current)
	w.pipe.stop()
	if expected != "" && expected != current {
		return Config{}, fmt.Errorf("copy %s: %w: expected %s, got %s (the source's bytes differ; check the expected checksum or the source)",
			w.id, ErrChecksumMismatch, expected, current)
	}
	if err := ctx.Err(); err != nil {
		return Config{}, fmt.Errorf("commit copy %s: %w", w.id, err)
	}
	if err := w.s.f.Truncate(w.off); err != nil {
		return Config{}, fmt.Errorf("commit copy %s: set size: %w", w.id, err)
	}
	return w.s.publish(w.off, w.limits, expected, current, m)
}

// finish ends the Writer: later writes fail instead of reaching the
// stopped pipeline.
func (w *Writer) finish() {
	w.finished = true
	w.err = fmt.Errorf("write copy %s: the writer is already committed or aborted", w.id)
}

// Abort removes everything written (the temp file, and the copy's folder
// when nothing else is in it). It is a no-op after Commit, so
// `defer w.Abort()` is the intended pattern.
func (w *Writer) Abort() {
	if w.finished {
		return
	}
	w.finish()
	w.pipe.stop()
	w.s.drop()
}
