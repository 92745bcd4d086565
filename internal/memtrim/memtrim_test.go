package memtrim

import (
	"runtime"
	"testing"
)

// TestLastEndReturnsMemory checks the counting and that the last end
// returns the freed heap to the OS (HeapReleased grows by what a finished
// transfer left behind).
func TestLastEndReturnsMemory(t *testing.T) {
	endA, endB := Begin(), Begin()
	if Active() != 2 {
		t.Fatalf("Active = %d, want 2", Active())
	}
	buf := make([][]byte, 32)
	for i := range buf {
		buf[i] = make([]byte, 2<<20)
		buf[i][0] = 1
	}
	endA()
	endA() // idempotent
	if Active() != 1 {
		t.Fatalf("Active = %d after one end, want 1", Active())
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	runtime.KeepAlive(buf) // the transfer's buffers are live until here
	endB()
	runtime.ReadMemStats(&after)
	if Active() != 0 {
		t.Fatalf("Active = %d, want 0", Active())
	}
	if got := int64(after.HeapReleased) - int64(before.HeapReleased); got < 32<<20 {
		t.Fatalf("the last end returned %d MiB to the OS, want the ~64 MiB the finished transfer left", got>>20)
	}
}
