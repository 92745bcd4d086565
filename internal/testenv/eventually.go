package testenv

import (
	"testing"
	"time"
)

// Eventually polls cond every 20 ms (backing off to 250 ms) until it
// reports true, and fails the test with what and cond's last error or
// detail if that has not happened within timeout. It is the one way tests
// wait for a condition: never a guessed sleep. cond returns (done, detail):
// detail, when non-empty, says what it saw last, for the failure message.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	interval := 20 * time.Millisecond
	var last string
	for {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(interval)
		interval = min(interval*2, 250*time.Millisecond)
	}
}
