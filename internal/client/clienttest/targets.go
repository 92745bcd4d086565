package clienttest

import (
	"net/http"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func (f *Fake) routeTargets(mux *http.ServeMux) {
	serveList(f, mux, "GET /v1/backuptargets", "backupTarget", f.targets)
	mux.HandleFunc("POST /v1/backuptargets", f.createTarget)
	mux.HandleFunc("GET /v1/backuptargets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if t, ok := lookup(w, f.targets, "backup target", r.PathValue("name")); ok {
			writeJSON(w, http.StatusOK, t)
		}
	})
	mux.HandleFunc("DELETE /v1/backuptargets/{name}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") == "default" {
			writeError(w, http.StatusUnprocessableEntity, "the default backup target cannot be deleted; set its URL to empty to stop using it")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if t, ok := lookup(w, f.targets, "backup target", r.PathValue("name")); ok {
			delete(f.targets, t.Name)
			writeJSON(w, http.StatusOK, t)
		}
	})
	mux.HandleFunc("POST /v1/backuptargets/{name}", f.targetAction)
}

// checkTargetLocked validates a target's URL, poll interval and secret as
// the real API does and returns the interval as the server shows it.
func (f *Fake) checkTargetLocked(name string, in *apitypes.BackupTargetInput) (string, *httpError) {
	poll, err := parsePoll(in.PollInterval)
	if err != nil {
		return "", err
	}
	in.BackupTargetURL = strings.TrimSpace(in.BackupTargetURL)
	if err := checkTargetURL(in.BackupTargetURL); err != nil {
		return "", err
	}
	if in.CredentialSecret != "" {
		if _, ok := f.secrets[in.CredentialSecret]; !ok {
			return "", errorf(http.StatusUnprocessableEntity, "credential secret %s does not exist; create it first (POST /v1/secrets)", in.CredentialSecret)
		}
	}
	for _, t := range f.targets {
		if in.BackupTargetURL != "" && t.Name != name && t.BackupTargetURL == in.BackupTargetURL {
			return "", errorf(http.StatusConflict, "url %s is the same to backup target %s", in.BackupTargetURL, t.Name)
		}
	}
	return poll, nil
}

func (f *Fake) createTarget(w http.ResponseWriter, r *http.Request) {
	var in apitypes.BackupTargetInput
	if !readJSON(w, r, &in) {
		return
	}
	if err := checkName("backup target", in.Name, maxName); err != nil {
		err.write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	poll, err := f.checkTargetLocked(in.Name, &in)
	if err != nil {
		err.write(w)
		return
	}
	if _, ok := f.targets[in.Name]; ok {
		writeError(w, http.StatusConflict, "backup target %q already exists", in.Name)
		return
	}
	t := &apitypes.BackupTarget{Resource: apitypes.Resource{ID: in.Name, Type: "backupTarget"}, Name: in.Name,
		BackupTargetURL: in.BackupTargetURL, CredentialSecret: in.CredentialSecret, PollInterval: poll,
		Available: in.BackupTargetURL != ""}
	f.targets[in.Name] = t
	writeJSON(w, http.StatusOK, t)
}

func (f *Fake) targetAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	switch r.URL.Query().Get("action") {
	case "backupTargetUpdate":
		var in apitypes.BackupTargetInput
		if !readJSON(w, r, &in) {
			return
		}
		if in.Name != "" && in.Name != name {
			writeError(w, http.StatusUnprocessableEntity, "the body names target %s but the URL names %s", in.Name, name)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		poll, err := f.checkTargetLocked(name, &in)
		if err != nil {
			err.write(w)
			return
		}
		if t, ok := lookup(w, f.targets, "backup target", name); ok {
			t.BackupTargetURL, t.CredentialSecret, t.PollInterval = in.BackupTargetURL, in.CredentialSecret, poll
			t.Available = t.BackupTargetURL != ""
			writeJSON(w, http.StatusOK, t)
		}
	case "backupTargetSync":
		f.mu.Lock()
		defer f.mu.Unlock()
		if t, ok := lookup(w, f.targets, "backup target", name); ok {
			writeJSON(w, http.StatusOK, t)
		}
	default:
		unknownAction(w, r)
	}
}
