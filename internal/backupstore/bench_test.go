package backupstore

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/file"
	"github.com/plinth-storage/plinth/internal/target/s3"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// benchSize is the generated image size; -backupstore.bench-size or
// PLINTH_BENCH_SIZE (bytes, or with a K/M/G suffix), default 1 GiB.
var benchSize = flag.String("backupstore.bench-size", os.Getenv("PLINTH_BENCH_SIZE"), "benchmark image size, e.g. 1G or 512M")

var bench struct {
	once sync.Once
	dir  string
	path string
	size int64
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func parseSize(s string) (int64, error) {
	if s == "" {
		return 1 << 30, nil
	}
	mult := int64(1)
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad benchmark size %q", s)
	}
	return n * mult, nil
}

// benchImage writes, once per process, a sparse file of benchSize bytes:
// 40 % random, 20 % one repeated block, 20 % allocated zeros, 20 % hole.
func benchImage(b *testing.B) (string, int64) {
	b.Helper()
	bench.once.Do(func() {
		if bench.size, bench.err = parseSize(*benchSize); bench.err != nil {
			return
		}
		if bench.dir, bench.err = os.MkdirTemp("", "plinth-bench-"); bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "image")
		bench.err = writeBenchImage(bench.path, bench.size)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path, bench.size
}

func writeBenchImage(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	fifth := size / 5 / format.BlockSize * format.BlockSize
	pattern := randomBytes(900, format.BlockSize)
	zero := make([]byte, format.BlockSize)
	for off, i := int64(0), uint64(0); off < 4*fifth; off, i = off+format.BlockSize, i+1 {
		chunk := pattern
		switch {
		case off < 2*fifth:
			chunk = randomBytes(1000+i, format.BlockSize)
		case off >= 3*fifth:
			chunk = zero
		}
		if _, err := f.WriteAt(chunk, off); err != nil {
			return err
		}
	}
	// The last fifth is a hole, except a random partial tail block.
	tail := size % format.BlockSize
	if tail == 0 {
		tail = 4096
	}
	if _, err := f.WriteAt(randomBytes(999, int(tail)), size-tail); err != nil {
		return err
	}
	return f.Sync()
}

// benchOptions keeps Longhorn's lock semantics but with a negligible check
// wait; lock wait is reported separately anyway.
func benchOptions() Options {
	return Options{Lock: lock.Config{Expiry: 150 * time.Second, Refresh: 60 * time.Second, CheckWait: time.Millisecond}}
}

// heapPeak samples HeapInuse until stopped and returns the high-water mark.
func heapPeak() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}

func totalCalls(ft *faulty.Target) int {
	n := 0
	for _, op := range target.Ops {
		n += ft.Calls(op)
	}
	return n
}

// report adds the common metrics: MB/s without lock wait, requests per
// op, peak heap.
func report(b *testing.B, size int64, elapsed, lockWait time.Duration, requests int, peak uint64) {
	work := (elapsed - lockWait).Seconds()
	b.ReportMetric(float64(size)*float64(b.N)/1e6/work, "MB/s-excl-lock")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(lockWait.Seconds()*1000/float64(b.N), "lock-wait-ms/op")
}

// BenchmarkHashOnly is the floor: one SHA-512 pass over the same image.
func BenchmarkHashOnly(b *testing.B) {
	path, size := benchImage(b)
	src, err := OpenFileSource(path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	b.SetBytes(size)
	peak := heapPeak()
	start := time.Now()
	for b.Loop() {
		if _, err := ImageChecksum(context.Background(), src); err != nil {
			b.Fatal(err)
		}
	}
	report(b, size, time.Since(start), 0, 0, peak())
}

// newTarget returns a fresh, empty target for a benchmark.
type newTarget func(b *testing.B) target.Target

func fileTargets(b *testing.B) newTarget {
	return func(b *testing.B) target.Target { return file.New(b.TempDir()) }
}

// s3Targets starts one versitygw for the benchmark; each target is a new
// bucket on it.
func s3Targets(b *testing.B) newTarget {
	srv := testenv.VersityGW(b)
	return func(b *testing.B) target.Target {
		tgt, err := s3.New(s3.Config{
			Bucket: srv.NewBucket(b), Region: srv.Region, Endpoint: srv.Endpoint, PathStyle: true,
			AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { tgt.Close() })
		return tgt
	}
}

func BenchmarkBackupCold(b *testing.B) {
	for _, method := range []string{"lz4", "none"} {
		b.Run(method, func(b *testing.B) { benchBackup(b, fileTargets(b), method, false) })
	}
}

func BenchmarkBackupAllBlocksExist(b *testing.B) { benchBackup(b, fileTargets(b), "lz4", true) }

func BenchmarkRestore(b *testing.B) { benchRestore(b, fileTargets(b)) }

func BenchmarkS3BackupCold(b *testing.B) { benchBackup(b, s3Targets(b), "lz4", false) }

func BenchmarkS3BackupAllBlocksExist(b *testing.B) { benchBackup(b, s3Targets(b), "lz4", true) }

func BenchmarkS3Restore(b *testing.B) { benchRestore(b, s3Targets(b)) }

func benchBackup(b *testing.B, targets newTarget, method string, warm bool) {
	path, size := benchImage(b)
	src, err := OpenFileSource(path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	ft := faulty.Wrap(targets(b))
	st := New(ft, benchOptions())
	if warm {
		if _, err := st.Backup(context.Background(), BackupRequest{Name: "warm", Source: src, Compression: method}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	var elapsed, lockWait time.Duration
	var requests int
	var peak uint64
	i := 0
	for b.Loop() {
		b.StopTimer()
		if !warm && i > 0 {
			ft = faulty.Wrap(targets(b))
			st = New(ft, benchOptions())
		}
		ft.Reset()
		i++
		b.StartTimer()
		stopPeak := heapPeak()
		start := time.Now()
		res, err := st.Backup(context.Background(), BackupRequest{Name: fmt.Sprintf("bench-%d", i), Source: src, Compression: method}, nil)
		elapsed += time.Since(start)
		peak = max(peak, stopPeak())
		if err != nil {
			b.Fatal(err)
		}
		lockWait += res.LockWait
		requests += totalCalls(ft)
	}
	report(b, size, elapsed, lockWait, requests, peak)
}

func benchRestore(b *testing.B, targets newTarget) {
	path, size := benchImage(b)
	src, err := OpenFileSource(path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	ft := faulty.Wrap(targets(b))
	st := New(ft, benchOptions())
	if _, err := st.Backup(context.Background(), BackupRequest{Name: "img", Source: src}, nil); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "restored")
	b.SetBytes(size)
	var elapsed, lockWait time.Duration
	var requests int
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		ft.Reset()
		sink, err := CreateFileSink(out)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		stopPeak := heapPeak()
		start := time.Now()
		res, err := st.Restore(context.Background(), "img", sink, RestoreOptions{}, nil)
		elapsed += time.Since(start)
		peak = max(peak, stopPeak())
		sink.Close()
		if err != nil {
			b.Fatal(err)
		}
		lockWait += res.LockWait
		requests += totalCalls(ft)
	}
	report(b, size, elapsed, lockWait, requests, peak)
}
