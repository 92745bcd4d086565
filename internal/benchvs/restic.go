package benchvs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const resticInstall = "run scripts/bench-vs-restic (it installs it) or apt-get install restic"

// Sample is one timed phase: its wall time and the peak RSS of the process
// doing the work.
type Sample struct {
	Seconds float64
	PeakRSS int64 // bytes
	// StartRSS is the daemon's RSS when the phase began (plinth only; a
	// restic run starts from nothing): a long-lived Go process keeps heap
	// from earlier phases, and its peak cannot fall below this.
	StartRSS int64
	// CPUSeconds is the user+system CPU the tool used during the phase
	// (restic's rusage; the plinth daemon's /proc/PID/stat delta): with
	// Seconds it shows whether a phase waits on CPU, the disk or the network.
	CPUSeconds float64
}

// resticRun is restic working on one fresh repository of one run.
type resticRun struct {
	bin   string
	env   []string // repository, password and S3 credentials: the child's only
	cache string
	log   *os.File
}

// run runs restic with args (plus --cache-dir) and returns its wall time
// and peak RSS (the child's rusage Maxrss). A failure carries restic's
// output.
func (r *resticRun) run(ctx context.Context, args ...string) (Sample, error) {
	full := append([]string{"--cache-dir", r.cache}, args...)
	cmd := exec.CommandContext(ctx, r.bin, full...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.cache}, r.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	fmt.Fprintf(r.log, "$ restic %s\n%s\n", strings.Join(args, " "), out.String())
	if err != nil {
		return Sample{}, fmt.Errorf("restic %s failed: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss << 10 // Linux reports KiB
	}
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return Sample{Seconds: elapsed.Seconds(), PeakRSS: rss, CPUSeconds: cpu}, nil
}

// runRestic does one run of restic's three phases on image (whose SHA-512
// is sum) against a fresh bucket, and checks the restored file.
func runRestic(ctx context.Context, gw *s3Server, runDir, image, sum string, log *os.File) (PhaseSamples, error) {
	bin, err := findBinary("restic", resticInstall)
	if err != nil {
		return PhaseSamples{}, err
	}
	bucket := "restic-" + filepath.Base(runDir)
	if err := gw.newBucket(ctx, bucket); err != nil {
		return PhaseSamples{}, err
	}
	r := &resticRun{bin: bin, env: gw.resticEnv(bucket, randomHex(16)), cache: filepath.Join(runDir, "restic-cache"), log: log}
	if _, err := r.run(ctx, "init"); err != nil {
		return PhaseSamples{}, err
	}
	var s PhaseSamples
	if s.Cold, err = r.run(ctx, "backup", image); err != nil {
		return s, err
	}
	if s.AllStored, err = r.run(ctx, "backup", "--force", image); err != nil {
		return s, err
	}
	target := filepath.Join(runDir, "restic-restore")
	if s.Restore, err = r.run(ctx, "restore", "latest", "--target", target); err != nil {
		return s, err
	}
	restored := filepath.Join(target, image) // restic restores under the absolute path
	synced, err := syncFile(restored)
	if err != nil {
		return s, fmt.Errorf("restic's restored file: %w", err)
	}
	s.DurableRestore = Sample{Seconds: s.Restore.Seconds + synced.Seconds(), PeakRSS: s.Restore.PeakRSS}
	got, err := FileSHA512(restored)
	if err != nil {
		return s, fmt.Errorf("restic's restored file: %w", err)
	}
	if got != sum {
		return s, fmt.Errorf("restic's restored file %s differs from the image: SHA-512 %s, want %s", restored, got, sum)
	}
	if err := os.RemoveAll(target); err != nil {
		return s, fmt.Errorf("remove restic's restored copy: %w", err)
	}
	return s, nil
}
