package backoff

import (
	"context"
	"testing"
	"time"
)

func TestExpDoublesAndCaps(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 200: 5 * time.Second} {
		if got := Exp(time.Second, 5*time.Second, attempt); got != want {
			t.Errorf("Exp(1s, 5s, %d) = %s, want %s", attempt, got, want)
		}
	}
}

func TestJitterStaysInUpperHalf(t *testing.T) {
	for range 1000 {
		if got := Jitter(time.Second); got < 500*time.Millisecond || got > time.Second {
			t.Fatalf("Jitter(1s) = %s, want within [500ms, 1s]", got)
		}
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on an ended context = %v, want context.Canceled", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep(1ms) = %v, want nil", err)
	}
}
