package clienttest

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

const blockSize = 2 << 20

// backupURL is where the backup lives on its target, as the server names it.
func (f *Fake) backupURL(b *apitypes.BackupBackingImage) string {
	base := ""
	if t, ok := f.targets[b.BackupTargetName]; ok {
		base = t.BackupTargetURL
	}
	return base + "?backingImage=" + b.BackingImageName
}

func (f *Fake) routeBackups(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/backupbackingimages", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		q := r.URL.Query()
		bi, bt, state := q.Get("backingImageName"), q.Get("backupTargetName"), q.Get("state")
		var out []*apitypes.BackupBackingImage
		for _, b := range sortedValues(f.backups) {
			if (bi == "" || b.BackingImageName == bi) && (bt == "" || b.BackupTargetName == bt) && (state == "" || b.State == state) {
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
			b.State, b.Progress = apitypes.BackupStateCompleted, 100
			b.URL = f.backupURL(b)
		}
		writeJSON(w, http.StatusOK, b)
	})
	mux.HandleFunc("DELETE /v1/backupbackingimages/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		name := r.PathValue("name")
		b, ok := lookup(w, f.backups, "backup", name)
		if !ok {
			return
		}
		delete(f.backups, name)
		delete(f.saved, name)
		b.State = apitypes.BackupStateDeleting
		writeJSON(w, http.StatusOK, b)
	})
	mux.HandleFunc("POST /v1/backupbackingimages/{name}", f.backupAction)
}

// createBackupLocked applies the real server's rules: the image must exist
// and have a ready copy, the target (default "default") must exist, one
// backup per (image, target), and generated names for an empty name or
// one equal to the image's.
func (f *Fake) createBackupLocked(image string, in apitypes.BackupBackingImageCreateInput) (*apitypes.BackupBackingImage, *httpError) {
	bi, ok := f.images[image]
	if !ok {
		return nil, errorf(http.StatusNotFound, "backing image %q not found", image)
	}
	if !hasReadyCopy(bi) {
		return nil, errorf(http.StatusConflict, "backing image %s has no ready copy yet; back it up once it is ready", image)
	}
	target := in.BackupTargetName
	if target == "" {
		target = "default"
	}
	name := in.Name
	generated := name == "" || name == image
	if !generated {
		if err := checkName("backup", name, maxName); err != nil {
			return nil, err
		}
	}
	for _, b := range f.backups {
		if b.BackingImageName == image && b.BackupTargetName == target {
			return nil, errorf(http.StatusConflict, "backing image %q already has backup %q on target %q", image, b.Name, target)
		}
	}
	if _, ok := f.targets[target]; !ok {
		return nil, errorf(http.StatusNotFound, "backup target %q not found", target)
	}
	if generated {
		f.seq++
		name = fmt.Sprintf("%s-%08x", image, 0xa0000000+f.seq)
	}
	if _, taken := f.backups[name]; taken {
		return nil, errorf(http.StatusConflict, "backup %s already exists", name)
	}
	labels := in.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	b := &apitypes.BackupBackingImage{Resource: apitypes.Resource{ID: name, Type: "backupBackingImage"},
		Name: name, BackingImageName: image, BackupTargetName: target,
		State: apitypes.BackupStateInProgress, Labels: labels, Messages: map[string]string{}, UserCreated: true,
		Size: bi.Size, Checksum: bi.CurrentChecksum, CompressionMethod: f.setting("backup-compression-method"),
		Created: time.Now().UTC().Format(time.RFC3339)}
	f.backups[name] = b
	f.saved[name] = f.content[image]
	return b, nil
}

func (f *Fake) batchBackup(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackupBackingImageBatchCreateInput
	if !readJSON(w, r, &in) {
		return
	}
	if len(in.BackingImageNames) == 0 {
		writeError(w, http.StatusUnprocessableEntity, "backingImageNames is required: the images to back up")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	results := make([]apitypes.BackupBackingImageBatchResult, 0, len(in.BackingImageNames))
	for _, bi := range in.BackingImageNames {
		b, err := f.createBackupLocked(bi, apitypes.BackupBackingImageCreateInput{BackupTargetName: in.BackupTargetName})
		res := apitypes.BackupBackingImageBatchResult{BackingImageName: bi, BackupBackingImage: b}
		if err != nil {
			res.Error = &apitypes.BatchItemError{Status: err.status, Message: err.msg}
		}
		results = append(results, res)
	}
	writeCollection(w, "backupBackingImageBatchResult", results)
}

func (f *Fake) backupAction(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("action") {
	case "backupBackingImageRestore":
		f.restore(w, r)
	case "backupBackingImageRetry":
		f.mu.Lock()
		defer f.mu.Unlock()
		name := r.PathValue("name")
		b, ok := lookup(w, f.backups, "backup", name)
		if !ok {
			return
		}
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
		f.mu.Lock()
		defer f.mu.Unlock()
		name := r.PathValue("name")
		b, ok := lookup(w, f.backups, "backup", name)
		if !ok {
			return
		}
		ok = !strings.Contains(name, "bad")
		rep := apitypes.BackupVerifyReport{Name: name, Blocks: dataBlocks(f.saved[name]), Checksum: b.Checksum,
			ChecksumMatch: ok, OK: ok, BadBlocks: []apitypes.BadBlock{}}
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

// dataBlocks counts the 2 MiB blocks of data that hold a non-zero byte:
// the blocks a backup stores.
func dataBlocks(data []byte) int {
	n := 0
	zero := make([]byte, blockSize)
	for off := 0; off < len(data); off += blockSize {
		blk := data[off:min(len(data), off+blockSize)]
		if !bytes.Equal(blk, zero[:len(blk)]) {
			n++
		}
	}
	return n
}

// restore creates a backing image from a backup, under in.Name or the
// backup's image name; it fills in over the next GETs with the backup's
// content.
func (f *Fake) restore(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackingImageRestoreInput
	if !readJSON(w, r, &in) {
		return
	}
	if in.Name != "" {
		if err := checkName("backing image", in.Name, maxImageName); err != nil {
			err.write(w)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := r.PathValue("name")
	b, ok := lookup(w, f.backups, "backup", name)
	if !ok {
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
	bi.Parameters = map[string]string{"backup-url": f.backupURL(b), "backup-target-name": b.BackupTargetName}
	bi.ExpectedChecksum = b.Checksum
	f.images[target] = bi
	f.scripted[target] = true
	if data, ok := f.saved[name]; ok && data != nil {
		f.content[target] = data
	}
	writeJSON(w, http.StatusOK, bi)
}
