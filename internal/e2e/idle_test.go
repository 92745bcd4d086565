package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// idleWindow is how long each measurement of an idle daemon lasts. It is
// the longest periodic requeue of a per-object controller (each backing
// image is re-examined every minute), so every window sees each periodic
// pass exactly once; a shorter window would see an image's pass in one
// window and not in the next, and the rates would differ by chance.
const idleWindow = time.Minute

// idleImages is the acceptance point's population: 20 images, each backed
// up to two targets (40 backups).
const idleImages = 20

// TestIdleDaemonStaysQuiet fills a daemon with 20 images and 40 backups on
// two file targets, then leaves it alone and measures, per one-minute
// window, the reconciles the runners did (plinth_reconciles_total) and the
// CPU time the process used (/proc/<pid>/stat). It fails if the last
// window's reconcile rate is above the first's (some work wakes itself up
// and grows), above one reconcile per object per minute (periodic work runs
// more often than designed, as when timers multiplied), or if any window
// used 1% of a core or more. The idle period is 2 minutes, or
// PLINTH_IDLE_MINUTES (the acceptance run uses 10).
func TestIdleDaemonStaysQuiet(t *testing.T) {
	windows := idleWindows(t)
	d := startDaemon(t, "")
	d.addTarget(t, "second", "file://"+t.TempDir())
	fillIdleDaemon(t, d)
	objects := idleImages + 2*idleImages + 2 + 1 // images, backups, targets, node

	var samples []idleSample
	prev := d.sampleIdle(t)
	for i := 0; i < windows; i++ {
		time.Sleep(idleWindow) // the measurement window itself
		cur := d.sampleIdle(t)
		s := cur.since(prev)
		t.Logf("idle minute %d: %.1f reconciles/min %v, CPU %.2f%% of a core", i+1, s.perMinute(), s.byController, 100*s.cpuShare())
		samples = append(samples, s)
		prev = cur
	}
	first, last := samples[0], samples[len(samples)-1]
	var total idleSample
	for _, s := range samples {
		total.elapsed += s.elapsed
		total.cpu += s.cpu
	}
	t.Logf("idle for %s: %.1f reconciles/min in the first minute, %.1f in the last; CPU %.2f%% of a core overall",
		total.elapsed.Round(time.Second), first.perMinute(), last.perMinute(), 100*total.cpuShare())
	// Noise allowance. +4: each of the two targets polls every 300 s, a
	// period longer than a window, so its pass (one reconcile, and one for
	// the event of its own status write) may fall into the last window and
	// not the first. +10%: the node record is rewritten when its disk's
	// free space moves, which other programs on the machine cause at any
	// time; each rewrite costs one extra node reconcile.
	allowed := first.perMinute()*1.1 + 4
	if last.perMinute() > allowed {
		t.Errorf("reconciles grew while idle: %.1f/min in the first minute, %.1f/min in the last, allowed %.1f (%v then %v)",
			first.perMinute(), last.perMinute(), allowed, first.byController, last.byController)
	}
	for i, s := range samples {
		if s.perMinute() > float64(objects) {
			t.Errorf("idle minute %d: %.1f reconciles/min for %d objects; none needs more than one a minute (%v)", i+1, s.perMinute(), objects, s.byController)
		}
		t.Logf("idle minute %d: CPU %.2f%% of a core", i+1, 100*s.cpuShare())
	}
	// The CPU rule is on the whole idle period: a single minute can carry a
	// Go GC cycle or etcd housekeeping that averages out; a busy loop cannot.
	if total.cpuShare() >= 0.01 {
		t.Errorf("idle for %s: CPU %.2f%% of a core overall, want under 1%%", total.elapsed.Round(time.Second), 100*total.cpuShare())
	}
}

