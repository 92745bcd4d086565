package runner

import (
	"container/heap"
	"time"
)

// deadlines holds at most one pending deadline per key, earliest first
// (a min-heap indexed by key). Not safe for concurrent use: the queue's
// mutex guards it.
type deadlines struct {
	h     deadlineHeap
	index map[string]*deadline
}

type deadline struct {
	key string
	at  time.Time
	pos int
}

func newDeadlines() deadlines { return deadlines{index: map[string]*deadline{}} }

// setEarlier sets key's deadline to at unless it already has an earlier or
// equal one. It reports whether the earliest deadline of all keys changed.
func (d *deadlines) setEarlier(key string, at time.Time) bool {
	if e, ok := d.index[key]; ok {
		if !at.Before(e.at) {
			return false
		}
		e.at = at
		heap.Fix(&d.h, e.pos)
		return e.pos == 0
	}
	e := &deadline{key: key, at: at}
	d.index[key] = e
	heap.Push(&d.h, e)
	return e.pos == 0
}

// remove drops key's pending deadline, if any.
func (d *deadlines) remove(key string) {
	if e, ok := d.index[key]; ok {
		heap.Remove(&d.h, e.pos)
		delete(d.index, key)
	}
}

// popDue removes and returns the keys whose deadline is not after now.
func (d *deadlines) popDue(now time.Time) []string {
	var keys []string
	for len(d.h) > 0 && !d.h[0].at.After(now) {
		e := heap.Pop(&d.h).(*deadline)
		delete(d.index, e.key)
		keys = append(keys, e.key)
	}
	return keys
}

// earliest returns the earliest pending deadline (ok false if none).
func (d *deadlines) earliest() (time.Time, bool) {
	if len(d.h) == 0 {
		return time.Time{}, false
	}
	return d.h[0].at, true
}

// len returns the number of keys with a pending deadline.
func (d *deadlines) len() int { return len(d.h) }

type deadlineHeap []*deadline

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}
func (h *deadlineHeap) Push(x any) {
	e := x.(*deadline)
	e.pos = len(*h)
	*h = append(*h, e)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
