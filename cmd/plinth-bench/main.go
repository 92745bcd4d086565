// Command plinth-bench runs plinth and restic side by side on one generated
// image and one versitygw server and prints a markdown report (see
// docs/benchmarks.md). scripts/bench-vs-restic installs what it needs,
// builds plinth and runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/plinth-storage/plinth/internal/benchvs"
)

func main() {
	size := flag.String("size", "1GiB", "image size (a multiple of 8 MiB), e.g. 1GiB or 8GiB")
	runs := flag.Int("runs", 3, "runs per tool; the report shows medians")
	plinthBin := flag.String("plinth", "", "the plinth binary to run as the daemon (required)")
	workDir := flag.String("work-dir", "", "where to create the scratch directory (default: the system temp dir)")
	keep := flag.Bool("keep", false, "keep the scratch directory (image, logs) after a success")
	flag.Parse()
	n, err := benchvs.ParseSize(*size)
	if err == nil && *plinthBin == "" {
		err = fmt.Errorf("--plinth is required: go build -o /tmp/plinth ./cmd/plinth, then --plinth /tmp/plinth")
	}
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		cfg := benchvs.Config{Size: n, Runs: *runs, PlinthBin: *plinthBin, WorkDir: *workDir, Keep: *keep}
		err = benchvs.Run(ctx, cfg, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "plinth-bench: FAILED:", err)
		os.Exit(1)
	}
}
