package clienttest

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/settings"
)

const fakeDisk = "disk-uuid-1"

// pretendSize is the size of an image whose source the fake does not fetch.
const pretendSize = 1 << 30

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
		name := r.PathValue("name")
		bi, ok := lookup(w, f.images, "backing image", name)
		if !ok {
			return
		}
		delete(f.images, name)
		delete(f.scripted, name)
		delete(f.content, name)
		bi.DeletionTimestamp = time.Now().UTC().Format(time.RFC3339)
		writeJSON(w, http.StatusOK, bi)
	})
	mux.HandleFunc("GET /v1/backingimages/{name}/download", f.download)
	mux.HandleFunc("POST /v1/backingimages/{name}", f.imageAction)
}

func (f *Fake) createImage(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackingImageCreateInput
	if !readJSON(w, r, &in) {
		return
	}
	if err := checkImageInput(&in); err != nil {
		err.write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.MinNumberOfCopies == 0 {
		in.MinNumberOfCopies, _ = strconv.Atoi(f.setting(settings.DefaultMinCopies))
	}
	if limit, _ := strconv.Atoi(f.setting(settings.MaxCopies)); in.MinNumberOfCopies > limit {
		writeError(w, http.StatusUnprocessableEntity, "minNumberOfCopies %d is over the limit of %d (setting %s)", in.MinNumberOfCopies, limit, settings.MaxCopies)
		return
	}
	if _, ok := f.images[in.Name]; ok {
		writeError(w, http.StatusConflict, "backing image %q already exists", in.Name)
		return
	}
	bi := f.newImage(in.Name, in.SourceType, in.DataEngine)
	bi.Parameters, bi.ExpectedChecksum = in.Parameters, in.ExpectedChecksum
	bi.MinNumberOfCopies, bi.DiskSelector, bi.NodeSelector = in.MinNumberOfCopies, in.DiskSelector, in.NodeSelector
	f.images[in.Name] = bi
	if in.SourceType == apitypes.SourceDownload {
		if loopback(in.Parameters["url"]) && f.FailDownloads == "" {
			go f.fetch(bi.Name, in.Parameters["url"])
		} else {
			f.scripted[in.Name] = true
		}
	}
	writeJSON(w, http.StatusOK, bi)
}

func (f *Fake) newImage(name, source, engine string) *apitypes.BackingImage {
	if engine == "" {
		engine = apitypes.DataEngineV1
	}
	return &apitypes.BackingImage{
		Resource: apitypes.Resource{ID: name, Type: "backingImage"}, Name: name, SourceType: source,
		DataEngine: engine, MinNumberOfCopies: 1, Created: time.Now().UTC().Format(time.RFC3339),
		Parameters: map[string]string{}, DiskSelector: []string{}, NodeSelector: []string{},
		DiskFileStatusMap: map[string]*apitypes.DiskFileStatus{
			fakeDisk: {State: apitypes.StatePending, DataEngine: engine},
		},
	}
}

// advanceImage moves a scripted image (an unfetched URL or a restore) one
// step: pending -> in-progress 50% -> ready (or failed when FailDownloads
// is set). Once ready it has its content's size and checksum, or the
// pretend size when it has no content.
func (f *Fake) advanceImage(bi *apitypes.BackingImage) {
	if !f.scripted[bi.Name] {
		return
	}
	for _, d := range bi.DiskFileStatusMap {
		switch d.State {
		case apitypes.StatePending:
			d.State, d.Progress = apitypes.StateInProgress, 50
		case apitypes.StateInProgress:
			if f.FailDownloads != "" && bi.SourceType == apitypes.SourceDownload {
				d.State, d.Message = apitypes.StateFailed, f.FailDownloads
				continue
			}
			d.State, d.Progress = apitypes.StateReady, 100
			f.setContentInfo(bi)
		}
	}
}

// setContentInfo sets size and checksum from the image's content (or
// the pretend size when the fake holds none).
func (f *Fake) setContentInfo(bi *apitypes.BackingImage) {
	data, ok := f.content[bi.Name]
	if !ok {
		bi.Size, bi.VirtualSize = pretendSize, pretendSize
		return
	}
	sum := sha512.Sum512(data)
	bi.Size, bi.VirtualSize, bi.CurrentChecksum = int64(len(data)), int64(len(data)), hex.EncodeToString(sum[:])
}

// hasReadyCopy reports whether any copy of bi is ready.
func hasReadyCopy(bi *apitypes.BackingImage) bool {
	for _, d := range bi.DiskFileStatusMap {
		if d != nil && d.State == apitypes.StateReady {
			return true
		}
	}
	return false
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
	case "verify": // the fake's copies never rot
		writeJSON(w, http.StatusOK, bi)
	case "backupBackingImageCreate":
		var in apitypes.BackupBackingImageCreateInput
		if readJSON(w, r, &in) {
			b, err := f.createBackupLocked(name, in)
			if err != nil {
				err.write(w)
				return
			}
			writeJSON(w, http.StatusOK, b)
		}
	default:
		unknownAction(w, r)
	}
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

func (f *Fake) setting(name string) string {
	if v, ok := f.settings[name]; ok {
		return v
	}
	def, err := settings.Lookup(name)
	if err != nil {
		panic(fmt.Sprintf("clienttest: %v", err))
	}
	return def.Default
}
