package volstore

import (
	"bytes"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// FormatOptions tune Format. The zero value is the default.
type FormatOptions struct {
	// ClusterSize is the allocation unit: a power of two from
	// MinClusterSize to MaxClusterSize; 0 means DefaultClusterSize.
	ClusterSize int64
	// MaxVolumes is how many volumes the metadata areas are sized for;
	// 0 means DefaultMaxVolumes.
	MaxVolumes int
	// Force formats a disk that already holds a volume store or other data
	// (its first 4 KiB are not zero), destroying it.
	Force bool
}

// Format writes a new, empty volume store on path and opens it. A missing
// path (or an empty regular file) is created as a sparse file of size
// bytes; an existing file or block device keeps its size, which size must
// match unless it is 0. Format refuses a disk that already holds a store
// or other data unless opts.Force is set.
//
// A crash during Format leaves a disk with no store signature, which a
// later Format accepts: the old superblock is zeroed first and the new one
// is written last, after both metadata copies are durable.
func Format(path string, size int64, opts FormatOptions) (*Store, error) {
	if opts.ClusterSize == 0 {
		opts.ClusterSize = DefaultClusterSize
	}
	if opts.MaxVolumes == 0 {
		opts.MaxVolumes = DefaultMaxVolumes
	}
	if err := prepareFile(path, size); err != nil {
		return nil, err
	}
	dev, err := openDevice(path, true)
	if err != nil {
		return nil, err
	}
	s, err := formatDevice(dev, size, opts)
	if err != nil {
		dev.close()
		return nil, err
	}
	return s, nil
}

func formatDevice(dev *device, size int64, opts FormatOptions) (*Store, error) {
	if size != 0 && size != dev.size {
		return nil, fmt.Errorf("format %s: the disk is %d bytes, not the %d bytes asked for "+
			"(pass size 0 to use the disk's size): %w", dev.path, dev.size, size, ErrInvalid)
	}
	if err := refuseExisting(dev, opts.Force); err != nil {
		return nil, err
	}
	sb, err := computeLayout(dev.size, opts.ClusterSize, opts.MaxVolumes)
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", dev.path, err)
	}
	sb.uuid = uuid.New()
	sb.formatted = time.Now().Unix()
	if err := writeSync(dev, make([]byte, superblockSize), 0, "clear the old superblock"); err != nil {
		return nil, err
	}
	empty := encodeMeta(&metaState{alloc: newBitmap(sb.dataClusters)})
	for area, gen := range []uint64{1, 0} {
		if err := writeCopy(dev.f, &sb, area, gen, empty); err != nil {
			return nil, fmt.Errorf("format %s: %w", dev.path, err)
		}
	}
	if err := dev.f.Sync(); err != nil {
		return nil, fmt.Errorf("format %s: flush metadata: %w", dev.path, err)
	}
	if err := writeSync(dev, sb.encode(), 0, "write the superblock"); err != nil {
		return nil, err
	}
	in, err := inspect(dev)
	if err != nil {
		return nil, err
	}
	if !in.report.OK() {
		return nil, &DamageError{Report: in.report}
	}
	return newStore(dev, in), nil
}

// refuseExisting protects a disk that holds a store or any other data in
// its first 4 KiB (partition tables and most filesystems put their
// signatures there).
func refuseExisting(dev *device, force bool) error {
	if force || dev.size < superblockSize {
		return nil
	}
	b := make([]byte, superblockSize)
	if _, err := dev.f.ReadAt(b, 0); err != nil {
		return fmt.Errorf("format %s: read the first 4 KiB: %w", dev.path, err)
	}
	if bytes.Equal(b[0:8], superMagic[:]) {
		return fmt.Errorf("format %s: the disk already holds a volume store (open it instead, or force the "+
			"format to destroy it): %w", dev.path, ErrInvalid)
	}
	if !allZero(b) {
		return fmt.Errorf("format %s: the first 4 KiB of the disk are not zero, so it may hold a filesystem or "+
			"partition table; wipe it or force the format to destroy it: %w", dev.path, ErrInvalid)
	}
	return nil
}

func writeSync(dev *device, b []byte, off int64, what string) error {
	if _, err := dev.f.WriteAt(b, off); err != nil {
		return fmt.Errorf("format %s: %s: %w", dev.path, what, err)
	}
	if err := dev.f.Sync(); err != nil {
		return fmt.Errorf("format %s: %s: flush: %w", dev.path, what, err)
	}
	return nil
}
