package backup

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// Verify reads every block of backup name and reports what is wrong. Bad
// blocks are remembered for the backup's target, so the next backup of
// their content uploads them again instead of reusing them. With
// in.Repair, each bad block is also rewritten from a ready local copy of a
// backing image with the backup's SHA-512 (the backup's own image first);
// a block whose local bytes do not match its ID is never uploaded and is
// listed in Unrepaired. Errors (errkind): 404 for an unknown backup; 409
// when the target holds no complete backup of the image, or a repair finds
// no ready local copy with the same checksum; 503 when the target is
// unavailable.
func (s *Service) Verify(ctx context.Context, name string, in apitypes.BackupVerifyInput) (apitypes.BackupVerifyReport, error) {
	b, st, release, err := s.verifyTarget(ctx, name)
	defer release()
	if err != nil {
		return apitypes.BackupVerifyReport{}, err
	}
	if !in.Repair {
		rep, err := st.Verify(ctx, b.BackingImageName, backupstore.VerifyOptions{})
		if err != nil {
			return apitypes.BackupVerifyReport{}, verifyError(b, err)
		}
		return toReport(name, rep), nil
	}
	src, image, err := s.repairSource(ctx, b)
	if err != nil {
		return apitypes.BackupVerifyReport{}, err
	}
	defer src.Close()
	rep, err := st.Repair(ctx, b.BackingImageName, src, backupstore.VerifyOptions{})
	if err != nil {
		return apitypes.BackupVerifyReport{}, verifyError(b, err)
	}
	out := toReport(name, rep.VerifyReport)
	out.Repaired, out.RepairSource = len(rep.Repaired), image
	for _, p := range rep.Unrepaired {
		out.Unrepaired = append(out.Unrepaired, apitypes.BadBlock{Offset: p.Offset, Key: p.Key, Reason: p.Reason})
	}
	return out, nil
}

// verifyTarget returns the backup record and its target's store, and the
// release of the store's reference, to call in every case (also on error).
func (s *Service) verifyTarget(ctx context.Context, name string) (model.Backup, *backupstore.Store, func(), error) {
	noop := func() {}
	v, err := s.Records.Backups.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return model.Backup{}, nil, noop, errkind.NotFound("backup backing image %s not found", name)
	}
	if err != nil {
		return model.Backup{}, nil, noop, err
	}
	b := v.Value
	st, bt, release, err := s.Stores.Acquire(ctx, b.BackupTargetName)
	if err != nil {
		return b, nil, release, err
	}
	if err := checkAvailable(ctx, st, bt); err != nil {
		return b, nil, release, err
	}
	return b, st, release, nil
}

func verifyError(b model.Backup, err error) error {
	switch {
	case errors.Is(err, backupstore.ErrNotFound):
		return errkind.Conflict("backup %s: target %s holds no backup of %s", b.Name, b.BackupTargetName, b.BackingImageName)
	case errors.Is(err, backupstore.ErrInProgress):
		return errkind.Conflict("backup %s is still in progress on target %s", b.Name, b.BackupTargetName)
	}
	return err
}

// repairSource opens a ready local copy of a backing image whose checksum
// is the backup's: the backup's own image first, then any other in name
// order. It returns the copy and the image's name, or a 409 saying why
// there is none.
func (s *Service) repairSource(ctx context.Context, b model.Backup) (CopySource, string, error) {
	sum := strings.ToLower(b.Status.Checksum)
	if !sha512Hex.MatchString(sum) {
		return nil, "", errkind.Conflict("backup %s records no SHA-512 checksum to match a local copy against, so it cannot be repaired", b.Name)
	}
	if s.OpenCopy == nil {
		return nil, "", errkind.Conflict("backup %s cannot be repaired: this server reads no local copies", b.Name)
	}
	list, _, err := s.BIs.List(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("list backing images to find a local copy for repair: %w", err)
	}
	sort.SliceStable(list, func(i, j int) bool {
		if own := b.BackingImageName; (list[i].Name == own) != (list[j].Name == own) {
			return list[i].Name == own
		}
		return list[i].Name < list[j].Name
	})
	for _, v := range list {
		if !strings.EqualFold(v.Value.Status.CurrentChecksum, sum) || v.Value.DeletionRequested != nil {
			continue
		}
		if src, err := s.OpenCopy(ctx, v.Value); err == nil {
			return src.Source, v.Name, nil
		}
	}
	return nil, "", errkind.Conflict("backup %s cannot be repaired: no backing image with its checksum %s has a ready local copy; "+
		"create one with the same content (download or upload it), then repair again", b.Name, shortSum(sum))
}

func shortSum(sum string) string {
	if len(sum) > 16 {
		return sum[:16] + "..."
	}
	return sum
}

func toReport(name string, rep backupstore.VerifyReport) apitypes.BackupVerifyReport {
	out := apitypes.BackupVerifyReport{Name: name, Blocks: int(rep.Blocks), Checksum: rep.Checksum,
		ChecksumMatch: rep.ChecksumOK, OK: rep.OK(), BadBlocks: []apitypes.BadBlock{}, Unrepaired: []apitypes.BadBlock{}}
	for _, p := range rep.Missing {
		out.BadBlocks = append(out.BadBlocks, apitypes.BadBlock{Offset: p.Offset, Key: p.Key, Reason: "missing: " + p.Reason})
	}
	for _, p := range rep.Corrupt {
		out.BadBlocks = append(out.BadBlocks, apitypes.BadBlock{Offset: p.Offset, Key: p.Key, Reason: "corrupt: " + p.Reason})
	}
	return out
}