// idleWindows is the number of one-minute windows to measure: 2, or
// PLINTH_IDLE_MINUTES.
func idleWindows(t *testing.T) int {
	v := os.Getenv("PLINTH_IDLE_MINUTES")
	if v == "" {
		return 2
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 {
		t.Fatalf("PLINTH_IDLE_MINUTES=%q: give a whole number of minutes, at least 2", v)
	}
	return n
}

// fillIdleDaemon uploads idleImages images of 1 MiB (distinct content) and
// backs each up to the default target and to "second".
func fillIdleDaemon(t *testing.T, d *daemon) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < idleImages; i++ {
		name := fmt.Sprintf("idle-%02d", i)
		data := make([]byte, 1<<20)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":%q,"sourceType":"upload"}`, name))
		if code, m := d.upload(name, int64(len(data)), bytes.NewReader(data)); code != 200 {
			t.Fatalf("upload %s: status %d: %v", name, code, m)
		}
		d.waitFor(t, name, name+" ready", allCopies("ready"))
		d.backupOf(name, `{"backupTargetName":"default"}`)
		d.backupOf(name, `{"backupTargetName":"second"}`)
	}
	testenv.Eventually(t, 3*time.Minute, "40 backups completed", func() (bool, string) {
		_, list := d.call("GET", "/v1/backupbackingimages", "")
		states := map[string]int{}
		items, _ := list["data"].([]any)
		for _, it := range items {
			states[fmt.Sprint(it.(map[string]any)["state"])]++
		}
		return states["Completed"] == 2*idleImages, fmt.Sprint(states)
	})
}

// idleCounters is one reading of the daemon's reconcile counters and CPU time.
type idleCounters struct {
	at         time.Time
	reconciles map[string]float64 // by controller
	cpuTicks   int64              // utime+stime, in USER_HZ ticks
}

// idleSample is what happened between two readings.
type idleSample struct {
	elapsed      time.Duration
	byController map[string]float64
	cpu          time.Duration
}

func (s idleSample) perMinute() float64 {
	var n float64
	for _, v := range s.byController {
		n += v
	}
	return n / s.elapsed.Minutes()
}

func (s idleSample) cpuShare() float64 { return s.cpu.Seconds() / s.elapsed.Seconds() }

func (c idleCounters) since(p idleCounters) idleSample {
	s := idleSample{elapsed: c.at.Sub(p.at), byController: map[string]float64{}}
	for k, v := range c.reconciles {
		s.byController[k] = v - p.reconciles[k]
	}
	// /proc reports CPU time in USER_HZ ticks, 100 a second on Linux.
	s.cpu = time.Duration(c.cpuTicks-p.cpuTicks) * 10 * time.Millisecond
	return s
}

// sampleIdle reads plinth_reconciles_total from /metrics and the process's
// CPU time from /proc/<pid>/stat.
func (d *daemon) sampleIdle(t *testing.T) idleCounters {
	t.Helper()
	c := idleCounters{at: time.Now(), reconciles: map[string]float64{}, cpuTicks: processTicks(t, d.cmd.Process.Pid)}
	resp, err := http.Get(d.URL + "/metrics")
	if err != nil {
		t.Fatalf("scrape /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := reconcileLine(sc.Text())
		if ok {
			c.reconciles[name] += value
		}
	}
	if len(c.reconciles) == 0 {
		t.Fatal("/metrics has no plinth_reconciles_total")
	}
	return c
}

// reconcileLine parses `plinth_reconciles_total{controller="x",result="y"} 12`.
func reconcileLine(line string) (controller string, value float64, ok bool) {
	rest, found := strings.CutPrefix(line, "plinth_reconciles_total{")
	if !found {
		return "", 0, false
	}
	labels, num, found := strings.Cut(rest, "} ")
	if !found {
		return "", 0, false
	}
	for _, l := range strings.Split(labels, ",") {
		if v, isCtl := strings.CutPrefix(l, `controller="`); isCtl {
			controller = strings.TrimSuffix(v, `"`)
		}
	}
	value, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	return controller, value, err == nil && controller != ""
}

// processTicks returns utime+stime of pid from /proc/<pid>/stat.
func processTicks(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("read the daemon's CPU time: %v", err)
	}
	// The command name (field 2) may hold spaces; fields after it start at 3.
	end := bytes.LastIndexByte(raw, ')')
	f := strings.Fields(string(raw[end+1:]))
	if len(f) < 13 {
		t.Fatalf("/proc/%d/stat: too few fields: %q", pid, raw)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: bad utime/stime in %q", pid, raw)
	}
	return utime + stime
}
