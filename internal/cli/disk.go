package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// DiskCheckOptions are the arguments of `plinth disk check`.
type DiskCheckOptions struct {
	// Path is the block disk: a block device or a file used as one.
	Path string
}

// ErrDiskDamaged is returned by DiskCheck when the volume store has
// problems, after the report was printed; the command then exits 1.
var ErrDiskDamaged = errors.New("volume store is damaged")

// DiskCheck verifies the volume store on a block disk offline (without the
// server) and prints the report: for people, or as JSON with -o json.
// Leaked clusters and a torn metadata copy are reported but are not damage
// (the server repairs both when it opens the disk). It returns
// ErrDiskDamaged when the store has problems, and an error saying so when
// the disk is in use by a running server, holds no volume store or holds a
// format version this plinth cannot read.
func DiskCheck(_ context.Context, env *Env, o DiskCheckOptions) error {
	r, err := volstore.Check(o.Path)
	switch {
	case errors.Is(err, volstore.ErrInUse):
		return fmt.Errorf("disk check %s: the disk is in use by a running plinth server (or another process), "+
			"which already verified it when it opened it; stop the server, or remove the disk from its node, "+
			"to check it offline: %w", o.Path, err)
	case errors.Is(err, volstore.ErrNotFormatted):
		return fmt.Errorf("disk check %s: %w (a block disk is formatted when it is first added to a node)", o.Path, err)
	case err != nil:
		return fmt.Errorf("disk check %s: %w", o.Path, err)
	}
	if env.json() {
		err = printJSON(env.Out, diskReportJSON(r))
	} else {
		_, err = fmt.Fprint(env.Out, r.String())
	}
	if err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("disk check %s: %w: %d problem(s), listed in the report; plinth refuses to open it",
			o.Path, ErrDiskDamaged, r.ProblemCount)
	}
	return nil
}

// diskReport is the JSON form of a volstore.Report.
type diskReport struct {
	Path           string              `json:"path"`
	OK             bool                `json:"ok"`
	UUID           string              `json:"uuid,omitempty"`
	FormatVersion  uint32              `json:"formatVersion,omitempty"`
	Formatted      string              `json:"formatted,omitempty"`
	ClusterSize    int64               `json:"clusterSize,omitempty"`
	DataClusters   int64               `json:"dataClusters,omitempty"`
	FirstCluster   int64               `json:"firstCluster,omitempty"`
	Generation     uint64              `json:"generation"`
	MetadataCopies []diskReportCopy    `json:"metadataCopies"`
	Volumes        int                 `json:"volumes"`
	OwnedClusters  int64               `json:"ownedClusters"`
	LeakedClusters int64               `json:"leakedClusters"`
	Leaked         []diskReportCluster `json:"leaked"`
	ProblemCount   int                 `json:"problemCount"`
	Problems       []string            `json:"problems"`
	Notes          []string            `json:"notes"`
}

type diskReportCopy struct {
	Offset     int64  `json:"offset"`
	Valid      bool   `json:"valid"`
	Generation uint64 `json:"generation"`
	InUse      bool   `json:"inUse"`
	Problem    string `json:"problem,omitempty"`
}

type diskReportCluster struct {
	First int64 `json:"first"`
	Count int64 `json:"count"`
}

func diskReportJSON(r *volstore.Report) diskReport {
	out := diskReport{
		Path: r.Path, OK: r.OK(), UUID: r.UUID, FormatVersion: r.FormatVersion, ClusterSize: r.ClusterSize,
		DataClusters: r.DataClusters, FirstCluster: r.FirstCluster, Generation: r.Generation, Volumes: r.Volumes,
		OwnedClusters: r.OwnedClusters, LeakedClusters: r.LeakedClusters, ProblemCount: r.ProblemCount,
		MetadataCopies: []diskReportCopy{}, Leaked: []diskReportCluster{},
		Problems: append([]string{}, r.Problems...), Notes: append([]string{}, r.Notes...),
	}
	if !r.Formatted.IsZero() {
		out.Formatted = r.Formatted.UTC().Format(time.RFC3339)
	}
	for _, c := range r.Copies {
		if c.Offset != 0 {
			out.MetadataCopies = append(out.MetadataCopies, diskReportCopy(c))
		}
	}
	for _, l := range r.Leaked {
		out.Leaked = append(out.Leaked, diskReportCluster(l))
	}
	return out
}
