package scrub

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Kind is the store kind of the scrub records. Watchers of the store
// ignore it (it is no resource of the API).
const Kind = "scrubs"

// Record is when each copy on one node was last scrubbed, kept in the
// store (one record per node, named after it) so it survives restarts.
// Keys are "<image>-<uuid>@<disk UUID>".
type Record struct {
	Node   string               `json:"node"`
	Copies map[string]time.Time `json:"copies"`
}

// NewKind returns the store kind of the scrub records.
func NewKind(cli *clientv3.Client) *store.Kind[Record] { return store.NewKind[Record](cli, Kind) }

func copyKey(bi model.BackingImage, diskUUID string) string {
	return copyID(bi).String() + "@" + diskUUID
}

// lastScrubs returns this node's record's times (empty when none yet).
func (s *Scrubber) lastScrubs(ctx context.Context) (map[string]time.Time, error) {
	v, err := s.Scrubs.Get(ctx, s.NodeID)
	if isNotFound(err) {
		return map[string]time.Time{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the scrub record of node %s: %w", s.NodeID, err)
	}
	if v.Value.Copies == nil {
		return map[string]time.Time{}, nil
	}
	return v.Value.Copies, nil
}

// mutate changes this node's record, creating it if needed.
func (s *Scrubber) mutate(ctx context.Context, fn func(copies map[string]time.Time) bool) error {
	ctx = context.WithoutCancel(ctx)
	_, err := s.Scrubs.Mutate(ctx, s.NodeID, func(r *Record) error {
		if r.Copies == nil {
			r.Copies = map[string]time.Time{}
		}
		if !fn(r.Copies) {
			return store.ErrNoChange
		}
		return nil
	})
	if isNotFound(err) {
		r := Record{Node: s.NodeID, Copies: map[string]time.Time{}}
		fn(r.Copies)
		_, err = s.Scrubs.Create(ctx, s.NodeID, r)
		if errors.Is(err, store.ErrExists) { // created meanwhile: try again
			return s.mutate(ctx, fn)
		}
	}
	if err != nil && !errors.Is(err, store.ErrNoChange) {
		return fmt.Errorf("update the scrub record of node %s: %w", s.NodeID, err)
	}
	return nil
}

// scrubbed records that copy key was scrubbed at.
func (s *Scrubber) scrubbed(ctx context.Context, key string, at time.Time) {
	if err := s.mutate(ctx, func(c map[string]time.Time) bool { c[key] = at; return true }); err != nil {
		s.log().Warn("record a scrub", "copy", key, "err", err)
	}
}

// prune drops the times of copies no longer on this node.
func (s *Scrubber) prune(ctx context.Context, cands []candidate) {
	keep := map[string]bool{}
	for _, c := range cands {
		keep[copyKey(c.bi, c.diskUUID)] = true
	}
	err := s.mutate(ctx, func(c map[string]time.Time) bool {
		before := len(c)
		maps.DeleteFunc(c, func(k string, _ time.Time) bool { return !keep[k] })
		return len(c) != before
	})
	if err != nil {
		s.log().Warn("prune the scrub record", "err", err)
	}
}
