package benchvs

import (
	"context"
	"fmt"
)

// PhaseSamples is one run of one tool: its three phases, and for plinth
// the download of the source image into a copy.
type PhaseSamples struct {
	Cold, AllStored, Restore Sample
	Download                 Sample // plinth only
	// DurableRestore is restic's restore followed by an fsync of the file
	// (restic leaves it in the page cache); plinth's Restore already ends
	// with the copy durable.
	DurableRestore Sample
}

// runPlinth does one run of plinth's phases: a fresh target, image A by
// download (timed as the download line, not as a backup phase), a cold
// backup of A, image B (same content) and its backup, and a restore of A's
// backup, which is then checked byte for byte.
func runPlinth(ctx context.Context, d *daemon, gw *s3Server, run int, imageURL, sum string) (PhaseSamples, error) {
	var s PhaseSamples
	target := fmt.Sprintf("run%d", run)
	a, b, r := fmt.Sprintf("a-run%d", run), fmt.Sprintf("b-run%d", run), fmt.Sprintf("restored-run%d", run)
	if err := d.addTarget(ctx, gw, target); err != nil {
		return s, err
	}
	var err error
	if s.Download, err = d.phase(func() error { return d.createByDownload(ctx, a, imageURL, sum) }); err != nil {
		return s, err
	}
	var backupA string
	if s.Cold, err = d.phase(func() error {
		backupA, err = d.backup(ctx, a, target)
		return err
	}); err != nil {
		return s, err
	}
	if err := d.createByDownload(ctx, b, imageURL, sum); err != nil {
		return s, err
	}
	if s.AllStored, err = d.phase(func() error {
		_, err := d.backup(ctx, b, target)
		return err
	}); err != nil {
		return s, err
	}
	if s.Restore, err = d.phase(func() error { return d.restore(ctx, backupA, r) }); err != nil {
		return s, err
	}
	if err := d.checkRestored(ctx, r, sum); err != nil {
		return s, err
	}
	return s, d.cleanup(ctx, a, b, r)
}
