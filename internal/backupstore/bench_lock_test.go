package backupstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target/faulty"
)

// BenchmarkS3ManifestBackupColdLonghornLock is BenchmarkS3ManifestBackupCold
// with Longhorn's real lock timing (a 2 s CheckWait): a cold Store pays the
// lock protocol's wait, which the speculative pre-upload overlaps with the
// work. Its ns/op is what a user sees; lock-wait-ms/op is the part of it
// spent waiting for the lock.
func BenchmarkS3ManifestBackupColdLonghornLock(b *testing.B) {
	targets := s3Targets(b)
	path, size := benchImage(b)
	src, err := OpenFileSource(path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	m := benchManifest(b, src)
	opts := Options{Lock: lock.DefaultConfig()}
	b.SetBytes(size)
	meter := benchMeter{floorSrc: src}
	i := 0
	for b.Loop() {
		b.StopTimer()
		ft := faulty.Wrap(targets(b))
		st := New(ft, opts)
		i++
		b.StartTimer()
		meter.measure(b, func() time.Duration {
			req := BackupRequest{Name: fmt.Sprintf("bench-%d", i), Source: src, Manifest: m}
			res, err := st.Backup(context.Background(), req, nil)
			if err != nil {
				b.Fatal(err)
			}
			return res.LockWait
		})
		meter.requests += totalCalls(ft)
		b.StopTimer()
		if err := st.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	meter.report(b, size)
}
