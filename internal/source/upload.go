package source

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

var (
	// ErrBadUpload is a client mistake (HTTP 400): a malformed request, a
	// missing `chunk` field, a body whose length differs from `size`, or a
	// client that stopped sending.
	ErrBadUpload = errors.New("bad upload")
	// ErrUploadTooLarge means the upload exceeds the allowed size (HTTP 413).
	ErrUploadTooLarge = errors.New("upload too large")
	// ErrUploadIdle means the client sent nothing for the idle timeout
	// (HTTP 408).
	ErrUploadIdle = errors.New("upload idle")
	// ErrUnsupportedUpload means the content type is neither
	// multipart/form-data nor application/octet-stream (HTTP 415).
	ErrUnsupportedUpload = errors.New("unsupported upload content type")
)

// UploadField is the multipart form field that carries the image, as
// Longhorn's UI and API send it.
const UploadField = "chunk"

// UploadOptions limit an upload.
type UploadOptions struct {
	// MaxSize refuses uploads larger than this many bytes; 0 means no limit.
	MaxSize int64
	// IdleTimeout fails the upload when the client sends nothing for this
	// long; 0 means no limit beyond the server's own timeouts.
	IdleTimeout time.Duration
}

// ReadUpload streams an upload request's image into dst and returns the
// number of bytes written. It accepts Longhorn's multipart form (the image is
// field `chunk`; other fields before it are skipped) and a raw
// application/octet-stream body. The expected size is the `size` query
// parameter, or for a raw body its Content-Length; a different length is
// ErrBadUpload. Any length is accepted (not only multiples of 512). Nothing is
// buffered beyond what dst buffers: the multipart form is read part by
// part, never parsed into memory or temp files. A declared size over
// MaxSize is ErrUploadTooLarge before a byte is read, and a body that grows
// past it is cut off with the same error. A client that sends nothing for
// IdleTimeout (also while the form's headers are awaited) is ErrUploadIdle.
// w is used only to extend the connection's read deadline for IdleTimeout.
func ReadUpload(w http.ResponseWriter, r *http.Request, dst io.Writer, opts UploadOptions) (int64, error) {
	expected, err := expectedSize(r)
	if err != nil {
		return 0, err
	}
	if expected < 0 && isRaw(r) && r.ContentLength >= 0 {
		expected = r.ContentLength
	}
	if opts.MaxSize > 0 && expected > opts.MaxSize {
		return 0, fmt.Errorf("%w: size %d is over the limit of %d bytes", ErrUploadTooLarge, expected, opts.MaxSize)
	}
	src := &idleReader{r: r.Body, ctl: http.NewResponseController(w), idle: opts.IdleTimeout}
	if opts.IdleTimeout > 0 {
		defer src.ctl.SetReadDeadline(time.Time{})
	}
	body, err := uploadBody(r, src)
	if err != nil {
		return 0, src.explain(0, err)
	}
	reader := body
	switch {
	case expected >= 0:
		reader = io.LimitReader(body, expected+1) // one more byte reveals an overlong body
	case opts.MaxSize > 0:
		reader = io.LimitReader(body, opts.MaxSize+1)
	}
	n, err := io.Copy(dst, reader)
	if err != nil {
		if src.err != nil {
			return n, src.explain(n, err)
		}
		return n, fmt.Errorf("store upload after %d bytes: %w", n, err)
	}
	if src.err != nil && src.timedOut() {
		// The multipart layer may turn a read error into an early end.
		return n, src.explain(n, src.err)
	}
	return n, checkLength(n, expected, opts.MaxSize)
}

func checkLength(n, expected, maxSize int64) error {
	switch {
	case expected >= 0 && n > expected:
		return fmt.Errorf("%w: the body is longer than size=%d", ErrBadUpload, expected)
	case expected >= 0 && n < expected:
		return fmt.Errorf("%w: the body has %d bytes, size=%d was announced", ErrBadUpload, n, expected)
	case maxSize > 0 && n > maxSize:
		return fmt.Errorf("%w: the body is over the limit of %d bytes", ErrUploadTooLarge, maxSize)
	}
	return nil
}

// expectedSize reads the `size` query parameter; -1 when absent.
func expectedSize(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("size")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: size=%q is not a byte count", ErrBadUpload, v)
	}
	return n, nil
}

func isRaw(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt != "multipart/form-data"
}

// uploadBody returns the reader of the image's bytes: raw (the request's
// body) itself, or the `chunk` part of the multipart form read from raw.
func uploadBody(r *http.Request, raw io.Reader) (io.Reader, error) {
	ct := r.Header.Get("Content-Type")
	mt, params := "", map[string]string{}
	if ct != "" {
		var err error
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			return nil, fmt.Errorf("%w: Content-Type %q: %v", ErrBadUpload, ct, err)
		}
	}
	switch mt {
	case "", "application/octet-stream":
		return raw, nil
	case "multipart/form-data":
	default:
		return nil, fmt.Errorf("%w: %q (send multipart/form-data with field %q, or application/octet-stream)", ErrUnsupportedUpload, mt, UploadField)
	}
	if params["boundary"] == "" {
		return nil, fmt.Errorf("%w: the multipart Content-Type has no boundary", ErrBadUpload)
	}
	mr := multipart.NewReader(raw, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the form has no %q field", ErrBadUpload, UploadField)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: reading the form: %v", ErrBadUpload, err)
		}
		if part.FormName() == UploadField {
			return part, nil
		}
	}
}

// idleReader reads the request body, extending the connection's read
// deadline before every read, and remembers read errors, so they can be
// told from the sink's.
type idleReader struct {
	r    io.Reader
	ctl  *http.ResponseController
	idle time.Duration
	err  error
}

func (i *idleReader) Read(p []byte) (int, error) {
	if i.idle > 0 {
		// Unsupported by some ResponseWriters (test recorders): then the
		// server's own timeouts apply.
		_ = i.ctl.SetReadDeadline(time.Now().Add(i.idle))
	}
	n, err := i.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		i.err = err
	}
	return n, err
}

// timedOut reports whether the body's read deadline expired.
func (i *idleReader) timedOut() bool {
	var ne net.Error
	return i.err != nil && (errors.Is(i.err, os.ErrDeadlineExceeded) || errors.As(i.err, &ne) && ne.Timeout())
}

// explain turns err, met after n bytes, into ErrUploadIdle when the client
// went quiet, or ErrBadUpload when reading the request failed; other
// errors are returned as they are.
func (i *idleReader) explain(n int64, err error) error {
	switch {
	case i.timedOut():
		return fmt.Errorf("%w: the client sent nothing for %s after %d bytes; the partial upload was dropped", ErrUploadIdle, i.idle, n)
	case i.err != nil:
		return fmt.Errorf("%w: reading the request after %d bytes: %v", ErrBadUpload, n, i.err)
	}
	return err
}
