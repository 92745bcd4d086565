package backup

import (
	"context"
	"sync"
)

// runningOps tracks the backups and restores running on each target, so
// deleting a target can stop them first.
type runningOps struct {
	mu   sync.Mutex
	seq  int
	byTg map[string]map[int]*runningOp
}

type runningOp struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Track registers an operation on target; call the returned func when it
// has finished.
func (s *Stores) Track(target string, cancel context.CancelFunc) (finished func()) {
	r := &s.ops
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byTg == nil {
		r.byTg = map[string]map[int]*runningOp{}
	}
	if r.byTg[target] == nil {
		r.byTg[target] = map[int]*runningOp{}
	}
	r.seq++
	id, op := r.seq, &runningOp{cancel: cancel, done: make(chan struct{})}
	r.byTg[target][id] = op
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			delete(r.byTg[target], id)
			r.mu.Unlock()
			close(op.done)
		})
	}
}

// CancelTarget cancels every operation running on target and waits until
// they have finished or ctx ends; it reports whether all finished.
func (s *Stores) CancelTarget(ctx context.Context, target string) bool {
	r := &s.ops
	r.mu.Lock()
	var ops []*runningOp
	for _, op := range r.byTg[target] {
		ops = append(ops, op)
	}
	r.mu.Unlock()
	for _, op := range ops {
		op.cancel()
	}
	for _, op := range ops {
		select {
		case <-op.done:
		case <-ctx.Done():
			return false
		}
	}
	return true
}
