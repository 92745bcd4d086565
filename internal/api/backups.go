package api

import (
	"context"
	"net/http"
	"time"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/backup"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

const schemaBackup = "backupBackingImage"

// BackupDeps connects the API to the backup control plane.
type BackupDeps struct {
	Service *backup.Service
	Records *store.Kind[model.Backup]
	// Check asks the target controller to check a target soon.
	Check func(target string)
	// CheckNow checks (and syncs, if due) a target before returning, so a
	// create, update or sync reply shows the target's real availability.
	CheckNow func(ctx context.Context, target string)
	// Enqueue asks the backup controller to reconcile a backup now.
	Enqueue func(name string)
}

// CheckTarget asks for target to be checked (and synced if due) soon.
func (b *BackupDeps) CheckTarget(target string) {
	if b.Check != nil {
		b.Check(target)
	}
}

// checkTargetNow checks target inline when possible, else soon.
func (b *BackupDeps) checkTargetNow(ctx context.Context, target string) {
	if b.CheckNow != nil {
		b.CheckNow(ctx, target)
		return
	}
	b.CheckTarget(target)
}

func toBackup(b model.Backup) apitypes.BackupBackingImage {
	labels := b.Status.RemoteLabels
	if len(labels) == 0 {
		labels = b.Labels
	}
	msgs := b.Status.Messages
	if msgs == nil {
		msgs = map[string]string{}
	}
	return apitypes.BackupBackingImage{Name: b.Name, BackingImageName: b.BackingImageName, BackupTargetName: b.BackupTargetName,
		State: stateOf(b), Progress: b.Status.Progress, Error: b.Status.Error, URL: b.Status.URL,
		Created: createdOf(b), Size: b.Status.Size, Labels: nonNilMap(labels), Messages: msgs,
		CompressionMethod: b.Status.CompressionMethod, Checksum: b.Status.Checksum, UserCreated: b.UserCreated}
}

// stateOf is the state a client sees: Deleting as soon as the deletion is
// requested, before the controller has recorded it in the status.
func stateOf(b model.Backup) string {
	if b.DeletionRequested != nil {
		return apitypes.BackupStateDeleting
	}
	return b.Status.State
}

func createdOf(b model.Backup) string {
	if b.Status.BackupCreatedAt != "" {
		return b.Status.BackupCreatedAt
	}
	return formatTime(b.CreatedAt)
}

func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.d.Backups.Records.List(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	q := r.URL.Query()
	out := make([]apitypes.BackupBackingImage, 0, len(list))
	for _, v := range list {
		if v.Value.Hidden {
			continue // of another URL of its target: back when that URL is
		}
		if f := q.Get("backingImageName"); f != "" && v.Value.BackingImageName != f {
			continue
		}
		if f := q.Get("backupTargetName"); f != "" && v.Value.BackupTargetName != f {
			continue
		}
		if f := q.Get("state"); f != "" && stateOf(v.Value) != f {
			continue
		}
		out = append(out, toBackup(v.Value))
	}
	s.schemas.WriteCollection(w, r, schemaBackup, out)
}

func (s *Server) getBackup(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v, err := get(r, s.d.Backups.Records, "backup backing image", name)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.writeBackup(w, r, v.Value)
}

func (s *Server) writeBackup(w http.ResponseWriter, r *http.Request, b model.Backup) {
	res := toBackup(b)
	s.schemas.WriteResource(w, r, http.StatusOK, schemaBackup, &res)
}

// deleteBackup marks the backup for deletion (DeletionRequested, LocalOnly:
// spec, never status); the controller sets the state Deleting, removes the
// remote data (unless ?localOnly=true) and then the record.
func (s *Server) deleteBackup(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	localOnly, err := queryBool(r, "localOnly")
	if err != nil {
		writeErr(w, r, err)
		return
	}
	now := time.Now().UTC()
	b, err := mutate(r, s.d.Backups.Records, "backup backing image", name, func(b *model.Backup) error {
		if b.DeletionRequested == nil {
			b.DeletionRequested = &now
		}
		b.LocalOnly = b.LocalOnly || localOnly
		return nil
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.d.Backups.Enqueue(name)
	s.writeBackup(w, r, b)
}

func (s *Server) backupAction(w http.ResponseWriter, r *http.Request) {
	switch a := r.URL.Query().Get("action"); a {
	case "backupBackingImageRestore":
		s.restoreBackup(w, r)
	case "backupBackingImageRetry":
		b, err := s.d.Backups.Service.Retry(r.Context(), r.PathValue("name"))
		if err != nil {
			writeErr(w, r, err)
			return
		}
		s.writeBackup(w, r, b)
	case "backupBackingImageVerify":
		var in apitypes.BackupVerifyInput
		if err := rancher.ReadInput(r, &in); err != nil {
			writeErr(w, r, err)
			return
		}
		rep, err := s.d.Backups.Service.Verify(r.Context(), r.PathValue("name"), in)
		if err != nil {
			writeErr(w, r, err)
			return
		}
		rancher.WriteJSON(w, r, http.StatusOK, rep)
	default:
		writeErr(w, r, errkind.BadRequest("unknown action %q on a backup: use backupBackingImageRestore, backupBackingImageVerify or backupBackingImageRetry", a))
	}
}

func (s *Server) restoreBackup(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackingImageRestoreInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if in.Name != "" {
		if err := checkName("backing image", in.Name, maxBackingImageName); err != nil {
			writeErr(w, r, err)
			return
		}
	}
	bi, err := s.d.Backups.Service.RestoreImage(r.Context(), r.PathValue("name"), in)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	create := apitypes.BackingImageCreateInput{Name: bi.Name, SourceType: bi.SourceType, Parameters: bi.Parameters,
		ExpectedChecksum: bi.ExpectedChecksum, DataEngine: in.DataEngine, Secret: in.Secret, SecretNamespace: in.SecretNamespace}
	s.createFrom(w, r, create)
}

// backupImage serves ?action=backupBackingImageCreate on a backing image.
func (s *Server) backupImage(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackupBackingImageCreateInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	b, err := s.d.Backups.Service.Create(r.Context(), r.PathValue("name"), in)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.writeBackup(w, r, b)
}

// batchBackup serves ?action=backupBackingImageBatchCreate: one result per
// image, each a backup or an error with its status.
func (s *Server) batchBackup(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackupBackingImageBatchCreateInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if len(in.BackingImageNames) == 0 {
		writeErr(w, r, errkind.Invalid("backingImageNames is required: the images to back up"))
		return
	}
	results := s.d.Backups.Service.Batch(r.Context(), in)
	out := make([]apitypes.BackupBackingImageBatchResult, 0, len(results))
	u := rancher.URLsFor(r)
	for _, res := range results {
		item := apitypes.BackupBackingImageBatchResult{BackingImageName: res.Image}
		if res.Err != nil {
			item.Error = &apitypes.BatchItemError{Status: statusOf(res.Err), Message: res.Err.Error()}
		} else {
			b := toBackup(res.Backup)
			b.Type, b.ID = schemaBackup, b.Name
			b.Links = map[string]string{"self": u.Resource("backupbackingimages", b.Name)}
			b.Actions = map[string]string{}
			item.BackupBackingImage = &b
		}
		out = append(out, item)
	}
	rancher.WriteJSON(w, r, http.StatusOK, map[string]any{"type": "collection", "resourceType": "backupBackingImageBatchResult",
		"links": map[string]string{"self": u.Request()}, "data": out})
}
