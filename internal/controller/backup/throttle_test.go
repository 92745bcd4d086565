package backup

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestThrottleKeepsTheLastValue: values inside an interval are not lost;
// the last one is written when the interval ends, and force writes at once.
func TestThrottleKeepsTheLastValue(t *testing.T) {
	var mu sync.Mutex
	var got []int
	write := func(v int) { mu.Lock(); got = append(got, v); mu.Unlock() }
	snapshot := func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
	th := &throttle{every: 200 * time.Millisecond}
	th.offer(1, false, write)
	th.offer(2, false, write)
	th.offer(3, false, write)
	if s := snapshot(); !slices.Equal(s, []int{1}) {
		t.Fatalf("inside the interval: wrote %v, want [1]", s)
	}
	testenv.Eventually(t, 5*time.Second, "the last value written when the interval ends", func() (bool, string) {
		s := snapshot()
		return slices.Equal(s, []int{1, 3}), fmt.Sprint(s)
	})
	th.offer(50, false, write)
	th.offer(100, true, write)
	if s := snapshot(); s[len(s)-1] != 100 {
		t.Fatalf("a forced value was not written at once: %v", s)
	}
}
