package volstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// FormatVersion is the on-disk format version this build reads and writes.
// Any change to the layout or encoding in FORMAT.md must increment it.
const FormatVersion uint32 = 1

// Geometry limits and defaults. FORMAT.md explains the choices.
const (
	// DefaultClusterSize is 2 MiB, the Longhorn backup block size: one
	// allocated cluster is exactly one backup block.
	DefaultClusterSize int64 = 2 << 20
	// MinClusterSize and MaxClusterSize bound FormatOptions.ClusterSize,
	// which must also be a power of two.
	MinClusterSize int64 = 64 << 10
	MaxClusterSize int64 = 64 << 20
	// DefaultMaxVolumes is the number of volumes a store is formatted for
	// unless FormatOptions.MaxVolumes says otherwise.
	DefaultMaxVolumes = 1024
	// MaxNameLen is the longest volume name, in bytes.
	MaxNameLen = 255
	// MaxAttrBytes bounds one volume's encoded attributes: 2 bytes of count
	// plus, per entry, 4 bytes of lengths and the key and value bytes.
	MaxAttrBytes = 2048
)

const (
	superblockSize = 4096
	superCRCOffset = 100 // the CRC-32C of bytes [0, 100) is stored here
	metaAlign      = 4096
	metaHeaderSize = 64
	runSize        = 12 // logical u32, physical u32, count u32
	// maxVolumeRecord is the largest encoded volume record without its runs.
	maxVolumeRecord = 16 + 2 + MaxNameLen + 8 + 4 + MaxAttrBytes + 4
	// maxClusterNumber keeps physical cluster numbers and logical counts
	// within the u32 fields of the map encoding.
	maxClusterNumber = math.MaxUint32
)

