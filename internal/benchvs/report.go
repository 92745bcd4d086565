package benchvs

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Summary is one tool's result over all runs: for each phase the median
// wall time and the largest peak RSS seen in any run.
type Summary struct {
	Cold, AllStored, Restore, Download, DurableRestore Sample
}

// Result is everything the report prints.
type Result struct {
	Layout  Layout
	Runs    int
	Date    string
	Restic  Summary
	Plinth  Summary
	Machine Machine
}

// Median returns the median of xs (the mean of the middle two for an even
// count; 0 for none). xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Summarize reduces runs to medians of time and maxima of peak RSS.
func Summarize(runs []PhaseSamples) Summary {
	pick := func(f func(PhaseSamples) Sample) Sample {
		var secs []float64
		var peak Sample // the run with the largest peak, with its start RSS
		for _, r := range runs {
			secs = append(secs, f(r).Seconds)
			if f(r).PeakRSS > peak.PeakRSS {
				peak = f(r)
			}
		}
		var cpus []float64
		for _, r := range runs {
			cpus = append(cpus, f(r).CPUSeconds)
		}
		return Sample{Seconds: Median(secs), PeakRSS: peak.PeakRSS, StartRSS: peak.StartRSS, CPUSeconds: Median(cpus)}
	}
	return Summary{
		Cold:      pick(func(p PhaseSamples) Sample { return p.Cold }),
		AllStored: pick(func(p PhaseSamples) Sample { return p.AllStored }),
		Restore:   pick(func(p PhaseSamples) Sample { return p.Restore }),
		Download:  pick(func(p PhaseSamples) Sample { return p.Download }),

		DurableRestore: pick(func(p PhaseSamples) Sample { return p.DurableRestore }),
	}
}

// ratio is restic's time over plinth's (how many times faster plinth is).
func ratio(restic, plinth Sample) float64 {
	if plinth.Seconds <= 0 {
		return 0
	}
	return restic.Seconds / plinth.Seconds
}

func mib(b int64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }

// peakCell is a peak RSS, followed by "(from N)" when the process already
// held N MiB when the phase began.
func peakCell(s Sample) string {
	if s.StartRSS == 0 {
		return mib(s.PeakRSS)
	}
	return mib(s.PeakRSS) + " (from " + mib(s.StartRSS) + ")"
}

// phaseRow is one row of the table with its goal.
type phaseRow struct {
	name           string
	restic, plinth Sample
	goal           float64
}

func (r Result) rows() []phaseRow {
	return []phaseRow{
		{"cold backup", r.Restic.Cold, r.Plinth.Cold, 2},
		{"backup, every block already stored", r.Restic.AllStored, r.Plinth.AllStored, 10},
		{"restore", r.Restic.Restore, r.Plinth.Restore, 2},
	}
}

