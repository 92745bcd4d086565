package clienttest

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func (f *Fake) routeBackups(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/backupbackingimages", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		bi, bt := r.URL.Query().Get("backingImageName"), r.URL.Query().Get("backupTargetName")
		var out []*apitypes.BackupBackingImage
		for _, b := range sortedValues(f.backups) {
			if (bi == "" || b.BackingImageName == bi) && (bt == "" || b.BackupTargetName == bt) {
				out = append(out, b)
			}
		}
		writeCollection(w, "backupBackingImage", out)
	})
	mux.HandleFunc("GET /v1/backupbackingimages/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		b, ok := lookup(w, f.backups, "backup", r.PathValue("name"))
		if !ok {
			return
		}
		if b.State == apitypes.BackupStateInProgress {
			b.State, b.Progress, b.Size = apitypes.BackupStateCompleted, 100, 1<<30
		}
		writeJSON(w, http.StatusOK, b)
	})
	mux.HandleFunc("DELETE /v1/backupbackingimages/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := lookup(w, f.backups, "backup", r.PathValue("name")); !ok {
			return
		}
		delete(f.backups, r.PathValue("name"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1/backupbackingimages/{name}", f.backupAction)
}

// createBackupLocked applies the real server's rules: the image and target
// must exist, one backup per (image, target), generated names for an empty
// name or one equal to the image's. It returns nil and a status on failure.
func (f *Fake) createBackupLocked(image string, in apitypes.BackupBackingImageCreateInput) (*apitypes.BackupBackingImage, int, string) {
	if _, ok := f.images[image]; !ok {
		return nil, http.StatusNotFound, fmt.Sprintf("backing image %q not found", image)
	}
	if in.BackupTargetName == "" {
		return nil, http.StatusBadRequest, "backupTargetName is required"
	}
	if _, ok := f.targets[in.BackupTargetName]; !ok {
		return nil, http.StatusNotFound, fmt.Sprintf("backup target %q not found", in.BackupTargetName)
	}
	for _, b := range f.backups {
		if b.BackingImageName == image && b.BackupTargetName == in.BackupTargetName {
			return nil, http.StatusConflict, fmt.Sprintf("backing image %q already has backup %q on target %q",
				image, b.Name, in.BackupTargetName)
		}
	}
	name := in.Name
	if name == "" || name == image {
		f.seq++
		name = fmt.Sprintf("%s-%08x", image, 0xa0000000+f.seq)
	}
	b := &apitypes.BackupBackingImage{Resource: apitypes.Resource{ID: name, Type: "backupBackingImage"},
		Name: name, BackingImageName: image, BackupTargetName: in.BackupTargetName,
		State: apitypes.BackupStateInProgress, Labels: in.Labels, UserCreated: true,
		Created: time.Now().UTC().Format(time.RFC3339)}
	f.backups[name] = b
	return b, 0, ""
}

func (f *Fake) batchBackup(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackupBackingImageBatchCreateInput
	if !readJSON(w, r, &in) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	results := make([]apitypes.BackupBackingImageBatchResult, 0, len(in.BackingImageNames))
	for _, bi := range in.BackingImageNames {
		b, status, msg := f.createBackupLocked(bi, apitypes.BackupBackingImageCreateInput{BackupTargetName: in.BackupTargetName})
		res := apitypes.BackupBackingImageBatchResult{BackingImageName: bi, BackupBackingImage: b}
		if b == nil {
			res.Error = &apitypes.BatchItemError{Status: status, Message: msg}
		}
		results = append(results, res)
	}
	writeCollection(w, "backupBackingImageBatchResult", results)
}

func (f *Fake) backupAction(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := r.PathValue("name")
	b, ok := f.backups[name]
	if !ok {
		writeError(w, http.StatusNotFound, "backup %q not found", name)
		return
	}
	switch r.URL.Query().Get("action") {
	case "backupBackingImageRestore":
		var in apitypes.BackingImageRestoreInput
		if !readJSON(w, r, &in) {
			return
		}
		target := in.Name
		if target == "" {
			target = b.BackingImageName
		}
		if _, exists := f.images[target]; exists {
			writeError(w, http.StatusConflict, "backing image %q already exists: restore under another --name", target)
			return
		}
		bi := f.newImage(target, apitypes.SourceRestore, in.DataEngine)
		bi.Parameters = map[string]string{"backup-url": b.URL}
		f.images[target] = bi
		f.scripted[target] = true
		writeJSON(w, http.StatusCreated, bi)
	case "backupBackingImageRetry":
		if b.State != apitypes.BackupStateError {
			writeError(w, http.StatusConflict, "backup %s is %s; only a backup in Error can be retried", name, b.State)
			return
		}
		b.State, b.Error = apitypes.BackupStatePending, ""
		writeJSON(w, http.StatusOK, b)
	case "backupBackingImageVerify":
		var in apitypes.BackupVerifyInput
		if !readJSON(w, r, &in) {
			return
		}
		ok := !strings.Contains(name, "bad")
		rep := apitypes.BackupVerifyReport{Name: name, Blocks: 512, Checksum: b.Checksum, ChecksumMatch: ok, OK: ok}
		if !ok && in.Repair {
			rep.OK, rep.ChecksumMatch, rep.Repaired, rep.RepairSource = true, true, 1, b.BackingImageName
		} else if !ok {
			rep.BadBlocks = []apitypes.BadBlock{{Offset: 2 << 20, Key: "abcd", Reason: "checksum mismatch"}}
		}
		writeJSON(w, http.StatusOK, rep)
	default:
		unknownAction(w, r)
	}
}
