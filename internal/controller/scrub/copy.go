package scrub

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// CopyReport is what one copy's verify found and did.
type CopyReport struct {
	DiskUUID string
	DiskName string
	// Damaged are the offsets of the blocks found damaged (empty: clean).
	Damaged []int64
	// Repaired maps each repaired block's offset to where its bytes came
	// from ("the copy on disk d1", "a backup", "zeros (a zero block)").
	Repaired map[int64]string
	// Unrepaired are the damaged blocks no source could give.
	Unrepaired []int64
	// State and Message are what the copy was left with.
	State   string
	Message string
	// Err is set when the copy could not be verified at all (a read error,
	// ctx ended); the copy's state is left as it was.
	Err error
}

// scrubCopy verifies copy c with opts and, on damage, fails it, repairs
// it, verifies it again and records the outcome. why names the caller in
// messages ("scrub", "verify").
func (s *Scrubber) scrubCopy(ctx context.Context, c candidate, opts engine.VerifyOptions, why string) CopyReport {
	key := copyKey(c.bi, c.diskUUID)
	defer s.lock(key)()
	id := copyID(c.bi)
	rep := CopyReport{DiskUUID: c.diskUUID, DiskName: c.ref.Name, State: c.bi.Status.Copies[c.diskUUID].State}
	_, err := c.ref.Disk.Verify(ctx, id, opts)
	var de *engine.DamagedError
	switch {
	case err == nil:
		if rep.State == apitypes.StateFailed {
			rep.State, rep.Message = s.setState(ctx, c, apitypes.StateFailed, apitypes.StateReady,
				fmt.Sprintf("%s at %s: the copy is intact again (every block matches its manifest)", why, s.now().Format("2006-01-02T15:04:05Z")))
		}
		s.scrubbed(ctx, key, s.now())
		return rep
	case errors.As(err, &de):
	default:
		rep.Err = fmt.Errorf("verify copy of %s on disk %s: %w", c.bi.Name, c.ref.Name, err)
		if ctx.Err() == nil {
			s.log().Warn("scrub could not verify a copy", "image", c.bi.Name, "disk", c.ref.Name, "err", err)
			s.scrubbed(ctx, key, s.now()) // try again next interval, not in a loop
		}
		return rep
	}
	s.log().Warn("scrub found a damaged copy", "image", c.bi.Name, "disk", c.ref.Name, "damage", de)
	rep.Damaged = de.Offsets
	s.setState(ctx, c, "", apitypes.StateFailed, de.Error())
	if de.Whole || len(de.Offsets) == 0 {
		rep.State, rep.Message = apitypes.StateFailed, de.Error()+wholeAdvice
		s.setState(ctx, c, apitypes.StateFailed, apitypes.StateFailed, rep.Message)
		s.scrubbed(ctx, key, s.now())
		return rep
	}
	rep.Repaired, rep.Unrepaired = s.repair(ctx, c, de.Offsets)
	rep.State, rep.Message = s.afterRepair(ctx, c, rep, why)
	s.scrubbed(ctx, key, s.now())
	return rep
}

const wholeAdvice = "; its blocks cannot be told apart (the copy has no manifest), so it cannot be repaired in place: " +
	"remove the copy (backingImageCleanup) so it is made again from another copy, or restore the image from a backup"

// afterRepair verifies the copy again and records the outcome.
func (s *Scrubber) afterRepair(ctx context.Context, c candidate, rep CopyReport, why string) (string, string) {
	_, err := c.ref.Disk.Verify(ctx, copyID(c.bi), engine.VerifyOptions{})
	var de *engine.DamagedError
	switch {
	case err == nil:
		msg := fmt.Sprintf("%s at %s found %s damaged and repaired %s", why, s.now().Format("2006-01-02T15:04:05Z"),
			engine.DescribeBlocks(rep.Damaged), describeSources(rep.Repaired))
		return s.setState(ctx, c, apitypes.StateFailed, apitypes.StateReady, msg)
	case errors.As(err, &de):
		msg := de.Error()
		if len(rep.Unrepaired) > 0 {
			msg = fmt.Sprintf("%s; no ready copy on node %s and no backup of the image with its checksum holds %s: "+
				"remove this copy (backingImageCleanup) so it is made again from a copy on another node, "+
				"or back up a good copy and run plinth backing-image verify %s again",
				de.Error(), s.NodeID, engine.DescribeBlocks(rep.Unrepaired), c.bi.Name)
		}
		return s.setState(ctx, c, apitypes.StateFailed, apitypes.StateFailed, msg)
	default:
		msg := fmt.Sprintf("repaired blocks could not be verified again: %v; run plinth backing-image verify %s", err, c.bi.Name)
		return s.setState(ctx, c, apitypes.StateFailed, apitypes.StateFailed, msg)
	}
}

// describeSources says which blocks came from where, grouped by source.
func describeSources(repaired map[int64]string) string {
	bySource := map[string][]int64{}
	var order []string
	for _, off := range sortedOffsets(repaired) {
		src := repaired[off]
		if _, ok := bySource[src]; !ok {
			order = append(order, src)
		}
		bySource[src] = append(bySource[src], off)
	}
	parts := make([]string, 0, len(order))
	for _, src := range order {
		parts = append(parts, fmt.Sprintf("%s from %s", engine.DescribeBlocks(bySource[src]), src))
	}
	return strings.Join(parts, "; ")
}

// setState moves the copy from state from ("" for ready) to state to with
// msg, if it is still that copy in that state, and returns the state and
// message it has afterwards.
func (s *Scrubber) setState(ctx context.Context, c candidate, from, to, msg string) (string, string) {
	if from == "" {
		from = apitypes.StateReady
	}
	changed := false
	bi, err := s.BIs.Mutate(context.WithoutCancel(ctx), c.bi.Name, func(bi *model.BackingImage) error {
		changed = false
		cp := bi.Status.Copies[c.diskUUID]
		if bi.UUID != c.bi.UUID || bi.DeletionRequested != nil || cp == nil || cp.Cleanup || cp.NodeID != s.NodeID {
			return store.ErrNoChange
		}
		if (cp.State != from && cp.State != to) || (cp.State == to && cp.Message == msg) {
			return store.ErrNoChange
		}
		cp.SetState(to, msg, s.now())
		changed = true
		return nil
	})
	if err != nil {
		if !isNotFound(err) {
			s.log().Warn("record a copy's scrub", "image", c.bi.Name, "disk", c.ref.Name, "err", err)
		}
		return to, msg
	}
	if changed && s.Enqueue != nil {
		s.Enqueue(c.bi.Name)
	}
	if cp := bi.Status.Copies[c.diskUUID]; cp != nil {
		return cp.State, cp.Message
	}
	return to, msg
}
