package backupstore

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/engine"
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

	mOnce    sync.Once
	manifest *engine.Manifest
	mErr     error
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

// BenchmarkHashOnly is the floor: one SHA-512 pass over the same image,
// reading only its data extents and hashing holes as zeros, exactly what
// ImageChecksum (and so every backup) does for the whole-image checksum.
func BenchmarkHashOnly(b *testing.B) {
	path, size := benchImage(b)
	src, err := OpenFileSource(path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	b.SetBytes(size)
	var m benchMeter
	for b.Loop() {
		m.measure(b, func() time.Duration {
			if _, err := ImageChecksum(context.Background(), src); err != nil {
				b.Fatal(err)
			}
			return 0
		})
	}
	m.report(b, size)
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
		b.Run(method, func(b *testing.B) { benchBackup(b, fileTargets(b), method, false, false) })
	}
}

func BenchmarkBackupAllBlocksExist(b *testing.B) { benchBackup(b, fileTargets(b), "lz4", true, false) }

// The manifest benchmarks back up with the copy's manifest (built once,
// untimed): only missing blocks are read and hashed.
func BenchmarkManifestBackupCold(b *testing.B) { benchBackup(b, fileTargets(b), "lz4", false, true) }

func BenchmarkManifestBackupAllBlocksExist(b *testing.B) {
	benchBackup(b, fileTargets(b), "lz4", true, true)
}

// BenchmarkRestore restores a backup plinth wrote (a SHA-512 cfg): each
// distinct block is fetched and verified once, no whole-image pass.
func BenchmarkRestore(b *testing.B) { benchRestore(b, fileTargets(b)) }

func BenchmarkS3BackupCold(b *testing.B) { benchBackup(b, s3Targets(b), "lz4", false, false) }

func BenchmarkS3BackupAllBlocksExist(b *testing.B) { benchBackup(b, s3Targets(b), "lz4", true, false) }

func BenchmarkS3ManifestBackupCold(b *testing.B) { benchBackup(b, s3Targets(b), "lz4", false, true) }

func BenchmarkS3ManifestBackupAllBlocksExist(b *testing.B) {
	benchBackup(b, s3Targets(b), "lz4", true, true)
}

func BenchmarkS3Restore(b *testing.B) { benchRestore(b, s3Targets(b)) }

// benchManifest builds the bench image's manifest once per process.
func benchManifest(b *testing.B, src Source) *engine.Manifest {
	b.Helper()
	bench.mOnce.Do(func() { bench.manifest, bench.mErr = engine.Build(context.Background(), src, "", nil) })
	if bench.mErr != nil {
		b.Fatal(bench.mErr)
	}
	return bench.manifest
}

// benchBackup measures backups of the bench image; warm first backs it
// up once so that every block exists; withManifest passes the image's
// manifest. Each iteration is preceded by an untimed hash-only pass, so
// the floor is measured under the same load.
func benchBackup(b *testing.B, targets newTarget, method string, warm, withManifest bool) {
	path, size := benchImage(b)
	src, err := OpenFileSource(path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var m *engine.Manifest
	if withManifest {
		m = benchManifest(b, src)
	}
	ft := faulty.Wrap(targets(b))
	st := New(ft, benchOptions())
	if warm {
		if _, err := st.Backup(context.Background(), BackupRequest{Name: "warm", Source: src, Compression: method, Manifest: m}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	meter := benchMeter{floorSrc: src}
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
		meter.measure(b, func() time.Duration {
			req := BackupRequest{Name: fmt.Sprintf("bench-%d", i), Source: src, Compression: method, Manifest: m}
			res, err := st.Backup(context.Background(), req, nil)
			if err != nil {
				b.Fatal(err)
			}
			return res.LockWait
		})
		meter.requests += totalCalls(ft)
	}
	meter.report(b, size)
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
	m := benchMeter{floorSrc: src}
	for b.Loop() {
		b.StopTimer()
		ft.Reset()
		sink, err := CreateFileSink(out)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		m.measure(b, func() time.Duration {
			res, err := st.Restore(context.Background(), "img", sink, RestoreOptions{}, nil)
			sink.Close()
			if err != nil {
				b.Fatal(err)
			}
			return res.LockWait
		})
		m.requests += totalCalls(ft)
	}
	m.report(b, size)
}
