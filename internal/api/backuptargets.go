package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
	"github.com/plinth-storage/plinth/internal/target/all"
)

const schemaBackupTarget = "backupTarget"

func toBackupTarget(bt model.BackupTarget) apitypes.BackupTarget {
	return apitypes.BackupTarget{Name: bt.Name, BackupTargetURL: bt.URL, CredentialSecret: bt.CredentialSecret,
		PollInterval: (time.Duration(bt.PollSeconds) * time.Second).String(),
		Available:    bt.Status.Available, Message: bt.Status.Message}
}

func (s *Server) listBackupTargets(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.d.Targets.List(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	out := make([]apitypes.BackupTarget, 0, len(list))
	for _, v := range list {
		out = append(out, toBackupTarget(v.Value))
	}
	s.schemas.WriteCollection(w, r, schemaBackupTarget, out)
}

func (s *Server) serveBackupTarget(w http.ResponseWriter, r *http.Request) {
	s.getBackupTarget(w, r, r.PathValue("name"))
}

func (s *Server) getBackupTarget(w http.ResponseWriter, r *http.Request, name string) {
	v, err := get(r, s.d.Targets, "backup target", name)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.writeBackupTarget(w, r, v.Value)
}

func (s *Server) writeBackupTarget(w http.ResponseWriter, r *http.Request, bt model.BackupTarget) {
	res := toBackupTarget(bt)
	s.schemas.WriteResource(w, r, http.StatusOK, schemaBackupTarget, &res)
}

// parsePoll reads pollInterval as integer seconds ("300") or a Go
// duration ("5m0s"); empty means 300 s.
func parsePoll(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 300, nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return n, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return int(d / time.Second), nil
	}
	return 0, errkind.Invalid("invalid backup target polling interval %q: give seconds (300) or a duration (5m0s); 0 disables polling", v)
}

// checkTargetInput validates a target's URL, secret and poll interval and
// refuses a URL another target already uses.
func (s *Server) checkTargetInput(r *http.Request, name string, in apitypes.BackupTargetInput) (int, error) {
	poll, err := parsePoll(in.PollInterval)
	if err != nil {
		return 0, err
	}
	in.BackupTargetURL = strings.TrimSpace(in.BackupTargetURL)
	if in.BackupTargetURL != "" {
		if err := all.ValidateURL(in.BackupTargetURL); err != nil {
			return 0, errkind.Invalid("%v", err)
		}
		if err := s.checkFileTarget(in.BackupTargetURL); err != nil {
			return 0, err
		}
	}
	if in.CredentialSecret != "" {
		if _, err := s.d.Secrets.Get(r.Context(), in.CredentialSecret); errors.Is(err, store.ErrNotFound) {
			return 0, errkind.Invalid("credential secret %s does not exist; create it first (POST /v1/secrets)", in.CredentialSecret)
		}
	}
	if in.BackupTargetURL == "" {
		return poll, nil
	}
	list, _, err := s.d.Targets.List(r.Context())
	if err != nil {
		return 0, err
	}
	for _, v := range list {
		if v.Name != name && v.Value.URL == in.BackupTargetURL {
			return 0, errkind.Conflict("url %s is the same to backup target %s", in.BackupTargetURL, v.Name)
		}
	}
	return poll, nil
}

func (s *Server) createBackupTarget(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackupTargetInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if err := checkName("backup target", in.Name, maxName); err != nil {
		writeErr(w, r, err)
		return
	}
	poll, err := s.checkTargetInput(r, in.Name, in)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	bt := model.BackupTarget{Name: in.Name, URL: strings.TrimSpace(in.BackupTargetURL), CredentialSecret: in.CredentialSecret,
		PollSeconds: poll, SyncRequestedAt: time.Now().UTC()}
	if _, err := s.d.Targets.Create(r.Context(), bt.Name, bt); err != nil {
		if errors.Is(err, store.ErrExists) {
			err = errkind.Conflict("backup target %s already exists; update it with backupTargetUpdate", bt.Name)
		}
		writeErr(w, r, err)
		return
	}
	s.replyChecked(w, r, bt.Name)
}

// replyChecked checks the target inline and answers with its fresh state.
func (s *Server) replyChecked(w http.ResponseWriter, r *http.Request, name string) {
	s.d.Backups.checkTargetNow(r.Context(), name)
	s.getBackupTarget(w, r, name)
}