// WriteMarkdown prints the table, the machine facts, the download line and
// which of issue 11's goals this run meets.
func (r Result) WriteMarkdown(w io.Writer) {
	l := r.Layout
	fmt.Fprintf(w, "### %s image, medians of %d run(s), %s\n\n", sizeName(l.Size), r.Runs, r.Date)
	fmt.Fprintf(w, "Image: %d blocks of 2 MiB: %d with data (%d distinct random blocks), a %d MiB hole.\n\n",
		l.Blocks, l.DataBlocks(), l.Distinct, int64(l.HoleBlocks)*BlockSize>>20)
	fmt.Fprintln(w, "| phase | restic s | plinth s | ratio (restic/plinth) | restic peak RSS MiB | plinth peak RSS MiB | restic CPU s | plinth CPU s |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, row := range r.rows() {
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.2f× | %s | %s | %.2f | %.2f |\n", row.name, row.restic.Seconds, row.plinth.Seconds,
			ratio(row.restic, row.plinth), mib(row.restic.PeakRSS), peakCell(row.plinth), row.restic.CPUSeconds, row.plinth.CPUSeconds)
	}
	m := r.Machine
	dl := r.Plinth.Download
	dlMBs := 0.0
	if dl.Seconds > 0 {
		dlMBs = float64(l.Size) / 1e6 / dl.Seconds
	}
	fmt.Fprintf(w, "\nMachine: %s, %d cores. Single core: SHA-512 %.0f MB/s, SHA-256 %.0f MB/s. Load average %s before, %s after.\n\n",
		m.CPU, m.Cores, m.SHA512MBs, m.SHA256MBs, m.LoadBefore, m.LoadAfter)
	fmt.Fprintf(w, "Local download into a copy: %.2f s for %s = %.0f MB/s (whole-image SHA-512 on one core allows %.0f MB/s); "+
		"plinth used %.2f s of CPU (the whole-image SHA-512 and the data blocks' IDs alone are %.2f s of SHA-512 at one core's speed); plinth peak RSS %s MiB.\n\n",
		dl.Seconds, sizeName(l.Size), dlMBs, m.SHA512MBs, dl.CPUSeconds,
		float64(l.Size+int64(l.DataBlocks())*BlockSize)/1e6/max(m.SHA512MBs, 1), mib(dl.PeakRSS))
	if dr := r.Restic.DurableRestore; dr.Seconds > 0 {
		fmt.Fprintf(w, "Restore made durable: restic's restore followed by an fsync of its file takes %.2f s (%.2f× plinth's %.2f s, "+
			"whose copy is fsynced before it is ready). The disk takes data durably at %.0f MB/s, so writing the image's %d MiB of data "+
			"durably takes at least %.2f s.\n\n", dr.Seconds, ratio(dr, r.Plinth.Restore), r.Plinth.Restore.Seconds, m.DiskMBs,
			int64(l.DataBlocks())*BlockSize>>20, float64(int64(l.DataBlocks())*BlockSize)/1e6/max(m.DiskMBs, 1))
	}
	fmt.Fprintln(w, "CPU s is user+system CPU time during the phase (medians): a phase whose CPU is well below its wall time waits on the disk or the network, not on hashing or compression.")
	fmt.Fprintln(w, "plinth's peak RSS is its daemon's VmHWM during the phase; \"(from N)\" is its RSS when the phase began (heap kept from earlier work).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Goals of issue 11:")
	for _, g := range r.Goals(dlMBs) {
		fmt.Fprintln(w, "- "+g)
	}
}

// Goals states each goal of issue 11 and whether this result meets it.
func (r Result) Goals(downloadMBs float64) []string {
	var out []string
	for _, row := range r.rows() {
		got := ratio(row.restic, row.plinth)
		out = append(out, fmt.Sprintf("%s: %s at least %.0f× faster than restic: %.2f×", met(got >= row.goal), row.name, row.goal, got))
	}
	var worse []string
	for _, row := range r.rows() {
		if row.plinth.PeakRSS > row.restic.PeakRSS {
			worse = append(worse, fmt.Sprintf("%s %s > %s MiB", row.name, mib(row.plinth.PeakRSS), mib(row.restic.PeakRSS)))
		}
	}
	memNote := "in every phase"
	if len(worse) > 0 {
		memNote = "exceeded in: " + strings.Join(worse, "; ")
	}
	out = append(out, fmt.Sprintf("%s: plinth's peak memory no more than restic's: %s", met(len(worse) == 0), memNote))
	out = append(out, fmt.Sprintf("%s: a local download into a copy no slower than one core's SHA-512: %.0f MB/s vs %.0f MB/s",
		met(downloadMBs >= r.Machine.SHA512MBs), downloadMBs, r.Machine.SHA512MBs))
	out = append(out, "not judged by one run: the same ratios on an 8 GiB image with memory flat as the image grows "+
		"(compare this table with a --size 8GiB run's)")
	return out
}

func met(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}

// sizeName writes a size in GiB or MiB.
func sizeName(n int64) string {
	if n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
