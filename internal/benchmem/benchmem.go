// Package benchmem measures peak memory for the project's benchmarks: it
// samples the runtime's in-use heap (runtime.MemStats.HeapInuse, read
// through runtime/metrics, which does not stop the world) on a timer.
package benchmem

import (
	"runtime/metrics"
	"time"
)

var (
	heap   = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}
	stacks = "/memory/classes/heap/stacks:bytes" // StackInuse
)

// Sampler reads one memory figure: the in-use heap, plus goroutine stacks
// when built with stacks.
type Sampler struct {
	samples []metrics.Sample
}

// NewSampler returns a Sampler of the in-use heap, including stacks if
// withStacks.
func NewSampler(withStacks bool) *Sampler {
	names := append([]string(nil), heap...)
	if withStacks {
		names = append(names, stacks)
	}
	s := &Sampler{samples: make([]metrics.Sample, len(names))}
	for i, n := range names {
		s.samples[i].Name = n
	}
	return s
}

// Read returns the figure now, in bytes.
func (s *Sampler) Read() uint64 {
	metrics.Read(s.samples)
	var sum uint64
	for _, v := range s.samples {
		if v.Value.Kind() == metrics.KindUint64 {
			sum += v.Value.Uint64()
		}
	}
	return sum
}

// HeapInUse returns the in-use heap now, in bytes.
func HeapInUse() uint64 { return NewSampler(false).Read() }

// Peak starts sampling every interval and returns a function that stops
// sampling and returns the highest value seen, in bytes, the sample at stop
// included. It measures the whole process.
func Peak(interval time.Duration, withStacks bool) (stop func() uint64) {
	s := NewSampler(withStacks)
	peak := s.Read()
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				peak = max(peak, s.Read())
			}
		}
	}()
	return func() uint64 {
		close(quit)
		<-done // the sampler has stopped: peak is ours alone
		return max(peak, s.Read())
	}
}
