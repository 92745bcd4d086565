package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/backingimage"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/source"
)

// backingImageAction dispatches POST /v1/backingimages/{name}?action=X.
func (s *Server) backingImageAction(w http.ResponseWriter, r *http.Request) {
	switch action := r.URL.Query().Get("action"); action {
	case "upload":
		s.upload(w, r)
	case "backingImageCleanup":
		s.cleanup(w, r)
	case "updateMinNumberOfCopies":
		s.updateMinCopies(w, r)
	case "backupBackingImageCreate":
		s.backupImage(w, r)
	case actionVerify:
		s.verify(w, r)
	case "":
		writeErr(w, r, errkind.BadRequest("POST on a backing image needs ?action=: one of upload, backingImageCleanup, updateMinNumberOfCopies, backupBackingImageCreate, verify"))
	default:
		writeErr(w, r, errkind.BadRequest("unknown action %q on a backing image", action))
	}
}

// upload streams the request body into the image's first copy and answers
// with the image once the copy is ready (or the error if it failed). A
// declared size over the max-size setting is a 413 before the image is
// touched; a client that sends nothing for the upload idle timeout gets a
// 408 and the image accepts a new upload at once.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var size int64 = -1
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeErr(w, r, errkind.BadRequest("invalid size %q: give the file's size in bytes", v))
			return
		}
		size = n
	}
	opts := source.UploadOptions{
		MaxSize:     backingimage.MaxImageBytes(r.Context(), s.d.Settings),
		IdleTimeout: backingimage.UploadIdleTimeout(r.Context(), s.d.Settings),
	}
	if declared := declaredSize(r, size); declared > opts.MaxSize {
		writeErr(w, r, errkind.TooLarge("upload of %d bytes is over the limit of %d bytes (setting %s); upload a smaller image or raise the setting",
			declared, opts.MaxSize, settings.MaxImageSizeGiB))
		return
	}
	if err := s.checkUploadRoom(r.Context(), name, declaredSize(r, size)); err != nil {
		writeErr(w, r, err)
		return
	}
	err := s.d.BIController.Upload(r.Context(), name, size, func(dst source.Sink, progress func(done, total int64)) error {
		pw := &progressWriter{w: dst, total: size, report: progress}
		_, err := source.ReadUpload(w, r, pw, opts)
		return uploadErr(err)
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	bi, err := s.backingImage(r)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.writeBackingImage(w, r, bi)
}

// declaredSize is the upload's size query parameter, or else a raw body's
// Content-Length; -1 when neither is known. (A form's length includes its
// other fields, so it is not the image's.)
func declaredSize(r *http.Request, size int64) int64 {
	if size >= 0 {
		return size
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return -1
	}
	return r.ContentLength
}

// uploadErr maps the source package's upload errors to client errors.
func uploadErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, source.ErrBadUpload):
		return errkind.BadRequest("%v", err)
	case errors.Is(err, source.ErrUploadTooLarge):
		return errkind.TooLarge("%w (setting %s)", err, settings.MaxImageSizeGiB)
	case errors.Is(err, source.ErrUploadIdle):
		return errkind.Timeout("%w (setting %s)", err, settings.UploadIdleTimeout)
	case errors.Is(err, source.ErrUnsupportedUpload):
		return errkind.UnsupportedMedia("%w: send multipart/form-data with field chunk, or application/octet-stream", err)
	}
	return err
}

// progressWriter forwards writes and reports the running total.
type progressWriter struct {
	w      source.Sink
	done   int64
	total  int64
	report func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	p.report(p.done, p.total)
	return n, err
}

func (s *Server) cleanup(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackingImageCleanupInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if len(in.Disks) == 0 {
		writeErr(w, r, errkind.Invalid("disks is required: the UUIDs of the disks whose copies to remove"))
		return
	}
	name := r.PathValue("name")
	bi, err := mutate(r, s.d.BIs, "backing image", name, func(bi *model.BackingImage) error {
		return markCleanup(bi, in.Disks)
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.d.BIController.Enqueue(name)
	s.writeBackingImage(w, r, bi)
}

// markCleanup marks the copies on disks for removal, refusing when that
// would leave fewer ready copies than minNumberOfCopies.
func markCleanup(bi *model.BackingImage, disks []string) error {
	for _, d := range disks {
		if bi.Status.Copies[d] == nil {
			return errkind.Invalid("disk %s holds no copy of backing image %s", d, bi.Name)
		}
	}
	left := 0
	for d, cp := range bi.Status.Copies {
		if cp.State == apitypes.StateReady && !cp.Cleanup && !slices.Contains(disks, d) {
			left++
		}
	}
	if left < bi.MinNumberOfCopies {
		return errkind.Conflict("cannot clean up: backing image %s would keep %d ready copies, fewer than its minNumberOfCopies %d; lower minNumberOfCopies first (updateMinNumberOfCopies)", bi.Name, left, bi.MinNumberOfCopies)
	}
	for _, d := range disks {
		bi.Status.Copies[d].Cleanup = true
	}
	return nil
}

func (s *Server) updateMinCopies(w http.ResponseWriter, r *http.Request) {
	var in apitypes.UpdateMinNumberOfCopiesInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if in.MinNumberOfCopies < 1 {
		writeErr(w, r, errkind.Invalid("minNumberOfCopies must be at least 1, got %d", in.MinNumberOfCopies))
		return
	}
	if err := s.checkMaxCopies(r, in.MinNumberOfCopies); err != nil {
		writeErr(w, r, err)
		return
	}
	name := r.PathValue("name")
	bi, err := mutate(r, s.d.BIs, "backing image", name, func(bi *model.BackingImage) error {
		bi.MinNumberOfCopies = in.MinNumberOfCopies
		return nil
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.d.BIController.Enqueue(name)
	s.writeBackingImage(w, r, bi)
}

// downloadBackingImage streams a ready local copy (of either engine; a v2
// copy is its raw content), with Range support.
func (s *Server) downloadBackingImage(w http.ResponseWriter, r *http.Request) {
	bi, err := s.backingImage(r)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	if bi.ReadyCopies() == 0 {
		writeErr(w, r, errkind.Conflict("backing image %s has no ready copy to download yet; wait until it is ready", bi.Name))
		return
	}
	rd, err := s.d.BIController.OpenCopy(r.Context(), bi)
	if err != nil {
		writeErr(w, r, errkind.Conflict("%v", err))
		return
	}
	defer rd.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", downloadName(bi)))
	http.ServeContent(w, r, "", bi.CreatedAt, rd)
}

func downloadName(bi model.BackingImage) string {
	if bi.Status.Format == "qcow2" {
		return bi.Name + ".qcow2"
	}
	return bi.Name + ".raw"
}
