package imagefmt

import "encoding/binary"

// qcow2Exts is what plinth reads from a qcow2 image's header extensions.
type qcow2Exts struct {
	dataFile       string // the external data file's name, if the extension is there
	hasDataFile    bool
	hasEncryption  bool
	bitmapsOffset  uint64
	bitmapsSize    uint64
	hasBitmapTable bool
}

// parseExtensions walks the header extensions between the header and the
// end of the first cluster (or the backing file name), with every length
// checked against that area and against buf (the file's first bytes; size
// is the file's length). Unknown extension types are skipped, as QEMU does.
func parseExtensions(buf []byte, h *qcow2Header, size int64) (qcow2Exts, error) {
	var exts qcow2Exts
	end := min(h.clusterSize(), size)
	if h.backingOffset != 0 && h.backingOffset < uint64(end) {
		end = int64(h.backingOffset)
	}
	if end > int64(len(buf)) {
		return exts, corrupt("the header extensions run to byte %d, past the %d bytes read", end, len(buf))
	}
	be := binary.BigEndian
	for off := int64(h.headerLen); off+8 <= end; {
		typ, length := be.Uint32(buf[off:]), int64(be.Uint32(buf[off+4:]))
		if typ == extEnd {
			return exts, nil
		}
		data := off + 8
		if length > end-data {
			return exts, corrupt("header extension %#x at byte %d is %d bytes long, past the end of the extension area (%d)",
				typ, off, length, end)
		}
		body := buf[data : data+length]
		switch typ {
		case extDataFile:
			exts.hasDataFile, exts.dataFile = true, printable(body)
		case extEncryption:
			exts.hasEncryption = true
		case extBitmaps:
			if length < 24 {
				return exts, corrupt("the bitmaps extension is %d bytes, it needs 24", length)
			}
			exts.hasBitmapTable = true
			exts.bitmapsSize, exts.bitmapsOffset = be.Uint64(body[8:]), be.Uint64(body[16:])
		}
		off = data + (length+7)&^7
	}
	return exts, nil
}

// judgeExtensions refuses the extensions that make qemu-img open another
// file or need a key.
func judgeExtensions(exts qcow2Exts) error {
	if exts.hasDataFile {
		return refused("qcow2 image names an external data file (%q); %s", exts.dataFile, standalone)
	}
	if exts.hasEncryption {
		return refused("qcow2 image carries a full disk encryption header; plinth stores unencrypted images only: " +
			"decrypt it with qemu-img convert -O qcow2 and --object secret")
	}
	return nil
}
