package benchvs

import (
	"bytes"
	"crypto/sha512"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLayoutForScalesTheIssueImage(t *testing.T) {
	l, err := LayoutFor(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	if l.Blocks != 512 || l.DataBlocks() != 384 || l.Distinct != 130 || int64(l.HoleBlocks)*BlockSize != 256<<20 {
		t.Fatalf("1 GiB layout = %+v, want 512 blocks, 384 with data, 130 distinct, a 256 MiB hole", l)
	}
	l8, err := LayoutFor(8 << 30)
	if err != nil {
		t.Fatal(err)
	}
	if l8.DataBlocks() != 8*384 || l8.Distinct != 8*130 || l8.HoleBlocks != 8*128 {
		t.Fatalf("8 GiB layout = %+v, want 8 times the 1 GiB one", l8)
	}
	for _, bad := range []int64{0, -8 << 20, 3 << 20, 12 << 20} {
		if _, err := LayoutFor(bad); err == nil {
			t.Errorf("LayoutFor(%d) accepted a size that is not a positive multiple of 8 MiB", bad)
		}
	}
}

func TestGenerateWritesTheLayout(t *testing.T) {
	l, err := LayoutFor(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "image.raw")
	sum, err := Generate(path, l)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != l.Size {
		t.Fatalf("image is %d bytes, want %d", len(data), l.Size)
	}
	zero := make([]byte, BlockSize)
	distinct := map[string]bool{}
	holes := 0
	for b := range l.Blocks {
		blk := data[b*BlockSize : (b+1)*BlockSize]
		if bytes.Equal(blk, zero) {
			holes++
			if !l.InHole(b) {
				t.Errorf("block %d is all zeros but is not in the hole", b)
			}
			continue
		}
		if l.InHole(b) {
			t.Errorf("block %d is in the hole but holds data", b)
		}
		distinct[string(blk)] = true
	}
	if holes != l.HoleBlocks || len(distinct) != l.Distinct {
		t.Fatalf("image has %d zero blocks and %d distinct data blocks, want %d and %d", holes, len(distinct), l.HoleBlocks, l.Distinct)
	}
	if sum2, err := FileSHA512(path); err != nil || sum2 != sum || len(sum) != 128 {
		t.Fatalf("Generate returned SHA-512 %q, the file hashes to %q (%v)", sum, sum2, err)
	}
	again := filepath.Join(t.TempDir(), "again.raw")
	if sum3, err := Generate(again, l); err != nil || sum3 != sum {
		t.Fatalf("a second image of the same layout has SHA-512 %q, want %q (%v): the image must be reproducible", sum3, sum, err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "8GiB": 8 << 30, "512MiB": 512 << 20, "4096": 4096} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "1.5GiB", "-1GiB", "1TB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted a bad size", bad)
		}
	}
}

func TestMedian(t *testing.T) {
	cases := []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}}
	for _, c := range cases {
		in := append([]float64(nil), c.in...)
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", in, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("Median reordered its input: %v, was %v", c.in, in)
			}
		}
	}
}

func TestSummarizeTakesMedianTimeAndPeakMemory(t *testing.T) {
	runs := []PhaseSamples{
		{Cold: Sample{Seconds: 3, PeakRSS: 10}},
		{Cold: Sample{Seconds: 1, PeakRSS: 30, StartRSS: 5}},
		{Cold: Sample{Seconds: 2, PeakRSS: 20}},
	}
	if got := Summarize(runs).Cold; got != (Sample{Seconds: 2, PeakRSS: 30, StartRSS: 5}) {
		t.Fatalf("Summarize cold = %+v, want median 2 s and the largest peak 30 with its run's start 5", got)
	}
}

func TestWriteMarkdownTableAndGoals(t *testing.T) {
	l, _ := LayoutFor(1 << 30)
	r := Result{
		Layout: l, Runs: 3, Date: "2026-01-02 03:04 UTC",
		Restic: Summary{Cold: Sample{6.5, 400 << 20, 0, 9}, AllStored: Sample{3.6, 300 << 20, 0, 5}, Restore: Sample{2.2, 200 << 20, 0, 1.5},
			DurableRestore: Sample{3.2, 200 << 20, 0, 1.5}},
		Plinth: Summary{Cold: Sample{3.25, 100 << 20, 0, 3}, AllStored: Sample{0.5, 100 << 20, 0, 0.1}, Restore: Sample{2.2, 250 << 20, 120 << 20, 0.8},
			Download: Sample{2, 50 << 20, 0, 3.5}},
		Machine: Machine{CPU: "Test CPU", Cores: 2, SHA512MBs: 400, SHA256MBs: 1400, DiskMBs: 500, LoadBefore: "1.00 2.00 3.00", LoadAfter: "4.00 5.00 6.00"},
	}
	var b strings.Builder
	r.WriteMarkdown(&b)
	out := b.String()
	for _, want := range []string{
		"### 1 GiB image, medians of 3 run(s), 2026-01-02 03:04 UTC",
		"| phase | restic s | plinth s | ratio (restic/plinth) | restic peak RSS MiB | plinth peak RSS MiB | restic CPU s | plinth CPU s |",
		"| cold backup | 6.50 | 3.25 | 2.00× | 400 | 100 | 9.00 | 3.00 |",
		"| backup, every block already stored | 3.60 | 0.50 | 7.20× | 300 | 100 | 5.00 | 0.10 |",
		"| restore | 2.20 | 2.20 | 1.00× | 200 | 250 (from 120) | 1.50 | 0.80 |",
		"restic's restore followed by an fsync of its file takes 3.20 s (1.45× plinth's 2.20 s",
		"The disk takes data durably at 500 MB/s, so writing the image's 768 MiB of data durably takes at least 1.61 s.",
		"Machine: Test CPU, 2 cores. Single core: SHA-512 400 MB/s, SHA-256 1400 MB/s. Load average 1.00 2.00 3.00 before, 4.00 5.00 6.00 after.",
		"2.00 s for 1 GiB = 537 MB/s",
		"- **met**: cold backup at least 2× faster than restic: 2.00×",
		"- **not met**: backup, every block already stored at least 10× faster than restic: 7.20×",
		"- **not met**: restore at least 2× faster than restic: 1.00×",
		"- **not met**: plinth's peak memory no more than restic's: exceeded in: restore 250 > 200 MiB",
		"- **met**: a local download into a copy no slower than one core's SHA-512: 537 MB/s vs 400 MB/s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestDiskWriteSpeedAndSyncFile(t *testing.T) {
	dir := t.TempDir()
	mbs, err := DiskWriteSpeed(dir)
	if err != nil || mbs <= 0 {
		t.Fatalf("DiskWriteSpeed = %v, %v", mbs, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("DiskWriteSpeed left %d files behind", len(entries))
	}
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := syncFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := syncFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("syncFile of a missing file succeeded")
	}
}

func TestCPUSecondsOfThisProcess(t *testing.T) {
	before, err := cpuSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<20)
	for range 20 { // burn a little CPU
		_ = sha512.Sum512(buf)
	}
	after, err := cpuSeconds(os.Getpid())
	if err != nil || after <= before {
		t.Fatalf("CPU seconds %v -> %v, %v: want growth", before, after, err)
	}
}
