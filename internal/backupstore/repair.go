package backupstore

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
)

// RepairReport is the outcome of Repair.
type RepairReport struct {
	// VerifyReport is the state after the repair: a second full verify
	// when any block was rewritten, else the first one.
	VerifyReport
	// Repaired lists the bad blocks rewritten from the local copy, one
	// per block ID (at the first offset that uses it).
	Repaired []BlockProblem
	// Unrepaired lists the bad blocks left as they were; Reason says why
	// (the local copy's bytes at that offset have another SHA-512, ...).
	Unrepaired []BlockProblem
}

// Repair verifies backup name like Verify and then rewrites every missing
// or corrupt block from src, a local copy of the same image: each block's
// range is read from src at the offset the cfg gives, its SHA-512 must
// equal the block ID (bytes that differ are never uploaded: the block is
// listed in Unrepaired), and it is compressed with the backup's method and
// Put over the damaged object. A rewritten block is forgotten by the
// BadBlockRecord. When anything was rewritten the backup is verified again
// and that second report is returned. Errors are those of Verify, plus a
// failed write of a repaired block.
func (s *Store) Repair(ctx context.Context, name string, src Source, opts VerifyOptions) (RepairReport, error) {
	var rep RepairReport
	waited, err := s.withLock(ctx, lock.Backup, func(ctx context.Context) error {
		return s.repairLocked(ctx, name, src, opts, &rep)
	})
	rep.LockWait = waited
	if err != nil {
		return rep, fmt.Errorf("repair backup %q: %w", name, err)
	}
	return rep, nil
}

func (s *Store) repairLocked(ctx context.Context, name string, src Source, opts VerifyOptions, rep *RepairReport) error {
	rep.VerifyReport = VerifyReport{Name: name}
	cfg, err := s.verifyLocked(ctx, name, opts, &rep.VerifyReport)
	if err != nil || rep.OK() {
		return err
	}
	problems := append(append([]BlockProblem(nil), rep.Missing...), rep.Corrupt...)
	if src.Size() != int64(cfg.Size) {
		why := fmt.Sprintf("the local copy is %d bytes, the backup %d: it is not the same image", src.Size(), int64(cfg.Size))
		rep.Unrepaired = withReason(problems, why)
		return nil
	}
	enc, err := blockcodec.NewEncoder(cfg.Compression())
	if err != nil {
		return fmt.Errorf("compress repaired blocks as the backup's %q: %w", cfg.Compression(), err)
	}
	seen := make(map[string]struct{}, len(problems))
	for _, p := range problems {
		id, ok := format.IDFromBlockKey(p.Key)
		if _, dup := seen[id]; dup || !ok {
			continue
		}
		seen[id] = struct{}{}
		why, err := s.rewriteBlock(ctx, enc, src, id, p.Offset)
		if err != nil {
			return err
		}
		if why != "" {
			p.Reason = why
			rep.Unrepaired = append(rep.Unrepaired, p)
			continue
		}
		rep.Repaired = append(rep.Repaired, p)
	}
	if len(rep.Repaired) == 0 {
		return nil
	}
	after := VerifyReport{Name: name}
	if _, err := s.verifyLocked(ctx, name, opts, &after); err != nil {
		return fmt.Errorf("verify after rewriting %d blocks: %w", len(rep.Repaired), err)
	}
	rep.VerifyReport = after
	return nil
}

// rewriteBlock reads block id at off from src and, if its bytes hash to
// id, writes it to the pool. It returns why the block was not rewritten
// ("" when it was), or an error when the write failed.
func (s *Store) rewriteBlock(ctx context.Context, enc *blockcodec.Encoder, src Source, id string, off int64) (string, error) {
	buf := make([]byte, windowLen(off/format.BlockSize, src.Size()))
	if _, err := src.ReadAt(buf, off); err != nil {
		return fmt.Sprintf("read the local copy at offset %d: %v", off, err), nil
	}
	if got := format.BlockID(buf); got != id {
		return fmt.Sprintf("content differs: the local copy's bytes at offset %d have SHA-512 %s, not the block's; nothing was written", off, got), nil
	}
	payload, err := enc.Encode(buf)
	if err != nil {
		return "", fmt.Errorf("compress block %s: %w", id, err)
	}
	key := format.BlockKey(id)
	if err := s.tgt.Put(ctx, key, payload); err != nil {
		return "", &BlockError{Key: key, Offset: off, Err: err}
	}
	s.known.Add(id)
	s.healed(ctx, id)
	return "", nil
}

func withReason(ps []BlockProblem, why string) []BlockProblem {
	out := make([]BlockProblem, len(ps))
	for i, p := range ps {
		p.Reason = why
		out[i] = p
	}
	return out
}
