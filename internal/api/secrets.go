package api

import (
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

const (
	schemaSecret      = "secret"
	actionSecretRekey = "rekey"
)

var secretKeyRegexp = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// toSecret renders a secret's keys, never its values.
func toSecret(sec model.Secret) apitypes.Secret {
	keys := make([]string, 0, len(sec.Data))
	for k := range sec.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return apitypes.Secret{Name: sec.Name, Keys: keys}
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.d.Secrets.List(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	out := make([]apitypes.Secret, 0, len(list))
	for _, v := range list {
		out = append(out, toSecret(v.Value))
	}
	s.schemas.WriteCollection(w, r, schemaSecret, out)
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v, err := get(r, s.d.Secrets, "secret", name)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	res := toSecret(v.Value)
	s.schemas.WriteResource(w, r, http.StatusOK, schemaSecret, &res)
}

// postSecrets creates a secret, or runs a collection action.
func (s *Server) postSecrets(w http.ResponseWriter, r *http.Request) {
	switch a := r.URL.Query().Get("action"); a {
	case "":
		s.createSecret(w, r)
	case actionSecretRekey:
		s.rekeySecrets(w, r)
	default:
		writeErr(w, r, errkind.BadRequest("unknown action %q on secrets: use %s", a, actionSecretRekey))
	}
}

// rekeySecrets seals every secret under a new key and drops the old keys
// from the server's key file. The reply says how many secrets were
// rewritten and nothing about the keys.
func (s *Server) rekeySecrets(w http.ResponseWriter, r *http.Request) {
	s.rekeying.Lock()
	defer s.rekeying.Unlock()
	n, err := s.d.RekeySecrets(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.d.Log.Info("secrets rekeyed", "rewritten", n)
	rancher.WriteJSON(w, r, http.StatusOK, apitypes.SecretRekeyResult{Rewritten: n})
}

func (s *Server) createSecret(w http.ResponseWriter, r *http.Request) {
	s.rekeying.RLock()
	defer s.rekeying.RUnlock()
	var in apitypes.SecretCreateInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if err := checkName("secret", in.Name, maxName); err != nil {
		writeErr(w, r, err)
		return
	}
	if len(in.Data) == 0 {
		writeErr(w, r, errkind.Invalid("secret %s has no data: give data as {\"KEY\": \"value\"}", in.Name))
		return
	}
	for k, v := range in.Data {
		if !secretKeyRegexp.MatchString(k) {
			writeErr(w, r, errkind.Invalid("secret key %q is invalid: use letters, digits, '_', '-' or '.'", k))
			return
		}
		if k != "AWS_CERT" && k != "AZBLOB_CERT" && v != strings.TrimSpace(v) {
			writeErr(w, r, errkind.Invalid("the value of secret key %s has leading or trailing spaces or newlines; remove them", k))
			return
		}
	}
	sec := model.Secret{Name: in.Name, Data: in.Data}
	if _, err := s.d.Secrets.Create(r.Context(), sec.Name, sec); err != nil {
		if errors.Is(err, store.ErrExists) {
			err = errkind.Conflict("secret %s already exists; delete it first to replace it", sec.Name)
		}
		writeErr(w, r, err)
		return
	}
	res := toSecret(sec)
	s.schemas.WriteResource(w, r, http.StatusOK, schemaSecret, &res)
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	targets, _, err := s.d.Targets.List(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	for _, t := range targets {
		if t.Value.CredentialSecret == name {
			writeErr(w, r, errkind.Conflict("secret %s is used by backup target %s; change the target's credential secret first", name, t.Name))
			return
		}
	}
	if err := s.d.Secrets.Delete(r.Context(), name, 0); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = errkind.NotFound("secret %s not found", name)
		}
		writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
