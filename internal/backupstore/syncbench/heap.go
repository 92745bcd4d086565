package syncbench

import (
	"runtime/metrics"
	"time"
)

// heapSamples are the runtime metrics whose sum is the in-use heap
// (runtime.MemStats.HeapInuse), read without stopping the world.
var heapSamples = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
}

// HeapInUse returns the in-use heap now, in bytes.
func HeapInUse() uint64 { return readHeap(newHeapSamples()) }

func newHeapSamples() []metrics.Sample {
	samples := make([]metrics.Sample, len(heapSamples))
	for i, name := range heapSamples {
		samples[i].Name = name
	}
	return samples
}

func readHeap(samples []metrics.Sample) uint64 {
	metrics.Read(samples)
	var sum uint64
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			sum += s.Value.Uint64()
		}
	}
	return sum
}

// HeapPeak starts sampling the in-use heap every interval and returns a
// function that stops sampling and returns the highest value seen, in
// bytes (the sample at stop included). It measures the whole process, so
// the caller's own data (such as the seen map of a sync) counts too.
func HeapPeak(interval time.Duration) (stop func() uint64) {
	samples := newHeapSamples()
	read := func() uint64 { return readHeap(samples) }
	peak := read()
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
				peak = max(peak, read())
			}
		}
	}()
	return func() uint64 {
		close(quit)
		<-done
		return max(peak, read())
	}
}
