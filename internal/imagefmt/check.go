package imagefmt

import (
	"errors"
	"fmt"
	"io"
)

// DefaultMaxVirtualSize is the virtual size limit a zero Limits applies:
// the default of the setting backing-image-max-size-gib (2048 GiB).
const DefaultMaxVirtualSize int64 = 2048 << 30

// maxHeaderArea is the most Check reads for the header cluster: a qcow2
// cluster is at most 2 MiB.
const maxHeaderArea = 1 << maxClusterBits

// Limits are the bounds Check applies beyond the format's own rules.
type Limits struct {
	// MaxVirtualSize is the largest virtual size accepted, in bytes; 0
	// means DefaultMaxVirtualSize.
	MaxVirtualSize int64
}

func (l Limits) maxVirtual() int64 {
	if l.MaxVirtualSize <= 0 {
		return DefaultMaxVirtualSize
	}
	return l.MaxVirtualSize
}

// Check recognises the image in r (size bytes long) and judges whether
// plinth may store it and hand it to qemu-img. Anything without the qcow2
// magic is raw and always accepted (its virtual size is size). A qcow2 is
// accepted only when it is version 2 or 3, stands alone (no backing file,
// no external data file), is not encrypted, dirty or corrupt, uses no
// unknown incompatible feature, has cluster_bits 9..21 and a virtual size
// within limits, and its header extensions, L1 table, L2 tables, data
// clusters, refcount table, snapshot table and bitmap directory all lie
// inside the file without overlapping the header. A refusal wraps
// ErrRefused (a malformed image wraps ErrCorrupt, which matches ErrRefused
// too) and says why in plain words; a read failure is returned as is.
func Check(r io.ReaderAt, size int64, limits Limits) (Info, error) {
	head, err := readHead(r, size)
	if err != nil {
		return Info{}, err
	}
	info, h, exts, err := judgeHead(head, size, limits)
	if err != nil || h == nil {
		return info, err
	}
	t := &tableCheck{r: r, size: size, h: h}
	if err := t.run(exts); err != nil {
		return Info{}, err
	}
	return info, nil
}

// CheckHeader judges what an image's first bytes alone decide, for a
// caller that cannot read the whole file yet (a restore choosing how to
// write a backup): everything Check refuses except tables outside the
// file. head should hold the image's first 2 MiB (or all of it when
// smaller). Errors are those of Check.
func CheckHeader(head []byte, limits Limits) (Info, error) {
	info, _, _, err := judgeHead(head, int64(len(head)), limits)
	return info, err
}

// judgeHead recognises the format from head and, for a qcow2, judges its
// fixed header and extensions; h is nil for a raw image.
func judgeHead(head []byte, size int64, limits Limits) (Info, *qcow2Header, qcow2Exts, error) {
	if !isQcow2(head) {
		return Info{Format: Raw, VirtualSize: size}, nil, qcow2Exts{}, nil
	}
	h, err := parseQcow2Header(head)
	if err != nil {
		return Info{}, nil, qcow2Exts{}, err
	}
	if err := h.judgeFeatures(head, limits.maxVirtual()); err != nil {
		return Info{}, nil, qcow2Exts{}, err
	}
	exts, err := parseExtensions(head, h, size)
	if err == nil {
		err = judgeExtensions(exts)
	}
	if err != nil {
		return Info{}, nil, qcow2Exts{}, err
	}
	return Info{Format: Qcow2, VirtualSize: int64(h.size)}, h, exts, nil
}

func isQcow2(head []byte) bool {
	return len(head) >= len(qcow2Magic) && string(head[:len(qcow2Magic)]) == string(qcow2Magic)
}

// readHead reads the file's first min(size, 2 MiB) bytes.
func readHead(r io.ReaderAt, size int64) ([]byte, error) {
	if size < 0 {
		return nil, fmt.Errorf("check image: negative size %d", size)
	}
	head := make([]byte, min(size, maxHeaderArea))
	n, err := r.ReadAt(head, 0)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(head)) {
		return nil, fmt.Errorf("read image header: %w", err)
	}
	return head, nil
}
