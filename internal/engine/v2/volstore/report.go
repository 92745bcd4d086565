package volstore

import (
	"fmt"
	"strings"
	"time"
)

// maxListedProblems caps Report.Problems; ProblemCount still counts all.
const maxListedProblems = 100

// Report is the result of verifying a volume store (Check, and Open before
// it uses a store).
type Report struct {
	Path          string
	UUID          string
	FormatVersion uint32
	Formatted     time.Time
	ClusterSize   int64
	DataClusters  int64 // capacity in clusters; StorageMaximum is DataClusters*ClusterSize
	FirstCluster  int64 // physical number of the first data cluster
	Generation    uint64
	Copies        [2]CopyStatus
	Volumes       int
	// OwnedClusters are data clusters some volume's map owns.
	OwnedClusters int64
	// Leaked are clusters the allocation map marks used although no volume
	// owns them. They are not damage: Open treats them as free and the next
	// commit rewrites the allocation map without them.
	Leaked         []ClusterRange
	LeakedClusters int64
	// Problems are damage; a store with any is refused by Open. At most
	// maxListedProblems are listed; ProblemCount counts them all.
	Problems     []string
	ProblemCount int
	// Notes are facts worth knowing that are not damage, such as a metadata
	// copy torn by a crash during a commit.
	Notes []string
}

// ClusterRange is Count physical clusters starting at First; cluster i
// starts at byte i*ClusterSize of the disk.
type ClusterRange struct {
	First, Count int64
}

// OK reports whether the store has no problems (leaks and notes allowed).
func (r *Report) OK() bool { return r.ProblemCount == 0 }

func (r *Report) problem(format string, args ...any) {
	r.ProblemCount++
	if len(r.Problems) < maxListedProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// String renders the report for people, one fact per line.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "volume store %s\n", r.Path)
	if r.UUID != "" {
		fmt.Fprintf(&b, "  uuid %s, format version %d, formatted %s\n", r.UUID, r.FormatVersion,
			r.Formatted.UTC().Format(time.RFC3339))
		fmt.Fprintf(&b, "  cluster size %d bytes, %d data clusters from cluster %d\n",
			r.ClusterSize, r.DataClusters, r.FirstCluster)
	}
	for i, c := range r.Copies {
		if c.Offset == 0 {
			continue
		}
		state := "valid"
		if !c.Valid {
			state = "NOT VALID: " + c.Problem
		} else if c.InUse {
			state = "valid, in use"
		}
		fmt.Fprintf(&b, "  metadata copy %s at %d: generation %d, %s\n", areaName(i), c.Offset, c.Generation, state)
	}
	fmt.Fprintf(&b, "  %d volume(s), %d cluster(s) owned, %d leaked\n", r.Volumes, r.OwnedClusters, r.LeakedClusters)
	for _, l := range r.Leaked {
		fmt.Fprintf(&b, "  leaked: clusters %d..%d\n", l.First, l.First+l.Count-1)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  PROBLEM: %s\n", p)
	}
	if more := r.ProblemCount - len(r.Problems); more > 0 {
		fmt.Fprintf(&b, "  ... and %d more problem(s)\n", more)
	}
	if r.OK() {
		b.WriteString("  result: OK\n")
	} else {
		fmt.Fprintf(&b, "  result: DAMAGED (%d problem(s))\n", r.ProblemCount)
	}
	return b.String()
}
