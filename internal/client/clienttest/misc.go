package clienttest

import (
	"errors"
	"net/http"
	"sort"
	"strconv"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/settings"
)

func secretOf(name string, data map[string]string) apitypes.Secret {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return apitypes.Secret{Resource: apitypes.Resource{ID: name, Type: "secret"}, Name: name, Keys: keys}
}

func (f *Fake) routeSecrets(mux *http.ServeMux) {
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
	mux.HandleFunc("POST /v1/secrets", f.postSecrets)
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
		name := r.PathValue("name")
		for _, t := range sortedValues(f.targets) {
			if t.CredentialSecret == name {
				writeError(w, http.StatusConflict, "secret %s is used by backup target %s; change the target's credential secret first", name, t.Name)
				return
			}
		}
		if _, ok := lookup(w, f.secrets, "secret", name); !ok {
			return
		}
		delete(f.secrets, name)
		w.WriteHeader(http.StatusOK)
	})
}

func (f *Fake) postSecrets(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("action") {
	case "":
	case "rekey":
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, http.StatusOK, apitypes.SecretRekeyResult{Rewritten: len(f.secrets)})
		return
	default:
		unknownAction(w, r)
		return
	}
	var in apitypes.SecretCreateInput
	if !readJSON(w, r, &in) {
		return
	}
	if err := checkSecretInput(in); err != nil {
		err.write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.secrets[in.Name]; ok {
		writeError(w, http.StatusConflict, "secret %q already exists", in.Name)
		return
	}
	f.secrets[in.Name] = in.Data
	writeJSON(w, http.StatusOK, secretOf(in.Name, in.Data))
}

// settingOf renders a setting with its definition, as the server does.
func (f *Fake) settingOf(name string) (apitypes.Setting, bool) {
	def, err := settings.Lookup(name)
	if errors.Is(err, settings.ErrUnknown) {
		return apitypes.Setting{}, false
	}
	d := def.SettingDefinition
	if d.Options == nil {
		d.Options = []string{}
	}
	return apitypes.Setting{Resource: apitypes.Resource{ID: name, Type: "setting"}, Name: name, Value: f.setting(name), Definition: d}, true
}

func (f *Fake) routeSettings(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/settings", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		out := make([]apitypes.Setting, 0, len(settings.Definitions))
		for _, d := range settings.Definitions {
			s, _ := f.settingOf(d.Name)
			out = append(out, s)
		}
		writeCollection(w, "setting", out)
	})
	mux.HandleFunc("GET /v1/settings/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if s, ok := f.settingOf(r.PathValue("name")); ok {
			writeJSON(w, http.StatusOK, s)
			return
		}
		writeError(w, http.StatusNotFound, "setting %s not found", r.PathValue("name"))
	})
	mux.HandleFunc("PUT /v1/settings/{name}", f.putSetting)
}

func (f *Fake) putSetting(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.settingOf(name); !ok {
		writeError(w, http.StatusNotFound, "setting %s not found", name)
		return
	}
	var in apitypes.SettingInput
	if !readJSON(w, r, &in) {
		return
	}
	if err := settings.Validate(name, in.Value); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "%v", err)
		return
	}
	n, _ := strconv.Atoi(in.Value)
	switch {
	case name == settings.DefaultMinCopies && n > atoi(f.setting(settings.MaxCopies)):
		writeError(w, http.StatusUnprocessableEntity, "setting %s must not exceed setting %s", name, settings.MaxCopies)
		return
	case name == settings.MaxCopies && n < atoi(f.setting(settings.DefaultMinCopies)):
		writeError(w, http.StatusUnprocessableEntity, "setting %s must not be below setting %s", name, settings.DefaultMinCopies)
		return
	}
	f.settings[name] = in.Value
	s, _ := f.settingOf(name)
	writeJSON(w, http.StatusOK, s)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
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
