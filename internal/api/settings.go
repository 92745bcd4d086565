package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/settings"
)

func (s *Server) setting(r *http.Request, name string) (apitypes.Setting, error) {
	def, err := settings.Lookup(name)
	if errors.Is(err, settings.ErrUnknown) {
		return apitypes.Setting{}, errkind.NotFound("setting %s not found", name)
	}
	v, err := s.d.Settings.Get(r.Context(), name)
	if err != nil {
		return apitypes.Setting{}, err
	}
	d := def.SettingDefinition
	if d.Options == nil {
		d.Options = []string{}
	}
	return apitypes.Setting{Name: name, Value: v, Definition: d}, nil
}

func (s *Server) listSettings(w http.ResponseWriter, r *http.Request) {
	out := make([]apitypes.Setting, 0, len(settings.Definitions))
	for _, d := range settings.Definitions {
		st, err := s.setting(r, d.Name)
		if err != nil {
			writeErr(w, r, err)
			return
		}
		out = append(out, st)
	}
	s.schemas.WriteCollection(w, r, schemaSetting, out)
}

func (s *Server) getSetting(w http.ResponseWriter, r *http.Request) {
	st, err := s.setting(r, r.PathValue("name"))
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.schemas.WriteResource(w, r, http.StatusOK, schemaSetting, &st)
}

func (s *Server) putSetting(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.setting(r, name); err != nil {
		writeErr(w, r, err)
		return
	}
	var in apitypes.SettingInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if err := settings.Validate(name, in.Value); err != nil {
		writeErr(w, r, errkind.Invalid("%v", err))
		return
	}
	if err := s.checkCopiesSettings(r, name, in.Value); err != nil {
		writeErr(w, r, err)
		return
	}
	if err := s.d.Settings.Set(r.Context(), name, in.Value); err != nil {
		writeErr(w, r, err)
		return
	}
	s.getSetting(w, r)
}

// checkCopiesSettings keeps the default number of copies within the
// maximum: a 422 when the new value of either would break that.
func (s *Server) checkCopiesSettings(r *http.Request, name, value string) error {
	n, _ := strconv.Atoi(value) // Validate accepted it as an int
	switch name {
	case settings.DefaultMinCopies:
		if limit := s.d.Settings.Int(r.Context(), settings.MaxCopies); n > limit {
			return errkind.Invalid("setting %s must not exceed setting %s (%d), got %d; raise %s first", name, settings.MaxCopies, limit, n, settings.MaxCopies)
		}
	case settings.MaxCopies:
		if def := s.d.Settings.Int(r.Context(), settings.DefaultMinCopies); n < def {
			return errkind.Invalid("setting %s must not be below setting %s (%d), got %d; lower %s first", name, settings.DefaultMinCopies, def, n, settings.DefaultMinCopies)
		}
	}
	return nil
}
