package benchvs

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine is what the benchmark records about the machine it ran on.
type Machine struct {
	CPU       string
	Cores     int
	SHA512MBs float64 // single core, MB/s (10^6 bytes)
	SHA256MBs float64
	// DiskMBs is the scratch disk's durable write speed (DiskWriteSpeed).
	DiskMBs float64
	// LoadBefore and LoadAfter are /proc/loadavg's 1, 5 and 15 minute
	// averages before the first run and after the last: how busy the
	// machine was (numbers from a shared machine are noisy).
	LoadBefore, LoadAfter string
}

// hashBytes is how much each hash speed is measured over.
const hashBytes = 256 << 20

// MeasureMachine reads the CPU model and measures single-core SHA-512 and
// SHA-256 speeds over 256 MiB in this process, the best of three passes
// each (the machine may be shared: the best pass is the closest to what
// one free core does).
func MeasureMachine() Machine {
	return Machine{
		CPU:       cpuModel(),
		Cores:     runtime.NumCPU(),
		SHA512MBs: bestOf(3, func() float64 { return hashSpeed(sha512.New()) }),
		SHA256MBs: bestOf(3, func() float64 { return hashSpeed(sha256.New()) }),
	}
}

// LoadAverage returns the 1, 5 and 15 minute load averages, or "unknown".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuModel is the first "model name" in /proc/cpuinfo, or "unknown".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// hashSpeed hashes hashBytes (a 4 MiB random buffer over and over) on the
// calling goroutine and returns MB/s.
func hashSpeed(h hash.Hash) float64 {
	buf := make([]byte, 4<<20)
	fillBlock(buf[:BlockSize], 1)
	fillBlock(buf[BlockSize:], 2)
	start := time.Now()
	for range hashBytes / len(buf) {
		h.Write(buf)
	}
	h.Sum(nil)
	return float64(hashBytes) / 1e6 / time.Since(start).Seconds()
}

// bestOf returns the largest of n calls of f.
func bestOf(n int, f func() float64) float64 {
	best := 0.0
	for range n {
		best = max(best, f())
	}
	return best
}
