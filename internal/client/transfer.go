package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// ProgressFunc is told how many bytes of a transfer have moved so far out of
// total (total < 0 when unknown). It is called from the goroutine doing the
// transfer, after every read or write, so it must be cheap; nil means none.
type ProgressFunc func(done, total int64)

// UploadBackingImage streams exactly size bytes from r as the content of a
// backing image created with SourceUpload. The body is Longhorn's multipart
// form (field "chunk") assembled from a fixed header, r itself and a fixed
// trailer, so nothing is buffered and Content-Length is exact. r yielding
// fewer than size bytes aborts the request with io.ErrUnexpectedEOF.
func (c *Client) UploadBackingImage(ctx context.Context, name string, r io.Reader, size int64, progress ProgressFunc) error {
	if size < 0 {
		return fmt.Errorf("upload backing image %q: size must be known, got %d", name, size)
	}
	q := url.Values{"action": {"upload"}, "size": {strconv.FormatInt(size, 10)}}
	target, err := c.endpoint(q, "v1", "backingimages", name)
	if err != nil {
		return err
	}
	head, tail, contentType, err := multipartFrame(name)
	if err != nil {
		return fmt.Errorf("upload backing image %q: %w", name, err)
	}
	content := &countingReader{r: &exactReader{r: r, left: size}, total: size, progress: progress}
	body := io.MultiReader(bytes.NewReader(head), content, bytes.NewReader(tail))
	req, err := c.newRequest(ctx, http.MethodPost, target, body)
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(head)) + size + int64(len(tail))
	req.Header.Set("Content-Type", contentType)
	resp, err := c.send(req)
	if err != nil {
		if content.err != nil {
			err = content.err
		}
		return fmt.Errorf("upload backing image %q: %w", name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return nil
}

// multipartFrame returns the bytes that go before and after the file content
// in a one-field multipart form, and the form's Content-Type.
func multipartFrame(name string) (head, tail []byte, contentType string, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if _, err := mw.CreateFormFile("chunk", name); err != nil {
		return nil, nil, "", fmt.Errorf("build multipart header: %w", err)
	}
	head = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		return nil, nil, "", fmt.Errorf("build multipart trailer: %w", err)
	}
	return head, bytes.Clone(buf.Bytes()), mw.FormDataContentType(), nil
}

// exactReader yields the first left bytes of r and fails if r ends sooner.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if errors.Is(err, io.EOF) {
		if e.left > 0 {
			return n, fmt.Errorf("source ended %d bytes short of the declared size: %w", e.left, io.ErrUnexpectedEOF)
		}
		err = nil
	}
	if e.left == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// countingReader reports progress and remembers the first non-EOF error of
// the source, so a failed upload names the local cause rather than the
// transport's.
type countingReader struct {
	r        io.Reader
	done     int64
	total    int64
	progress ProgressFunc
	err      error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.done += int64(n)
	if n > 0 && c.progress != nil {
		c.progress(c.done, c.total)
	}
	if err != nil && !errors.Is(err, io.EOF) && c.err == nil {
		c.err = err
	}
	return n, err
}

// Download is an open download of a backing image's bytes. The caller reads
// Body and closes it.
type Download struct {
	Body io.ReadCloser
	// Offset is where Body starts (the Range start the server honoured).
	Offset int64
	// Size is the image's full size, or -1 if the server did not say.
	Size int64
	// Filename is the server's suggested file name (base name only, may
	// be empty).
	Filename string
}

// OpenDownload starts downloading a backing image from offset (0 for all of
// it). A server that ignores the Range is handled by skipping the first
// offset bytes, so Body always starts at offset.
func (c *Client) OpenDownload(ctx context.Context, name string, offset int64) (*Download, error) {
	target, err := c.endpoint(nil, "v1", "backingimages", name, "download")
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/octet-stream")
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, fmt.Errorf("download backing image %q: %w", name, err)
	}
	d := &Download{Body: resp.Body, Offset: offset, Size: -1, Filename: filenameOf(resp.Header)}
	if err := d.position(resp, offset); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("download backing image %q: %w", name, err)
	}
	return d, nil
}

// position checks the reply against the requested offset and fills Size.
func (d *Download) position(resp *http.Response, offset int64) error {
	if resp.StatusCode == http.StatusPartialContent {
		var start, end, total int64
		cr := resp.Header.Get("Content-Range")
		if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &total); err != nil {
			return fmt.Errorf("unreadable Content-Range %q: %w", cr, err)
		}
		if start != offset {
			return fmt.Errorf("asked for bytes from %d, server sent from %d", offset, start)
		}
		d.Size = total
		return nil
	}
	d.Size = resp.ContentLength
	if offset > 0 {
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			return fmt.Errorf("skip to offset %d (server ignored the Range): %w", offset, err)
		}
	}
	return nil
}

// filenameOf returns the base name from a Content-Disposition header, or "".
func filenameOf(h http.Header) string {
	_, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	base := filepath.Base(params["filename"])
	if base == "." || base == "/" || base == ".." || strings.ContainsAny(base, `/\`) {
		return ""
	}
	return base
}

// DownloadBackingImage copies a backing image's bytes, from offset on, to w
// and returns how many bytes it wrote. A body shorter than announced is an
// error (io.ErrUnexpectedEOF), so a dropped connection is never mistaken
// for a complete image.
func (c *Client) DownloadBackingImage(ctx context.Context, name string, w io.Writer, offset int64, progress ProgressFunc) (int64, error) {
	d, err := c.OpenDownload(ctx, name, offset)
	if err != nil {
		return 0, err
	}
	defer d.Body.Close()
	n, err := d.CopyTo(w, progress)
	if err != nil {
		return n, fmt.Errorf("download backing image %q: %w", name, err)
	}
	return n, nil
}

// CopyTo copies the rest of the body to w, reporting progress as absolute
// positions within the image, and checks the length against Size.
func (d *Download) CopyTo(w io.Writer, progress ProgressFunc) (int64, error) {
	src := &countingReader{r: d.Body, done: d.Offset, total: d.Size, progress: progress}
	n, err := io.Copy(w, src)
	if err != nil {
		return n, err
	}
	if d.Size >= 0 && d.Offset+n != d.Size {
		return n, fmt.Errorf("got %d of %d bytes: %w", d.Offset+n, d.Size, io.ErrUnexpectedEOF)
	}
	return n, nil
}
