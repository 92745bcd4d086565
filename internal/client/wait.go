package client

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// Poll says how Wait* helpers poll: every Interval (default 1 s), telling
// Observe (if set) about every version of the object they read, which is how
// callers draw progress.
type Poll[T any] struct {
	Interval time.Duration
	Observe  func(T)
}

// ErrFailed marks an object that reached a terminal failure while being
// waited for; the wrapping error carries the server's message.
var ErrFailed = errors.New("failed")

// WaitBackingImage polls a backing image until pred says done or fails, or
// ctx ends. It returns the last version read.
func (c *Client) WaitBackingImage(ctx context.Context, name string,
	pred func(*apitypes.BackingImage) (bool, error), poll Poll[*apitypes.BackingImage]) (*apitypes.BackingImage, error) {
	return waitFor(ctx, func(ctx context.Context) (*apitypes.BackingImage, error) {
		return c.GetBackingImage(ctx, name)
	}, pred, poll)
}

// WaitBackup polls a backup until pred says done or fails, or ctx ends.
func (c *Client) WaitBackup(ctx context.Context, name string,
	pred func(*apitypes.BackupBackingImage) (bool, error), poll Poll[*apitypes.BackupBackingImage]) (*apitypes.BackupBackingImage, error) {
	return waitFor(ctx, func(ctx context.Context) (*apitypes.BackupBackingImage, error) {
		return c.GetBackup(ctx, name)
	}, pred, poll)
}

func waitFor[T any](ctx context.Context, get func(context.Context) (T, error), pred func(T) (bool, error), poll Poll[T]) (T, error) {
	interval := poll.Interval
	if interval <= 0 {
		interval = time.Second
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		obj, err := get(ctx)
		if err != nil {
			return obj, err
		}
		if poll.Observe != nil {
			poll.Observe(obj)
		}
		done, err := pred(obj)
		if err != nil || done {
			return obj, err
		}
		select {
		case <-ctx.Done():
			return obj, fmt.Errorf("stopped waiting: %w", ctx.Err())
		case <-ticker.C:
		}
	}
}

// ImageSummary condenses a backing image's copies into one state for
// people: "ready" once any copy is ready, "failed" when every copy failed,
// "in-progress" with the best copy's percentage, else "pending"; and
// "deleting" while a deletion is under way.
type ImageSummary struct {
	State    string
	Progress int
	Ready    int
	Copies   int
	// Message is the first failed copy's message (by disk UUID order).
	Message string
}

// SummarizeBackingImage computes the ImageSummary of bi.
func SummarizeBackingImage(bi *apitypes.BackingImage) ImageSummary {
	s := ImageSummary{State: apitypes.StatePending, Copies: len(bi.DiskFileStatusMap)}
	disks := make([]string, 0, len(bi.DiskFileStatusMap))
	for d := range bi.DiskFileStatusMap {
		disks = append(disks, d)
	}
	sort.Strings(disks)
	failed, inProgress := 0, 0
	for _, d := range disks {
		f := bi.DiskFileStatusMap[d]
		if f == nil {
			continue
		}
		switch f.State {
		case apitypes.StateReady:
			s.Ready++
		case apitypes.StateFailed:
			failed++
			if s.Message == "" {
				s.Message = f.Message
			}
		case apitypes.StateInProgress:
			inProgress++
		}
		s.Progress = max(s.Progress, f.Progress)
	}
	switch {
	case bi.DeletionTimestamp != "":
		s.State = "deleting"
	case s.Ready > 0:
		s.State, s.Progress = apitypes.StateReady, 100
	case failed > 0 && failed == s.Copies:
		s.State = apitypes.StateFailed
	case inProgress > 0:
		s.State = apitypes.StateInProgress
	}
	return s
}

// BackingImageReady is a WaitBackingImage predicate: done once a copy is
// ready, ErrFailed (with the copy's message) once every copy failed.
func BackingImageReady(bi *apitypes.BackingImage) (bool, error) {
	s := SummarizeBackingImage(bi)
	switch s.State {
	case apitypes.StateReady:
		return true, nil
	case apitypes.StateFailed:
		return false, fmt.Errorf("backing image %q %w: %s", bi.Name, ErrFailed, s.Message)
	}
	return false, nil
}

// BackupCompleted is a WaitBackup predicate: done at Completed, ErrFailed
// (with the backup's error) at Error.
func BackupCompleted(b *apitypes.BackupBackingImage) (bool, error) {
	switch b.State {
	case apitypes.BackupStateCompleted:
		return true, nil
	case apitypes.BackupStateError:
		return false, fmt.Errorf("backup %q %w: %s", b.Name, ErrFailed, b.Error)
	}
	return false, nil
}
