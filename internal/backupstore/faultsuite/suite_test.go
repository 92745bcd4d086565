package faultsuite

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFaultMatrix runs every fault at every stage on every target type and
// fails on any case that loses an acknowledged backup, returns a wrong
// result as a success, leaves an orphan block, cfg or lock file, or does
// not complete once the fault is lifted. Each target type's server starts
// once and its cases run in order; the five types run at once.
//
// With PLINTH_RELIABILITY_TABLE set to a markdown file (relative paths are
// taken from the module root), the generated section of that file is
// replaced with this run's table.
func TestFaultMatrix(t *testing.T) {
	rec := newRecorder()
	start := time.Now()
	t.Run("targets", func(t *testing.T) {
		// The types run at once whatever -parallel says (t.Run from several
		// goroutines, not t.Parallel): the cases mostly wait, and one type
		// after the other would take minutes.
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, tt := range targetTypes {
			wg.Go(func() { t.Run(tt.name, func(t *testing.T) { runType(t, tt, rec) }) })
		}
	})
	if path := os.Getenv("PLINTH_RELIABILITY_TABLE"); path != "" {
		if err := rec.writeInto(path, time.Since(start)); err != nil {
			t.Fatalf("write the reliability table: %v", err)
		}
		t.Logf("wrote the reliability table into %s", path)
	}
}

// runType runs every fault at every stage on one target type, in order,
// against one server.
func runType(t *testing.T, tt targetType, rec *recorder) {
	fresh := tt.start(t)
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			for _, s := range stages {
				t.Run(s.name, func(t *testing.T) {
					url, secret := fresh(t, f.name+"-"+s.name)
					o := runCase(t, openEnv(t, url, secret), f, s)
					rec.add(tt.name, f.name, s.name, o)
					if v, bad := o.verdict(); bad {
						t.Errorf("%s: %s", v, o.detail())
					}
				})
			}
		})
	}
}

// detail explains a bad outcome in one line.
func (o outcome) detail() string {
	switch {
	case o.wrong != "":
		return o.wrong
	case o.orphans > 0 || o.cfgs > 0:
		return fmt.Sprintf("after deleting every backup and GC, %d blocks and %d cfgs remain (cleanup: %q)", o.orphans, o.cfgs, o.leak)
	case o.leak != "":
		return o.leak
	case o.second != nil:
		return fmt.Sprintf("still failing after the fault was lifted: %v", o.second)
	case o.locks > 0:
		return fmt.Sprintf("%d lock file(s) stay on the store after every operation returned (%s; first attempt: %v)", o.locks, strings.Join(o.lockKeys, ", "), o.first)
	}
	return ""
}
