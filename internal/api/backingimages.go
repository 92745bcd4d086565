package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/backup"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/source"
	"github.com/plinth-storage/plinth/internal/store"
)

func (s *Server) listBackingImages(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.d.BIs.List(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	q := r.URL.Query()
	out := make([]apitypes.BackingImage, 0, len(list))
	for _, v := range list {
		if f := q.Get("sourceType"); f != "" && v.Value.SourceType != f {
			continue
		}
		if f := q.Get("dataEngine"); f != "" && v.Value.DataEngine != f {
			continue
		}
		out = append(out, toBackingImage(v.Value))
	}
	s.schemas.WriteCollection(w, r, schemaBackingImage, out)
}

func (s *Server) getBackingImage(w http.ResponseWriter, r *http.Request) {
	bi, err := s.backingImage(r)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.writeBackingImage(w, r, bi)
}

// backingImage loads the image named in the path (404 if missing).
func (s *Server) backingImage(r *http.Request) (model.BackingImage, error) {
	name := r.PathValue("name")
	v, err := s.d.BIs.Get(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return model.BackingImage{}, errkind.NotFound("backing image %s not found", name)
	}
	return v.Value, err
}

func (s *Server) writeBackingImage(w http.ResponseWriter, r *http.Request, bi model.BackingImage) {
	res := toBackingImage(bi)
	s.schemas.WriteResource(w, r, http.StatusOK, schemaBackingImage, &res)
}

func (s *Server) postBackingImages(w http.ResponseWriter, r *http.Request) {
	switch action := r.URL.Query().Get("action"); action {
	case "":
		s.createBackingImage(w, r)
	default:
		s.collectionAction(w, r, action)
	}
}

func (s *Server) createBackingImage(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackingImageCreateInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	s.createFrom(w, r, in)
}

// createFrom validates in, creates the image and answers with it.
func (s *Server) createFrom(w http.ResponseWriter, r *http.Request, in apitypes.BackingImageCreateInput) {
	bi, err := s.newBackingImage(r, in)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	if _, err := s.d.BIs.Create(r.Context(), bi.Name, bi); err != nil {
		if errors.Is(err, store.ErrExists) {
			err = errkind.Conflict("backing image %s already exists; delete it first or choose another name", bi.Name)
		}
		writeErr(w, r, err)
		return
	}
	s.d.BIController.Enqueue(bi.Name)
	s.writeBackingImage(w, r, bi)
}

// newBackingImage validates a create request and builds the record.
func (s *Server) newBackingImage(r *http.Request, in apitypes.BackingImageCreateInput) (model.BackingImage, error) {
	if err := checkName("backing image", in.Name, maxBackingImageName); err != nil {
		return model.BackingImage{}, err
	}
	in.ExpectedChecksum = strings.ToLower(strings.TrimSpace(in.ExpectedChecksum))
	if err := checkChecksum(in.ExpectedChecksum); err != nil {
		return model.BackingImage{}, err
	}
	params := map[string]string{}
	for k, v := range in.Parameters {
		params[k] = strings.TrimSpace(v)
	}
	if err := s.checkSource(r, in.SourceType, params); err != nil {
		return model.BackingImage{}, err
	}
	if err := checkPlacement(&in); err != nil {
		return model.BackingImage{}, err
	}
	if err := s.checkRoom(r.Context(), in.DataEngine, in.DiskSelector, 0); err != nil {
		return model.BackingImage{}, err
	}
	if in.MinNumberOfCopies == 0 {
		in.MinNumberOfCopies = s.d.Settings.Int(r.Context(), settings.DefaultMinCopies)
	}
	if err := s.checkMaxCopies(r, in.MinNumberOfCopies); err != nil {
		return model.BackingImage{}, err
	}
	return model.BackingImage{
		Name: in.Name, UUID: uuid.NewString()[:8], SourceType: in.SourceType, Parameters: params,
		ExpectedChecksum: in.ExpectedChecksum, MinNumberOfCopies: in.MinNumberOfCopies,
		DataEngine: in.DataEngine, DiskSelector: nonNilSlice(in.DiskSelector), NodeSelector: nonNilSlice(in.NodeSelector),
		CreatedAt: time.Now().UTC(),
	}, nil
}

// checkSource validates the source type and its parameters.
func (s *Server) checkSource(r *http.Request, sourceType string, params map[string]string) error {
	switch sourceType {
	case apitypes.SourceDownload:
		u := params["url"]
		if u == "" {
			return errkind.Invalid("download URL is not provided: set parameters.url to an http or https URL")
		}
		if err := source.ValidateURL(u, s.d.AllowPrivate); err != nil {
			return errkind.Invalid("invalid download URL: %v", err)
		}
	case apitypes.SourceUpload:
	case apitypes.SourceRestore:
		return s.checkRestoreParams(r, params)
	case "":
		return errkind.Invalid("sourceType is required: one of download, upload, restore")
	default:
		return errkind.Invalid("sourceType %q is not supported: use download, upload or restore", sourceType)
	}
	return nil
}

// checkMaxCopies is a 422 when n copies are more than the setting
// backing-image-max-number-of-copies allows.
func (s *Server) checkMaxCopies(r *http.Request, n int) error {
	if limit := s.d.Settings.Int(r.Context(), settings.MaxCopies); n > limit {
		return errkind.Invalid("minNumberOfCopies %d is over the limit of %d (setting %s); ask for fewer copies or raise the setting", n, limit, settings.MaxCopies)
	}
	return nil
}

// checkPlacement validates and defaults copies, data engine and encryption.
func checkPlacement(in *apitypes.BackingImageCreateInput) error {
	if in.MinNumberOfCopies < 0 {
		return errkind.Invalid("minNumberOfCopies %d must be at least 1 (0 means the default)", in.MinNumberOfCopies)
	}
	switch in.DataEngine {
	case "":
		in.DataEngine = apitypes.DataEngineV1
	case apitypes.DataEngineV1:
	case apitypes.DataEngineV2:
	default:
		return errkind.Invalid("invalid data engine %q: use v1 (files on filesystem disks) or v2 (volumes on block disks)", in.DataEngine)
	}
	if in.Secret != "" || in.SecretNamespace != "" {
		return errkind.Invalid("encrypted backing images (secret, secretNamespace) are not supported by this version")
	}
	if slices.Contains(in.NodeSelector, "") || slices.Contains(in.DiskSelector, "") {
		return errkind.Invalid("diskSelector and nodeSelector must not contain empty tags")
	}
	return nil
}

func (s *Server) deleteBackingImage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	now := time.Now().UTC()
	bi, err := mutate(r, s.d.BIs, "backing image", name, func(bi *model.BackingImage) error {
		if bi.DeletionRequested != nil {
			return store.ErrNoChange
		}
		bi.DeletionRequested = &now
		return nil
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.d.BIController.Enqueue(name)
	s.writeBackingImage(w, r, bi)
}

func (s *Server) collectionAction(w http.ResponseWriter, r *http.Request, action string) {
	if action == "backupBackingImageBatchCreate" {
		s.batchBackup(w, r)
		return
	}
	writeErr(w, r, errkind.BadRequest("unknown action %q on backingimages: use backupBackingImageBatchCreate", action))
}

// checkRestoreParams validates a restore source: backup-url names a
// backing image and backup-target-name an existing target (defaulted from
// the URL when a target has exactly that URL).
func (s *Server) checkRestoreParams(r *http.Request, params map[string]string) error {
	u := params[backup.ParamBackupURL]
	if u == "" {
		return errkind.Invalid("restore needs parameters.%s: the url of a backup backing image", backup.ParamBackupURL)
	}
	_, targetURL, err := backup.ImageFromBackupURL(u)
	if err != nil {
		return errkind.Invalid("%v", err)
	}
	list, _, err := s.d.Targets.List(r.Context())
	if err != nil {
		return err
	}
	for _, t := range list {
		if params[backup.ParamBackupTarget] == "" && t.Value.URL == targetURL {
			params[backup.ParamBackupTarget] = t.Name
		}
		if t.Name == params[backup.ParamBackupTarget] {
			return nil
		}
	}
	return errkind.NotFound("no backup target matches the restore parameters (%s=%q); create the target first", backup.ParamBackupTarget, params[backup.ParamBackupTarget])
}
