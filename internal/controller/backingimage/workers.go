package backingimage

import (
	"context"
	"sync"

	"github.com/plinth-storage/plinth/internal/memtrim"
)

// workers tracks the goroutines filling or removing copies, one per
// (image, disk) at most.
type workers struct {
	mu  sync.Mutex
	run map[string]context.CancelFunc
	end map[string]func() // memtrim ends: memory goes back to the OS after a burst
}

func workerKey(image, diskUUID string) string { return image + "/" + diskUUID }

// claim registers a worker for (image, disk) and returns its context, or
// false when one is already running.
func (w *workers) claim(parent context.Context, image, diskUUID string) (context.Context, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.run == nil {
		w.run = map[string]context.CancelFunc{}
	}
	k := workerKey(image, diskUUID)
	if _, busy := w.run[k]; busy {
		return nil, false
	}
	ctx, cancel := context.WithCancel(parent)
	w.run[k] = cancel
	if w.end == nil {
		w.end = map[string]func(){}
	}
	w.end[k] = memtrim.Begin()
	return ctx, true
}

// release unregisters the worker of (image, disk).
func (w *workers) release(image, diskUUID string) {
	k := workerKey(image, diskUUID)
	w.mu.Lock()
	if cancel, ok := w.run[k]; ok {
		cancel()
		delete(w.run, k)
	}
	end, ok := w.end[k]
	delete(w.end, k)
	w.mu.Unlock()
	if ok {
		end() // outside the lock: it may collect garbage for milliseconds
	}
}

func (w *workers) running(image, diskUUID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.run[workerKey(image, diskUUID)]
	return ok
}

// cancelImage stops every worker of image.
func (w *workers) cancelImage(image string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	prefix := image + "/"
	for k, cancel := range w.run {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			cancel()
		}
	}
}
