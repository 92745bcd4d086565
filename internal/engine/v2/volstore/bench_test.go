package volstore

import (
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/benchmem"
)

const benchVolume = 1 << 30

// benchStore formats a sparse store with room for one 1 GiB volume.
func benchStore(b *testing.B) *Store {
	s, _ := newTestStore(b, benchVolume+64<<20, FormatOptions{MaxVolumes: 4})
	return s
}

// writeSequential fills v with buf-sized writes and syncs.
func writeSequential(b *testing.B, v *Volume, buf []byte) {
	for off := int64(0); off < v.Size(); off += int64(len(buf)) {
		if _, err := v.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
	}
	if err := v.Sync(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSequentialWrite writes a fresh 1 GiB volume of non-zero data in
// 4 MiB writes, then syncs (data and metadata).
func BenchmarkSequentialWrite(b *testing.B) {
	s := benchStore(b)
	buf := randomBytes(1, 4<<20)
	b.SetBytes(benchVolume)
	stop := peakHeap()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		v := mustCreate(b, s, "bench", benchVolume, nil)
		b.StartTimer()
		writeSequential(b, v, buf)
		b.StopTimer()
		if err := s.Delete("bench"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(stop(), "peak-heap-MiB")
}

// BenchmarkSequentialRead reads a written 1 GiB volume in 4 MiB reads.
func BenchmarkSequentialRead(b *testing.B) {
	s := benchStore(b)
	v := mustCreate(b, s, "bench", benchVolume, nil)
	writeSequential(b, v, randomBytes(1, 4<<20))
	buf := make([]byte, 4<<20)
	b.SetBytes(benchVolume)
	stop := peakHeap()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for off := int64(0); off < v.Size(); off += int64(len(buf)) {
			if _, err := v.ReadAt(buf, off); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(stop(), "peak-heap-MiB")
}

// peakHeap samples the heap while a benchmark runs; stop returns the
// highest HeapInuse seen, in MiB.
func peakHeap() (stop func() float64) {
	peak := benchmem.Peak(5*time.Millisecond, false)
	return func() float64 { return float64(peak()) / (1 << 20) }
}
