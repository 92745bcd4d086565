package api

import (
	"errors"
	"net/http"

	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/store"
)

// actionVerify is plinth's extension action on a backing image: verify
// every copy on this node against its block manifest now, repairing what
// can be repaired.
const actionVerify = "verify"

// verify serves POST /v1/backingimages/{name}?action=verify: it runs
// Deps.Verify (the scrub at full speed, with repairs) and answers with
// the backing image, whose copies' states and messages say what was found
// and repaired. An unknown image is a 404; a daemon without a verifier a
// 503.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.backingImage(r); err != nil {
		writeErr(w, r, err)
		return
	}
	if s.d.Verify == nil {
		writeErr(w, r, errkind.Unavailable("this server cannot verify copies (no scrubber is running); restart the daemon"))
		return
	}
	if err := s.d.Verify(r.Context(), name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = errkind.NotFound("backing image %s not found", name)
		}
		writeErr(w, r, err)
		return
	}
	bi, err := s.backingImage(r)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	s.writeBackingImage(w, r, bi)
}
