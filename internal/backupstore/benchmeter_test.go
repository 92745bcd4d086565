package backupstore

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/benchmem"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
)

// benchMeter accumulates what the backup-store benchmarks report. The
// machine these run on is shared, so a rate measured minutes apart from the
// floor says little: with floorSrc set, every timed operation is preceded
// by an untimed hash-only pass over floorSrc, and the ratio of the two is
// reported as pct-of-floor.
type benchMeter struct {
	floorSrc Source

	elapsed, lockWait, floor, cpu time.Duration
	requests                      int
	peak                          uint64
	n                             int
}

// measure times one operation; op returns the lock wait to exclude. The
// heap is collected first, so the peak is this operation's, not garbage
// an earlier one left.
func (m *benchMeter) measure(b *testing.B, op func() (lockWait time.Duration)) {
	b.Helper()
	if m.floorSrc != nil {
		b.StopTimer()
		start := time.Now()
		if _, err := ImageChecksum(context.Background(), m.floorSrc); err != nil {
			b.Fatal(err)
		}
		m.floor += time.Since(start)
		b.StartTimer()
	}
	b.StopTimer()
	runtime.GC()
	b.StartTimer()
	stopPeak := benchmem.Peak(20*time.Millisecond, false)
	cpu0, start := processCPU(), time.Now()
	wait := op()
	m.elapsed += time.Since(start)
	m.cpu += processCPU() - cpu0
	m.peak = max(m.peak, stopPeak())
	m.lockWait += wait
	m.n++
}

// report adds the metrics: MB/s of image data without the lock wait,
// requests, peak heap, lock wait, process CPU time per operation and, when
// measured, the floor's rate and this operation's share of it.
func (m *benchMeter) report(b *testing.B, size int64) {
	n := float64(m.n)
	work := (m.elapsed - m.lockWait).Seconds()
	b.ReportMetric(float64(size)*n/1e6/work, "MB/s-excl-lock")
	b.ReportMetric(float64(m.requests)/n, "requests/op")
	b.ReportMetric(float64(m.peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(m.lockWait.Seconds()*1000/n, "lock-wait-ms/op")
	b.ReportMetric(m.cpu.Seconds()*1000/n, "cpu-ms/op")
	if m.floor > 0 {
		b.ReportMetric(float64(size)*n/1e6/m.floor.Seconds(), "floor-MB/s")
		b.ReportMetric(100*m.floor.Seconds()/work, "pct-of-floor")
	}
}

// processCPU is the user plus system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func totalCalls(ft *faulty.Target) int {
	n := 0
	for _, op := range target.Ops {
		n += ft.Calls(op)
	}
	return n
}
