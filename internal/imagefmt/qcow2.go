package imagefmt

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// The qcow2 facts below are QEMU's docs/interop/qcow2.txt.
const (
	qcow2V2HeaderLen = 72
	qcow2V3HeaderLen = 104
	minClusterBits   = 9
	maxClusterBits   = 21
	maxL1Entries     = 32 << 20 / 8 // QEMU's QCOW_MAX_L1_SIZE
	maxSnapshots     = 65536        // QEMU's QCOW_MAX_SNAPSHOTS
	maxBackingName   = 1023

	incompatDirty       = 1 << 0
	incompatCorrupt     = 1 << 1
	incompatDataFile    = 1 << 2
	incompatCompression = 1 << 3
	incompatExtendedL2  = 1 << 4
	incompatKnown       = incompatDirty | incompatCorrupt | incompatDataFile | incompatCompression | incompatExtendedL2

	autoclearRawData = 1 << 1

	extEnd           = 0x00000000
	extBackingFormat = 0xe2792aca
	extFeatureNames  = 0x6803f857
	extBitmaps       = 0x23852875
	extEncryption    = 0x0537be77
	extDataFile      = 0x44415441
)

// standalone is the advice every refusal of a qcow2 that refers to another
// file ends with.
const standalone = "plinth refuses images that make qemu-img open other files: convert it to a standalone " +
	"image with qemu-img convert -O qcow2"

// qcow2Header is the parsed fixed header of a qcow2 image.
type qcow2Header struct {
	version        uint32
	backingOffset  uint64
	backingSize    uint32
	clusterBits    uint32
	size           uint64
	cryptMethod    uint32
	l1Size         uint32
	l1Offset       uint64
	refcountOffset uint64
	refcountCl     uint32
	nbSnapshots    uint32
	snapshotsOff   uint64
	incompatible   uint64
	autoclear      uint64
	refcountOrder  uint32
	headerLen      uint32
	compression    byte
}

func (h *qcow2Header) clusterSize() int64 { return 1 << h.clusterBits }

// l2EntrySize is the size of one L2 table entry: 16 bytes with extended L2
// entries, else 8.
func (h *qcow2Header) l2EntrySize() int64 {
	if h.incompatible&incompatExtendedL2 != 0 {
		return 16
	}
	return 8
}

// refused wraps ErrRefused with a plain-words reason.
func refused(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrRefused)
}

// corrupt wraps ErrCorrupt (which matches ErrRefused too).
func corrupt(format string, args ...any) error {
	return fmt.Errorf("qcow2 image is malformed: %s: %w", fmt.Sprintf(format, args...), ErrCorrupt)
}

