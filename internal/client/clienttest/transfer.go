package clienttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// upload reads a multipart "chunk" field or a raw body, streaming, and
// reports the running count on f.uploaded. Like the real server it takes
// uploads only into upload images that are not ready yet; a short body
// fails the copy, and a later upload may try again.
func (f *Fake) upload(w http.ResponseWriter, r *http.Request, name string) {
	f.mu.Lock()
	bi, ok := f.images[name]
	var refuse *httpError
	switch {
	case !ok:
		refuse = errorf(http.StatusNotFound, "backing image %q not found", name)
	case bi.SourceType != apitypes.SourceUpload:
		refuse = errorf(http.StatusUnprocessableEntity, "backing image %s has sourceType %q; only images created with sourceType upload accept uploads", name, bi.SourceType)
	case hasReadyCopy(bi):
		refuse = errorf(http.StatusConflict, "backing image %s is already uploaded and ready", name)
	}
	f.mu.Unlock()
	if refuse != nil {
		refuse.write(w)
		return
	}
	size, err := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	if err != nil || size < 0 {
		writeError(w, http.StatusBadRequest, "invalid size %q: give the file's size in bytes", r.URL.Query().Get("size"))
		return
	}
	body, err := uploadBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "upload body: %v", err)
		return
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, &reportingReader{r: body, ch: f.uploaded})
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || n != size {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		msg := fmt.Sprintf("upload failed: bad upload: reading the request after %d bytes: %v; upload the file again", n, err)
		setCopies(bi, apitypes.StateFailed, int(100*n/max(size, 1)), msg)
		writeError(w, http.StatusBadRequest, "%s", msg)
		return
	}
	f.content[name] = buf.Bytes()
	f.setContentInfo(bi)
	setCopies(bi, apitypes.StateReady, 100, "")
	writeJSON(w, http.StatusOK, bi)
}

func setCopies(bi *apitypes.BackingImage, state string, progress int, msg string) {
	for _, d := range bi.DiskFileStatusMap {
		d.State, d.Progress, d.Message = state, progress, msg
	}
}

func uploadBody(r *http.Request) (io.Reader, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return r.Body, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, errors.New("no \"chunk\" field in the form")
		}
		if part.FormName() == "chunk" {
			return part, nil
		}
	}
}

type reportingReader struct {
	r  io.Reader
	n  int64
	ch chan int64
}

func (rr *reportingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.n += int64(n)
	select {
	case rr.ch <- rr.n:
	default:
	}
	return n, err
}

func (f *Fake) download(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f.mu.Lock()
	bi, ok := f.images[name]
	var data []byte
	var held, ready bool
	if ok {
		data, held = f.content[name]
		ready = hasReadyCopy(bi)
	}
	f.mu.Unlock()
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "backing image %q not found", name)
	case !ready:
		writeError(w, http.StatusConflict, "backing image %s has no ready copy to download yet; wait until it is ready", name)
	case !held:
		writeError(w, http.StatusConflict, "the fake holds no content for backing image %s (its source was not fetched)", name)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.raw"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}
}

// loopback reports whether a URL's host is this machine, whose sources
// the fake fetches for real.
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// fetch downloads a loopback source into image name, as the real server
// would, failing the copy with the reason when the source answers badly.
func (f *Fake) fetch(name, src string) {
	f.mu.Lock()
	if bi, ok := f.images[name]; ok {
		setCopies(bi, apitypes.StateInProgress, 0, "")
	}
	f.mu.Unlock()
	data, err := get(src)
	f.mu.Lock()
	defer f.mu.Unlock()
	bi, ok := f.images[name]
	if !ok {
		return
	}
	if err != nil {
		setCopies(bi, apitypes.StateFailed, 0, fmt.Sprintf("download failed: download %s: %v", src, err))
		return
	}
	f.content[name] = data
	f.setContentInfo(bi)
	setCopies(bi, apitypes.StateReady, 100, "")
}

func get(src string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("server answered %s: check the URL", resp.Status)
	}
	return io.ReadAll(resp.Body)
}