func (s *Server) deleteBackupTarget(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name == model.DefaultTargetName {
		writeErr(w, r, errkind.Invalid("the default backup target cannot be deleted; set its URL to empty to stop using it"))
		return
	}
	now := time.Now().UTC()
	bt, err := mutate(r, s.d.Targets, "backup target", name, func(bt *model.BackupTarget) error {
		bt.DeletionRequested = &now
		return nil
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.d.Backups.CheckTarget(name)
	s.writeBackupTarget(w, r, bt)
}

func (s *Server) backupTargetAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	switch a := r.URL.Query().Get("action"); a {
	case "backupTargetSync":
		s.syncTarget(w, r, name)
	case "backupTargetUpdate":
		s.updateTarget(w, r, name)
	default:
		writeErr(w, r, errkind.BadRequest("unknown action %q on a backup target: use backupTargetSync or backupTargetUpdate", a))
	}
}

func (s *Server) syncTarget(w http.ResponseWriter, r *http.Request, name string) {
	now := time.Now().UTC()
	_, err := mutate(r, s.d.Targets, "backup target", name, func(bt *model.BackupTarget) error {
		bt.SyncRequestedAt = now
		return nil
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.replyChecked(w, r, name)
}

// updateTarget replaces URL, secret and poll interval. The path names the
// target (Longhorn reads the body's name; a different name is refused).
// The body must name backupTargetURL ("" clears it explicitly): an empty
// body, {} or null is a 400, never a silent wipe. An absent
// credentialSecret or pollInterval keeps the current value.
func (s *Server) updateTarget(w http.ResponseWriter, r *http.Request, name string) {
	in, has, err := readTargetUpdate(r)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	if in.Name != "" && in.Name != name {
		writeErr(w, r, errkind.Invalid("the body names target %s but the URL names %s", in.Name, name))
		return
	}
	cur, err := s.d.Targets.Get(r.Context(), name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = errkind.NotFound("backup target %s not found", name)
		}
		writeErr(w, r, err)
		return
	}
	if !has["credentialSecret"] {
		in.CredentialSecret = cur.Value.CredentialSecret
	}
	if !has["pollInterval"] {
		in.PollInterval = strconv.Itoa(cur.Value.PollSeconds)
	}
	poll, err := s.checkTargetInput(r, name, in)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	now := time.Now().UTC()
	_, err = mutate(r, s.d.Targets, "backup target", name, func(bt *model.BackupTarget) error {
		bt.URL, bt.CredentialSecret, bt.PollSeconds = strings.TrimSpace(in.BackupTargetURL), in.CredentialSecret, poll
		bt.SyncRequestedAt = now
		return nil
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.replyChecked(w, r, name)
}

// readTargetUpdate reads a backupTargetUpdate body and which fields it
// names; a body without backupTargetURL is a 400.
func readTargetUpdate(r *http.Request) (apitypes.BackupTargetInput, map[string]bool, error) {
	var in apitypes.BackupTargetInput
	var raw map[string]json.RawMessage
	if err := rancher.ReadInput(r, &raw); err != nil {
		return in, nil, err
	}
	has := map[string]bool{}
	for k, v := range raw {
		has[k] = string(v) != "null"
	}
	if !has["backupTargetURL"] {
		return in, nil, errkind.BadRequest("backupTargetUpdate needs backupTargetURL: give the target's URL, or \"\" to stop using the target (its backup records are kept hidden and return with the URL)")
	}
	data, _ := json.Marshal(raw)
	if err := json.Unmarshal(data, &in); err != nil {
		return in, nil, errkind.BadRequest("invalid backupTargetUpdate body: %v", err)
	}
	return in, has, nil
}

// syncAllTargets is Longhorn's PUT /v1/backuptargets
// {"syncAllBackupTargets": true}: every target is checked and listed now.
// It answers with the collection.
func (s *Server) syncAllTargets(w http.ResponseWriter, r *http.Request) {
	var in syncBackupResource
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if in.SyncAllBackupTargets {
		list, _, err := s.d.Targets.List(r.Context())
		if err != nil {
			writeErr(w, r, err)
			return
		}
		now := time.Now().UTC()
		for _, t := range list {
			_, err := mutate(r, s.d.Targets, "backup target", t.Name, func(bt *model.BackupTarget) error {
				bt.SyncRequestedAt = now
				return nil
			})
			if err != nil {
				writeErr(w, r, err)
				return
			}
			s.d.Backups.CheckTarget(t.Name)
		}
	}
	s.listBackupTargets(w, r)
}
