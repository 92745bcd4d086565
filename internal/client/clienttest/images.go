package clienttest

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

const fakeDisk = "disk-uuid-1"

func (f *Fake) routeImages(mux *http.ServeMux) {
	serveList(f, mux, "GET /v1/backingimages", "backingImage", f.images)
	mux.HandleFunc("POST /v1/backingimages", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("action") {
		case "":
			f.createImage(w, r)
		case "backupBackingImageBatchCreate":
			f.batchBackup(w, r)
		default:
			unknownAction(w, r)
		}
	})
	mux.HandleFunc("GET /v1/backingimages/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		bi, ok := lookup(w, f.images, "backing image", r.PathValue("name"))
		if !ok {
			return
		}
		f.advanceImage(bi)
		writeJSON(w, http.StatusOK, bi)
	})
	mux.HandleFunc("DELETE /v1/backingimages/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := lookup(w, f.images, "backing image", r.PathValue("name")); !ok {
			return
		}
		delete(f.images, r.PathValue("name"))
		delete(f.scripted, r.PathValue("name"))
		delete(f.content, r.PathValue("name"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/backingimages/{name}/download", f.download)
	mux.HandleFunc("POST /v1/backingimages/{name}", f.imageAction)
}

func (f *Fake) createImage(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackingImageCreateInput
	if !readJSON(w, r, &in) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.Name == "" {
		writeError(w, http.StatusBadRequest, "name is required")
		return
	}
	if _, ok := f.images[in.Name]; ok {
		writeError(w, http.StatusConflict, "backing image %q already exists", in.Name)
		return
	}
	if in.SourceType != apitypes.SourceDownload && in.SourceType != apitypes.SourceUpload {
		writeError(w, http.StatusUnprocessableEntity, "unsupported sourceType %q", in.SourceType)
		return
	}
	bi := f.newImage(in.Name, in.SourceType, in.DataEngine)
	f.scripted[in.Name] = true
	bi.Parameters, bi.ExpectedChecksum = in.Parameters, in.ExpectedChecksum
	bi.MinNumberOfCopies, bi.DiskSelector = in.MinNumberOfCopies, in.DiskSelector
	f.images[in.Name] = bi
	writeJSON(w, http.StatusCreated, bi)
}

func (f *Fake) newImage(name, source, engine string) *apitypes.BackingImage {
	if engine == "" {
		engine = apitypes.DataEngineV1
	}
	return &apitypes.BackingImage{
		Resource: apitypes.Resource{ID: name, Type: "backingImage"}, Name: name, SourceType: source,
		DataEngine: engine, MinNumberOfCopies: 1, Created: time.Now().UTC().Format(time.RFC3339),
		DiskFileStatusMap: map[string]*apitypes.DiskFileStatus{
			fakeDisk: {State: apitypes.StatePending, DataEngine: engine},
		},
	}
}

// advanceImage moves a non-upload image created through the API one step:
// pending -> in-progress 50% -> ready (or failed when FailDownloads is set).
// Images stored with PutImage stay as given.
func (f *Fake) advanceImage(bi *apitypes.BackingImage) {
	if bi.SourceType == apitypes.SourceUpload || !f.scripted[bi.Name] {
		return
	}
	for _, d := range bi.DiskFileStatusMap {
		switch d.State {
		case apitypes.StatePending:
			d.State, d.Progress = apitypes.StateInProgress, 50
		case apitypes.StateInProgress:
			if f.FailDownloads != "" {
				d.State, d.Message = apitypes.StateFailed, f.FailDownloads
				continue
			}
			d.State, d.Progress = apitypes.StateReady, 100
			bi.Size, bi.VirtualSize = 1<<30, 1<<30
		}
	}
}

func (f *Fake) imageAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if r.URL.Query().Get("action") == "upload" {
		f.upload(w, r, name)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	bi, ok := f.images[name]
	if !ok {
		writeError(w, http.StatusNotFound, "backing image %q not found", name)
		return
	}
	switch r.URL.Query().Get("action") {
	case "backingImageCleanup":
		var in apitypes.BackingImageCleanupInput
		if readJSON(w, r, &in) {
			for _, d := range in.Disks {
				delete(bi.DiskFileStatusMap, d)
			}
			writeJSON(w, http.StatusOK, bi)
		}
	case "updateMinNumberOfCopies":
		var in apitypes.UpdateMinNumberOfCopiesInput
		if readJSON(w, r, &in) {
			bi.MinNumberOfCopies = in.MinNumberOfCopies
			writeJSON(w, http.StatusOK, bi)
		}
	case "backupBackingImageCreate":
		var in apitypes.BackupBackingImageCreateInput
		if readJSON(w, r, &in) {
			b, status, msg := f.createBackupLocked(name, in)
			if b == nil {
				writeError(w, status, "%s", msg)
				return
			}
			writeJSON(w, http.StatusCreated, b)
		}
	default:
		unknownAction(w, r)
	}
}

// upload reads a multipart "chunk" field or a raw body, streaming, and
// reports the running count on f.uploaded.
func (f *Fake) upload(w http.ResponseWriter, r *http.Request, name string) {
	f.mu.Lock()
	bi, ok := f.images[name]
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "backing image %q not found", name)
		return
	}
	if bi.SourceType != apitypes.SourceUpload {
		writeError(w, http.StatusConflict, "backing image %q was not created with sourceType upload", name)
		return
	}
	size, err := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "size parameter: %v", err)
		return
	}
	body, err := uploadBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "upload body: %v", err)
		return
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, &reportingReader{r: body, ch: f.uploaded})
	if err != nil || n != size {
		writeError(w, http.StatusBadRequest, "received %d of %d bytes: %v", n, size, err)
		return
	}
	sum := sha512.Sum512(buf.Bytes())
	f.mu.Lock()
	defer f.mu.Unlock()
	f.content[name] = buf.Bytes()
	bi.Size, bi.VirtualSize, bi.CurrentChecksum = n, n, hex.EncodeToString(sum[:])
	for _, d := range bi.DiskFileStatusMap {
		d.State, d.Progress = apitypes.StateReady, 100
	}
	writeJSON(w, http.StatusOK, bi)
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
	data, ok := f.content[name]
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "backing image %q has no ready copy to download", name)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.raw"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func sortedValues[T any](m map[string]*T) []*T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*T, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}
