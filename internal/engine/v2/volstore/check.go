package volstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Check verifies the volume store at path offline and returns what it
// found. It takes a shared lock, so it fails with ErrInUse while a server
// has the store open. The error is non-nil only when the check could not
// run: the disk cannot be read, holds no store (ErrNotFormatted) or holds
// another format version (ErrUnsupportedVersion). Damage is reported in
// Report.Problems, leaks in Report.Leaked.
//
// Verified: the superblock checksum and geometry; both metadata copies'
// checksums (one invalid copy is a note, since a crash during a commit
// leaves exactly that; two are a problem); and in the copy in use: unique
// volume names and UUIDs, sizes and attribute limits, every map entry
// inside its volume and inside the data area, no logical cluster mapped
// twice, no physical cluster owned twice, and the allocation map against
// the owners.
func Check(path string) (*Report, error) {
	dev, err := openDevice(path, false)
	if err != nil {
		return nil, err
	}
	defer dev.close()
	in, err := inspect(dev)
	if err != nil {
		return nil, err
	}
	return in.report, nil
}

// inspection is what inspect learned; sb and state are set only if the
// report has no problems.
type inspection struct {
	report *Report
	sb     superblock
	state  *metaState
	area   int
}

// inspect reads and verifies the store on dev.
func inspect(dev *device) (*inspection, error) {
	r := &Report{Path: dev.path}
	in := &inspection{report: r}
	buf := make([]byte, superblockSize)
	if dev.size < superblockSize {
		return nil, fmt.Errorf("%s: %d bytes is too small to hold a volume store: %w", dev.path, dev.size, ErrNotFormatted)
	}
	if _, err := dev.f.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("read superblock of %s: %w", dev.path, err)
	}
	sb, err := decodeSuperblock(dev.path, buf)
	if err != nil {
		if isFormatError(err) {
			return nil, err
		}
		r.problem("%v", err)
		return in, nil
	}
	describe(r, &sb)
	for _, p := range sb.validate(dev.size) {
		r.problem("%s", p)
	}
	if !r.OK() {
		return in, nil
	}
	area, payload, copies, err := pickCopy(dev.f, &sb)
	if err != nil {
		return nil, fmt.Errorf("read metadata of %s: %w", dev.path, err)
	}
	r.Copies = copies
	if area < 0 {
		r.problem("no valid metadata copy: A: %s; B: %s", copies[0].Problem, copies[1].Problem)
		return in, nil
	}
	r.Generation = copies[area].Generation
	if other := copies[1-area]; !other.Valid {
		r.note("metadata copy %s is not valid (%s); copy %s generation %d is used. A crash during a commit "+
			"leaves this state; the next commit rewrites copy %s", areaName(1-area), other.Problem,
			areaName(area), r.Generation, areaName(1-area))
	}
	state, err := decodeMeta(payload, sb.dataClusters)
	if err != nil {
		r.problem("metadata copy %s generation %d has a valid checksum but cannot be decoded: %v",
			areaName(area), r.Generation, err)
		return in, nil
	}
	verifyState(r, &sb, state)
	if r.OK() {
		in.sb, in.state, in.area = sb, state, area
	}
	return in, nil
}

// isFormatError reports errors that mean "not a store this build can read"
// rather than damage.
func isFormatError(err error) bool {
	return errors.Is(err, ErrNotFormatted) || errors.Is(err, ErrUnsupportedVersion)
}

func describe(r *Report, sb *superblock) {
	r.UUID = uuid.UUID(sb.uuid).String()
	r.FormatVersion = sb.version
	r.Formatted = time.Unix(sb.formatted, 0)
	r.ClusterSize = int64(sb.clusterSize)
	r.DataClusters = int64(sb.dataClusters)
	r.FirstCluster = int64(sb.firstData())
}
