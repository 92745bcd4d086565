package scrub

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/engine"
)

// Report is what VerifyImage found, one entry per local copy verified.
type Report struct {
	Image  string
	Copies []CopyReport
}

// VerifyImage verifies every copy of image name on this node now, at full
// speed, and repairs damaged blocks as the background scrub does (failed
// copies whose content is still there and has the image's checksum are
// verified too, and made ready again when intact). The copies' states and
// messages say what was found and repaired. It fails with an error
// matching ErrNoImage (and store.ErrNotFound) when there is no such image
// or it is being deleted, and with a store error if the image cannot be
// read; a copy that cannot be verified is reported in its CopyReport.Err.
func (s *Scrubber) VerifyImage(ctx context.Context, name string) (Report, error) {
	cur, err := s.BIs.Get(ctx, name)
	if isNotFound(err) || (err == nil && cur.Value.DeletionRequested != nil) {
		return Report{}, fmt.Errorf("verify %q: %w", name, ErrNoImage)
	}
	if err != nil {
		return Report{}, fmt.Errorf("verify %q: read the backing image: %w", name, err)
	}
	cands, err := s.localCopies(ctx, &cur.Value)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Image: name}
	for _, c := range cands {
		rep.Copies = append(rep.Copies, s.scrubCopy(ctx, c, engine.VerifyOptions{}, "verify"))
	}
	return rep, nil
}