// parseQcow2Header reads the fixed header from buf (the file's first bytes)
// and judges its structure: version, cluster_bits and the version 3
// fields. judgeFeatures judges what it asks for.
func parseQcow2Header(buf []byte) (*qcow2Header, error) {
	if len(buf) < qcow2V2HeaderLen {
		return nil, corrupt("the header is %d bytes, a qcow2 header is at least %d", len(buf), qcow2V2HeaderLen)
	}
	be := binary.BigEndian
	h := &qcow2Header{
		version: be.Uint32(buf[4:]), backingOffset: be.Uint64(buf[8:]), backingSize: be.Uint32(buf[16:]),
		clusterBits: be.Uint32(buf[20:]), size: be.Uint64(buf[24:]), cryptMethod: be.Uint32(buf[32:]),
		l1Size: be.Uint32(buf[36:]), l1Offset: be.Uint64(buf[40:]), refcountOffset: be.Uint64(buf[48:]),
		refcountCl: be.Uint32(buf[56:]), nbSnapshots: be.Uint32(buf[60:]), snapshotsOff: be.Uint64(buf[64:]),
		refcountOrder: 4, headerLen: qcow2V2HeaderLen,
	}
	switch h.version {
	case 2:
	case 3:
		if len(buf) < qcow2V3HeaderLen {
			return nil, corrupt("a version 3 header is at least %d bytes, the file has %d", qcow2V3HeaderLen, len(buf))
		}
		h.incompatible, h.autoclear = be.Uint64(buf[72:]), be.Uint64(buf[88:])
		h.refcountOrder, h.headerLen = be.Uint32(buf[96:]), be.Uint32(buf[100:])
	default:
		return nil, corrupt("version %d is not 2 or 3", h.version)
	}
	if h.clusterBits < minClusterBits || h.clusterBits > maxClusterBits {
		return nil, corrupt("cluster_bits %d is outside %d..%d", h.clusterBits, minClusterBits, maxClusterBits)
	}
	if h.version == 3 {
		if err := h.checkV3Fields(buf); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// checkV3Fields judges the version 3 header fields: its length, the
// refcount order and the compression type.
func (h *qcow2Header) checkV3Fields(buf []byte) error {
	if h.headerLen < qcow2V3HeaderLen || h.headerLen%8 != 0 || int64(h.headerLen) > h.clusterSize() {
		return corrupt("header_length %d is not a multiple of 8 between %d and the cluster size %d",
			h.headerLen, qcow2V3HeaderLen, h.clusterSize())
	}
	if int(h.headerLen) > len(buf) {
		return corrupt("header_length %d runs past the end of the file (%d bytes)", h.headerLen, len(buf))
	}
	if h.refcountOrder > 6 {
		return corrupt("refcount_order %d is above 6", h.refcountOrder)
	}
	if h.incompatible&incompatCompression != 0 {
		if h.headerLen <= 104 {
			return corrupt("the compression type feature is set but the header has no compression_type field")
		}
		h.compression = buf[104]
		if h.compression > 1 {
			return refused("qcow2 image uses compression type %d; plinth knows zlib (0) and zstd (1)", h.compression)
		}
	}
	return nil
}

// judgeFeatures refuses what makes an image unsafe or unusable on its own:
// encryption, a backing file, an external data file, dirty or corrupt
// images, unknown incompatible features, and a virtual size above max.
func (h *qcow2Header) judgeFeatures(buf []byte, maxVirtual int64) error {
	if h.cryptMethod != 0 {
		return refused("qcow2 image is encrypted (crypt_method %d); plinth stores unencrypted images only: "+
			"decrypt it with qemu-img convert -O qcow2 and --object secret", h.cryptMethod)
	}
	if h.backingOffset != 0 || h.backingSize != 0 {
		return refused("qcow2 image names a backing file (%q), so it is not complete on its own; %s",
			backingName(buf, h), standalone)
	}
	if h.incompatible&incompatDataFile != 0 || h.autoclear&autoclearRawData != 0 {
		return refused("qcow2 image names an external data file (%q); %s", dataFileName(buf, h), standalone)
	}
	if unknown := h.incompatible &^ incompatKnown; unknown != 0 {
		return refused("qcow2 image uses incompatible features unknown to plinth (bits %#x); "+
			"convert it with a qemu-img that knows them: qemu-img convert -O qcow2", unknown)
	}
	if h.incompatible&incompatDirty != 0 {
		return refused("qcow2 image is marked dirty (it was not closed cleanly); repair it with qemu-img check -r all")
	}
	if h.incompatible&incompatCorrupt != 0 {
		return refused("qcow2 image is marked corrupt; repair it with qemu-img check -r all")
	}
	if h.size > uint64(math.MaxInt64) || int64(h.size) > maxVirtual {
		return refused("qcow2 image's virtual size is %d bytes, above the limit of %d bytes "+
			"(setting backing-image-max-size-gib)", h.size, maxVirtual)
	}
	return nil
}

// backingName is the backing file name the header points at, for a
// message; "" when it lies outside buf.
func backingName(buf []byte, h *qcow2Header) string {
	end := h.backingOffset + uint64(min(h.backingSize, maxBackingName))
	if h.backingOffset == 0 || end > uint64(len(buf)) || end < h.backingOffset {
		return ""
	}
	return printable(buf[h.backingOffset:end])
}

// dataFileName is the external data file named in buf's header
// extensions, for a message; "" when there is none or it cannot be read.
func dataFileName(buf []byte, h *qcow2Header) string {
	exts, _ := parseExtensions(buf, h, int64(len(buf)))
	return exts.dataFile
}

// printable caps s for an error message and drops what is not text.
func printable(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 256 {
		s = s[:256] + "..."
	}
	return s
}
