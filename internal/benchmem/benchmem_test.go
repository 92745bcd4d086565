package benchmem

import (
	"testing"
	"time"
)

var sink [][]byte

func TestPeakSeesAnAllocation(t *testing.T) {
	before := HeapInUse()
	stop := Peak(time.Millisecond, true)
	sink = append(sink, make([]byte, 64<<20))
	for i := range sink[0] {
		sink[0][i] = 1
	}
	time.Sleep(20 * time.Millisecond)
	peak := stop()
	sink = nil
	if peak < before+60<<20 {
		t.Fatalf("peak %d after a 64 MiB allocation, heap was %d before", peak, before)
	}
}
