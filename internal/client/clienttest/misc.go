package clienttest

import (
	"net/http"
	"sort"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func (f *Fake) routeTargets(mux *http.ServeMux) {
	serveList(f, mux, "GET /v1/backuptargets", "backupTarget", f.targets)
	mux.HandleFunc("POST /v1/backuptargets", func(w http.ResponseWriter, r *http.Request) {
		var in apitypes.BackupTargetInput
		if !readJSON(w, r, &in) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.targets[in.Name]; ok {
			writeError(w, http.StatusConflict, "backup target %q already exists", in.Name)
			return
		}
		if in.BackupTargetURL == "" {
			writeError(w, http.StatusBadRequest, "backupTargetURL is required")
			return
		}
		t := &apitypes.BackupTarget{Resource: apitypes.Resource{ID: in.Name, Type: "backupTarget"}, Name: in.Name,
			BackupTargetURL: in.BackupTargetURL, CredentialSecret: in.CredentialSecret, PollInterval: in.PollInterval}
		f.targets[in.Name] = t
		writeJSON(w, http.StatusCreated, t)
	})
	mux.HandleFunc("GET /v1/backuptargets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if t, ok := f.target(w, r); ok {
			writeJSON(w, http.StatusOK, t)
		}
	})
	mux.HandleFunc("DELETE /v1/backuptargets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if t, ok := f.target(w, r); ok {
			delete(f.targets, t.Name)
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("POST /v1/backuptargets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		t, ok := f.target(w, r)
		if !ok {
			return
		}
		switch r.URL.Query().Get("action") {
		case "backupTargetUpdate":
			var in apitypes.BackupTargetInput
			if readJSON(w, r, &in) {
				t.BackupTargetURL, t.CredentialSecret, t.PollInterval = in.BackupTargetURL, in.CredentialSecret, in.PollInterval
				writeJSON(w, http.StatusOK, t)
			}
		case "backupTargetSync":
			t.Available = true
			writeJSON(w, http.StatusOK, t)
		default:
			unknownAction(w, r)
		}
	})
}

func (f *Fake) target(w http.ResponseWriter, r *http.Request) (*apitypes.BackupTarget, bool) {
	t, ok := lookup(w, f.targets, "backup target", r.PathValue("name"))
	if !ok {
	}
	return t, ok
}

func secretOf(name string, data map[string]string) apitypes.Secret {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return apitypes.Secret{Resource: apitypes.Resource{ID: name, Type: "secret"}, Name: name, Keys: keys}
}

func (f *Fake) routeMisc(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/secrets", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		names := make([]string, 0, len(f.secrets))
		for n := range f.secrets {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]apitypes.Secret, 0, len(names))
		for _, n := range names {
			out = append(out, secretOf(n, f.secrets[n]))
		}
		writeCollection(w, "secret", out)
	})
	mux.HandleFunc("POST /v1/secrets", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Query().Get("action") == "rekey" {
			writeJSON(w, http.StatusOK, apitypes.SecretRekeyResult{Rewritten: len(f.secrets)})
			return
		}
		var in apitypes.SecretCreateInput
		if !readJSON(w, r, &in) {
			return
		}
		if _, ok := f.secrets[in.Name]; ok {
			writeError(w, http.StatusConflict, "secret %q already exists", in.Name)
			return
		}
		f.secrets[in.Name] = in.Data
		writeJSON(w, http.StatusCreated, secretOf(in.Name, in.Data))
	})
	mux.HandleFunc("GET /v1/secrets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		data, ok := lookup(w, f.secrets, "secret", r.PathValue("name"))
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, secretOf(r.PathValue("name"), data))
	})
	mux.HandleFunc("DELETE /v1/secrets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := lookup(w, f.secrets, "secret", r.PathValue("name")); !ok {
			return
		}
		delete(f.secrets, r.PathValue("name"))
		w.WriteHeader(http.StatusNoContent)
	})
	f.routeSettings(mux)
	f.routeNodes(mux)
}

func (f *Fake) routeSettings(mux *http.ServeMux) {
	serveList(f, mux, "GET /v1/settings", "setting", f.settings)
	mux.HandleFunc("GET /v1/settings/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		s, ok := lookup(w, f.settings, "setting", r.PathValue("name"))
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, s)
	})
	mux.HandleFunc("PUT /v1/settings/{name}", func(w http.ResponseWriter, r *http.Request) {
		var in apitypes.SettingInput
		if !readJSON(w, r, &in) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		s, ok := lookup(w, f.settings, "setting", r.PathValue("name"))
		if !ok {
			return
		}
		if s.Definition.Type == "int" && in.Value != "" && (in.Value[0] < '0' || in.Value[0] > '9') {
			writeError(w, http.StatusUnprocessableEntity, "setting %q takes an integer, got %q", s.Name, in.Value)
			return
		}
		s.Value = in.Value
		writeJSON(w, http.StatusOK, s)
	})
}

func (f *Fake) routeNodes(mux *http.ServeMux) {
	serveList(f, mux, "GET /v1/nodes", "node", f.nodes)
	mux.HandleFunc("GET /v1/nodes/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		n, ok := lookup(w, f.nodes, "node", r.PathValue("id"))
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, n)
	})
	mux.HandleFunc("POST /v1/nodes/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") != "diskUpdate" {
			unknownAction(w, r)
			return
		}
		var in apitypes.DiskUpdateInput
		if !readJSON(w, r, &in) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		n, ok := lookup(w, f.nodes, "node", r.PathValue("id"))
		if !ok {
			return
		}
		disks := map[string]apitypes.DiskInfo{}
		for name, spec := range in.Disks {
			info := n.Disks[name]
			if info.DiskUUID == "" {
				info.DiskUUID = "uuid-" + name
			}
			info.DiskSpec = spec
			disks[name] = info
		}
		n.Disks = disks
		writeJSON(w, http.StatusOK, n)
	})
}