var (
	superMagic = [8]byte{'P', 'L', 'I', 'N', 'T', 'H', 'V', 'S'}
	metaMagic  = [8]byte{'P', 'L', 'I', 'N', 'T', 'H', 'M', 'D'}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// superblock is the decoded first 4 KiB of a store. It is written once, by
// Format, and never changes afterwards.
type superblock struct {
	version      uint32
	uuid         [16]byte
	clusterSize  uint32
	maxVolumes   uint32
	deviceSize   uint64 // bytes of the disk at format time
	metaOffset   [2]uint64
	metaSize     uint64 // bytes of each metadata area
	dataOffset   uint64 // byte offset of the first data cluster
	dataClusters uint64
	formatted    int64 // Unix seconds
}

// firstData is the physical number of the first data cluster; numbers
// count clusters from the start of the disk, so 0 never names a data cluster.
func (sb *superblock) firstData() uint64 { return sb.dataOffset / uint64(sb.clusterSize) }

// computeLayout places the superblock, both metadata areas and the data
// clusters on a disk of size bytes. Each metadata area is sized for the
// worst case: maxVolumes records of maximum size, one run per data cluster
// and the allocation bitmap, so a commit can never run out of room.
func computeLayout(size, clusterSize int64, maxVolumes int) (superblock, error) {
	if clusterSize < MinClusterSize || clusterSize > MaxClusterSize || clusterSize&(clusterSize-1) != 0 {
		return superblock{}, fmt.Errorf("cluster size %d must be a power of two between %d and %d: %w",
			clusterSize, MinClusterSize, MaxClusterSize, ErrInvalid)
	}
	if maxVolumes < 1 || maxVolumes > 1<<20 {
		return superblock{}, fmt.Errorf("max volumes %d must be between 1 and %d: %w", maxVolumes, 1<<20, ErrInvalid)
	}
	upper := uint64(size / clusterSize)
	payload := 4 + uint64(maxVolumes)*maxVolumeRecord + upper*runSize + 4 + 8*bitmapWords(upper)
	metaSize := alignUp(metaHeaderSize+payload, metaAlign)
	dataOffset := alignUp(superblockSize+2*metaSize, uint64(clusterSize))
	if uint64(size) < dataOffset+uint64(clusterSize) {
		return superblock{}, fmt.Errorf("disk of %d bytes is too small: metadata for %d volumes needs %d bytes "+
			"and at least one %d-byte data cluster must follow (use a larger disk or fewer max volumes): %w",
			size, maxVolumes, dataOffset, clusterSize, ErrInvalid)
	}
	sb := superblock{
		version:      FormatVersion,
		clusterSize:  uint32(clusterSize),
		maxVolumes:   uint32(maxVolumes),
		deviceSize:   uint64(size),
		metaOffset:   [2]uint64{superblockSize, superblockSize + metaSize},
		metaSize:     metaSize,
		dataOffset:   dataOffset,
		dataClusters: (uint64(size) - dataOffset) / uint64(clusterSize),
	}
	if sb.firstData()+sb.dataClusters > maxClusterNumber {
		sb.dataClusters = maxClusterNumber - sb.firstData()
	}
	return sb, nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

// encode renders the superblock into a superblockSize buffer.
func (sb *superblock) encode() []byte {
	b := make([]byte, superblockSize)
	le := binary.LittleEndian
	copy(b[0:8], superMagic[:])
	le.PutUint32(b[8:], sb.version)
	le.PutUint32(b[12:], superCRCOffset)
	copy(b[16:32], sb.uuid[:])
	le.PutUint32(b[32:], sb.clusterSize)
	le.PutUint32(b[36:], sb.maxVolumes)
	le.PutUint64(b[40:], sb.deviceSize)
	le.PutUint64(b[48:], sb.metaOffset[0])
	le.PutUint64(b[56:], sb.metaOffset[1])
	le.PutUint64(b[64:], sb.metaSize)
	le.PutUint64(b[72:], sb.dataOffset)
	le.PutUint64(b[80:], sb.dataClusters)
	le.PutUint64(b[88:], uint64(sb.formatted))
	le.PutUint32(b[superCRCOffset:], crc32.Checksum(b[:superCRCOffset], castagnoli))
	return b
}

// decodeSuperblock parses b. The magic and version are checked before
// anything else, because a later format version may lay out the rest
// differently: a missing magic is ErrNotFormatted, another version a
// *VersionError. A checksum mismatch is returned as a plain error for the
// caller to report as damage.
func decodeSuperblock(path string, b []byte) (superblock, error) {
	le := binary.LittleEndian
	if len(b) < superblockSize || !bytes.Equal(b[0:8], superMagic[:]) {
		return superblock{}, fmt.Errorf("%s: no volume store signature at offset 0: %w", path, ErrNotFormatted)
	}
	sb := superblock{version: le.Uint32(b[8:])}
	if sb.version != FormatVersion {
		return superblock{}, &VersionError{Path: path, Found: sb.version, Supported: FormatVersion}
	}
	want := le.Uint32(b[superCRCOffset:])
	if le.Uint32(b[12:]) != superCRCOffset || crc32.Checksum(b[:superCRCOffset], castagnoli) != want {
		return superblock{}, fmt.Errorf("superblock checksum mismatch (the first 4 KiB were overwritten or corrupted)")
	}
	copy(sb.uuid[:], b[16:32])
	sb.clusterSize = le.Uint32(b[32:])
	sb.maxVolumes = le.Uint32(b[36:])
	sb.deviceSize = le.Uint64(b[40:])
	sb.metaOffset = [2]uint64{le.Uint64(b[48:]), le.Uint64(b[56:])}
	sb.metaSize = le.Uint64(b[64:])
	sb.dataOffset = le.Uint64(b[72:])
	sb.dataClusters = le.Uint64(b[80:])
	sb.formatted = int64(le.Uint64(b[88:]))
	return sb, nil
}

// validate checks that the geometry is the one computeLayout would produce
// and that it fits a disk of diskSize bytes. It returns one message per
// problem.
func (sb *superblock) validate(diskSize int64) []string {
	want, err := computeLayout(int64(sb.deviceSize), int64(sb.clusterSize), int(sb.maxVolumes))
	if err != nil {
		return []string{fmt.Sprintf("superblock geometry is invalid: %v", err)}
	}
	var probs []string
	if sb.metaOffset != want.metaOffset || sb.metaSize != want.metaSize || sb.dataOffset != want.dataOffset ||
		sb.dataClusters != want.dataClusters {
		probs = append(probs, fmt.Sprintf("superblock layout (metadata at %d and %d, %d bytes each; data at %d, "+
			"%d clusters) does not match the layout of its own disk size and cluster size",
			sb.metaOffset[0], sb.metaOffset[1], sb.metaSize, sb.dataOffset, sb.dataClusters))
	}
	end := sb.dataOffset + sb.dataClusters*uint64(sb.clusterSize)
	if uint64(diskSize) < end {
		probs = append(probs, fmt.Sprintf("disk is %d bytes but the store extends to byte %d: "+
			"the disk shrank or is the wrong disk", diskSize, end))
	}
	return probs
}
