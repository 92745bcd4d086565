package benchvs

import (
	"context"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Config is what one benchmark invocation runs.
type Config struct {
	Size      int64  // image size in bytes (multiple of 8 MiB)
	Runs      int    // runs per tool; the report shows medians
	PlinthBin string // the plinth binary to run as the daemon
	WorkDir   string // parent of the scratch directory; "" means the system temp dir
	Keep      bool   // keep the scratch directory (logs, image) after a success
}

// Run runs the benchmark and writes the markdown report to out; progress
// goes to logw. Any failure (a missing tool, a server that does not start,
// a phase that fails, a restored image that differs) is an error that says
// what failed; the scratch directory with the servers' logs is then kept.
func Run(ctx context.Context, cfg Config, out, logw io.Writer) (err error) {
	if cfg.Runs < 1 {
		return errors.New("--runs must be at least 1")
	}
	layout, err := LayoutFor(cfg.Size)
	if err != nil {
		return err
	}
	if err := checkTools(cfg.PlinthBin); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(cfg.WorkDir, "plinth-bench-")
	if err != nil {
		return fmt.Errorf("create scratch directory: %w", err)
	}
	defer func() {
		if err != nil || cfg.Keep {
			fmt.Fprintf(logw, "scratch directory (logs, image) kept: %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	logf := func(format string, a ...any) {
		fmt.Fprintf(logw, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}
	logf("measuring single-core SHA-512 and SHA-256")
	machine := MeasureMachine()
	logf("measuring the disk's durable write speed")
	if machine.DiskMBs, err = DiskWriteSpeed(dir); err != nil {
		return err
	}
	image := filepath.Join(dir, "image.raw")
	logf("generating the %s image %s", sizeName(layout.Size), image)
	sum, err := Generate(image, layout)
	if err != nil {
		return err
	}
	res := Result{Layout: layout, Runs: cfg.Runs, Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Machine: machine}
	res.Machine.LoadBefore = LoadAverage()
	if err := runAll(ctx, cfg, dir, image, sum, &res, logf); err != nil {
		return err
	}
	res.Machine.LoadAfter = LoadAverage()
	res.WriteMarkdown(out)
	return nil
}

// runAll starts the servers and does every run of both tools.
func runAll(ctx context.Context, cfg Config, dir, image, sum string, res *Result, logf func(string, ...any)) error {
	imageURL, stopFiles, err := serveFile(image)
	if err != nil {
		return err
	}
	defer stopFiles()
	gw, err := startVersityGW(dir)
	if err != nil {
		return err
	}
	defer gw.stop()
	logf("versitygw on %s; starting plinth %s", gw.endpoint, cfg.PlinthBin)
	d, err := startDaemon(ctx, cfg.PlinthBin, dir)
	if err != nil {
		return err
	}
	defer d.stop()
	resticLog, err := os.Create(filepath.Join(dir, "restic.log"))
	if err != nil {
		return fmt.Errorf("create restic log: %w", err)
	}
	defer resticLog.Close()
	var restic, plinth []PhaseSamples
	for run := 1; run <= cfg.Runs; run++ {
		runDir := filepath.Join(dir, fmt.Sprintf("run%d", run))
		if err := os.MkdirAll(runDir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", runDir, err)
		}
		// The machine is shared: measure SHA-512 again in each run's window
		// and keep the best, so the download is judged against what one
		// free core does, not against a busy moment.
		res.Machine.SHA512MBs = max(res.Machine.SHA512MBs, hashSpeed(sha512.New()))
		logf("run %d/%d: restic", run, cfg.Runs)
		r, err := runRestic(ctx, gw, runDir, image, sum, resticLog)
		if err != nil {
			return fmt.Errorf("run %d, restic: %w", run, err)
		}
		logf("run %d/%d: restic %.2f / %.2f / %.2f s; plinth", run, cfg.Runs, r.Cold.Seconds, r.AllStored.Seconds, r.Restore.Seconds)
		p, err := runPlinth(ctx, d, gw, run, imageURL, sum)
		if err != nil {
			return fmt.Errorf("run %d, plinth: %w", run, err)
		}
		logf("run %d/%d: plinth %.2f / %.2f / %.2f s (download %.2f s)", run, cfg.Runs, p.Cold.Seconds, p.AllStored.Seconds, p.Restore.Seconds, p.Download.Seconds)
		restic, plinth = append(restic, r), append(plinth, p)
	}
	res.Restic, res.Plinth = Summarize(restic), Summarize(plinth)
	return nil
}

// checkTools fails early, saying how to install it, when a tool is missing.
func checkTools(plinthBin string) error {
	if _, err := os.Stat(plinthBin); err != nil {
		return fmt.Errorf("plinth binary %q: %w (build it: go build -o /tmp/plinth ./cmd/plinth, then pass --plinth)", plinthBin, err)
	}
	if _, err := findBinary("restic", resticInstall); err != nil {
		return err
	}
	_, err := findBinary("versitygw", versityInstall)
	return err
}

// serveFile serves path at http://127.0.0.1:PORT/image.raw (with Range
// support) and returns that URL and a stop function.
func serveFile(path string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for the image's HTTP server: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/image.raw", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, path) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String() + "/image.raw", func() { _ = srv.Close() }, nil
}
