// Package memtrim returns memory to the operating system after the
// daemon's large transfers. Go keeps freed heap mapped for reuse, so a
// daemon that just moved a gigabyte through its block buffers would sit at
// its peak RSS while idle; an operator (and a side-by-side benchmark) sees
// that as the daemon's size.
package memtrim

import (
	"runtime/debug"
	"sync"
)

var (
	mu     sync.Mutex
	active int
)

// Begin marks the start of an operation that moves an image's worth of
// data (a copy being filled, a backup, a restore). The returned func must
// be called once when it ends; the last operation to end runs a garbage
// collection and returns the freed memory to the OS (debug.FreeOSMemory,
// a few milliseconds), so the cost is paid once per burst of work, never
// while another transfer still needs its buffers.
func Begin() (end func()) {
	mu.Lock()
	active++
	mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			active--
			last := active == 0
			mu.Unlock()
			if last {
				debug.FreeOSMemory()
			}
		})
	}
}

// Active is the number of operations between Begin and their end.
func Active() int {
	mu.Lock()
	defer mu.Unlock()
	return active
}
