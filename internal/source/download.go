package source

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Options tune a Download. The zero value is the safe default.
type Options struct {
	// AllowPrivate lets downloads reach loopback and this host's own
	// addresses. Link-local, multicast and unspecified stay refused.
	AllowPrivate bool
	// StallTimeout fails an attempt when no byte arrives for this long
	// (connect, headers or body). Default 30 s.
	StallTimeout time.Duration
	// Attempts is the number of tries before giving up. Default 6.
	Attempts int
	// Backoff is the wait before the first retry; it doubles up to
	// MaxBackoff. Defaults 1 s and 1 min.
	Backoff, MaxBackoff time.Duration
	// Progress, if set, is called from the downloading goroutine after every
	// read with the bytes received so far and the total (-1 if unknown).
	// It must be cheap.
	Progress func(done, total int64)
	// TLSConfig, if set, replaces the default (system roots), for a
	// private CA.
	TLSConfig *tls.Config
	// MaxSize, if positive, refuses an image larger than this many bytes:
	// a Content-Length over it fails before a byte is stored, and a body
	// that grows past it is cut off. Both are ErrDownloadTooLarge, never
	// retried.
	MaxSize int64
}

// ErrDownloadTooLarge means the image is larger than Options.MaxSize.
var ErrDownloadTooLarge = errors.New("image too large")

func (o Options) withDefaults() Options {
	if o.StallTimeout <= 0 {
		o.StallTimeout = 30 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.Progress == nil {
		o.Progress = func(int64, int64) {}
	}
	return o
}

// Result describes a finished download.
type Result struct {
	// Size is the number of bytes written to the sink.
	Size int64
	// Attempts is how many requests it took; Resumes how many of them
	// continued with a Range request instead of starting over.
	Attempts, Resumes int
}

// Download copies rawURL into dst. It follows redirects, refuses forbidden
// addresses at connect time, retries transient failures (network errors,
// early end of body, stalls, 408/429/5xx) with exponential backoff, and
// resumes with `Range: bytes=N-` (N = dst.Written()) when the server
// advertised byte ranges; otherwise, and whenever the server answers a range
// request with the whole body, it calls dst.Reset and starts over.
// A server that sends fewer bytes than its Content-Length is a transient
// error. Errors name the URL without user info or query.
func Download(ctx context.Context, rawURL string, dst Sink, opts Options) (Result, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return Result{}, err
	}
	opts = opts.withDefaults()
	d := &download{
		url: u, dst: dst, opts: opts, total: -1,
		client: newClient(newPolicy(opts.AllowPrivate), opts.TLSConfig, opts.StallTimeout),
	}
	defer d.client.CloseIdleConnections()
	return d.run(ctx)
}

type download struct {
	url    *url.URL
	dst    Sink
	opts   Options
	client *http.Client
	result Result
	total  int64
	// ranges is true once the server said it serves byte ranges;
	// validator is its ETag or Last-Modified, sent as If-Range.
	ranges    bool
	validator string
}

func (d *download) run(ctx context.Context) (Result, error) {
	wait := d.opts.Backoff
	for {
		d.result.Attempts++
		err := d.attempt(ctx)
		if err == nil {
			d.result.Size = d.dst.Written()
			return d.result, nil
		}
		if ctx.Err() != nil {
			return d.result, fmt.Errorf("download %s: %w", Redact(d.url), ctx.Err())
		}
		if !transient(err) || d.result.Attempts >= d.opts.Attempts {
			return d.result, fmt.Errorf("download %s (attempt %d of %d): %w", Redact(d.url), d.result.Attempts, d.opts.Attempts, err)
		}
		select {
		case <-ctx.Done():
			return d.result, fmt.Errorf("download %s: %w", Redact(d.url), ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, d.opts.MaxBackoff)
	}
}

// attempt makes one request and copies its body into the sink.
func (d *download) attempt(ctx context.Context) error {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch := newStallWatch(d.opts.StallTimeout, cancel)
	defer watch.stop()

	offset, err := d.prepareOffset()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(actx, http.MethodGet, d.url.String(), nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidURL, stripURLError(err))
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		if d.validator != "" {
			req.Header.Set("If-Range", d.validator)
		}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return &sourceError{err: watch.explain(stripURLError(err))}
	}
	defer resp.Body.Close()
	if err := d.accept(resp, offset); err != nil {
		return err
	}
	if err := d.checkSize(d.total, true); err != nil {
		return err
	}
	done := d.dst.Written()
	body := io.Reader(&bodyReader{body: resp.Body, watch: watch, progress: func(n int) {
		done += int64(n)
		d.opts.Progress(done, d.total)
	}})
	if d.opts.MaxSize > 0 {
		body = io.LimitReader(body, d.opts.MaxSize-done+1) // one more byte reveals an oversized body
	}
	if _, err := io.Copy(d.dst, body); err != nil {
		return err
	}
	if err := d.checkSize(d.dst.Written(), false); err != nil {
		return err
	}
	if d.total >= 0 && d.dst.Written() != d.total {
		return &sourceError{err: fmt.Errorf("received %d bytes, the server announced %d", d.dst.Written(), d.total)}
	}
	return nil
}

// checkSize fails with ErrDownloadTooLarge when n bytes (the announced
// length, or what was received) are over MaxSize.
func (d *download) checkSize(n int64, announced bool) error {
	if d.opts.MaxSize <= 0 || n <= d.opts.MaxSize {
		return nil
	}
	if !announced {
		return fmt.Errorf("%w: the server sent more than the limit of %d bytes, so the download was stopped; use a smaller image or raise the maximum image size setting", ErrDownloadTooLarge, d.opts.MaxSize)
	}
	return fmt.Errorf("%w: the server announced %d bytes, over the limit of %d bytes; use a smaller image or raise the maximum image size setting", ErrDownloadTooLarge, n, d.opts.MaxSize)
}

// prepareOffset decides where the next request starts: at the bytes
// already written if the server can resume, else at zero after a Reset.
func (d *download) prepareOffset() (int64, error) {
	offset := d.dst.Written()
	if offset == 0 || d.ranges {
		return offset, nil
	}
	if err := d.dst.Reset(); err != nil {
		return 0, err
	}
	return 0, nil
}
