package syncbench

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/plinth-storage/plinth/internal/target"
)

var _ target.Target = (*Counting)(nil)

// Counting is a target decorator that counts every call into the wrapped
// target by op and records the directory of every List and Walk, so a test
// can assert what a sync sent. Wrap it next to the driver (innermost), as
// the metrics decorator is, so retried attempts count as separate calls.
type Counting struct {
	target.Target
	mu       sync.Mutex
	calls    map[string]int64
	listings []Listing
}

// Listing is one List or Walk call: its op and directory.
type Listing struct {
	Op  string
	Dir string
}

// Count wraps t.
func Count(t target.Target) *Counting {
	return &Counting{Target: t, calls: make(map[string]int64)}
}

// Unwrap returns the wrapped target.
func (c *Counting) Unwrap() target.Target { return c.Target }

// Calls returns the number of calls per op (target.OpGet, ...) since the
// last Reset; ops never called are absent.
func (c *Counting) Calls() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.calls)
}

// Listings returns the List and Walk calls since the last Reset, in the
// order they started.
func (c *Counting) Listings() []Listing {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.listings)
}

// Reset zeroes the counts and forgets the listings.
func (c *Counting) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.calls)
	c.listings = nil
}

func (c *Counting) count(op string) {
	c.mu.Lock()
	c.calls[op]++
	c.mu.Unlock()
}

func (c *Counting) listed(op, dir string) {
	c.mu.Lock()
	c.calls[op]++
	c.listings = append(c.listings, Listing{Op: op, Dir: dir})
	c.mu.Unlock()
}

// Put is counted.
func (c *Counting) Put(ctx context.Context, key string, data []byte) error {
	c.count(target.OpPut)
	return c.Target.Put(ctx, key, data)
}

// Get is counted.
func (c *Counting) Get(ctx context.Context, key string) ([]byte, error) {
	c.count(target.OpGet)
	return c.Target.Get(ctx, key)
}

// Stat is counted.
func (c *Counting) Stat(ctx context.Context, key string) (target.Entry, error) {
	c.count(target.OpStat)
	return c.Target.Stat(ctx, key)
}

// List is counted and its dir recorded.
func (c *Counting) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	c.listed(target.OpList, dir)
	return c.Target.List(ctx, dir, fn)
}

// Walk is counted and its dir recorded.
func (c *Counting) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	c.listed(target.OpWalk, dir)
	return c.Target.Walk(ctx, dir, fn)
}

// Delete is counted.
func (c *Counting) Delete(ctx context.Context, key string) error {
	c.count(target.OpDelete)
	return c.Target.Delete(ctx, key)
}

// Check is counted.
func (c *Counting) Check(ctx context.Context) error {
	c.count(target.OpCheck)
	return c.Target.Check(ctx)
}
