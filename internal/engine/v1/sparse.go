package v1

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Linux lseek whence values for sparse files.
const (
	seekData = 3
	seekHole = 4
)

// forEachExtent calls fn for consecutive ranges that cover [0, size) of f,
// with data=false for holes. A filesystem without SEEK_DATA support yields
// one data range.
func forEachExtent(f *os.File, size int64, fn func(off, length int64, data bool) error) error {
	var off int64
	for off < size {
		dataStart, err := f.Seek(off, seekData)
		if errors.Is(err, syscall.ENXIO) {
			return fn(off, size-off, false) // only a hole is left
		}
		if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
			return fn(off, size-off, true)
		}
		if err != nil {
			return fmt.Errorf("seek data in %s: %w", f.Name(), err)
		}
		if dataStart > off {
			if err := fn(off, min(dataStart, size)-off, false); err != nil {
				return err
			}
		}
		if dataStart >= size {
			return nil
		}
		dataEnd, err := f.Seek(dataStart, seekHole)
		if err != nil {
			return fmt.Errorf("seek hole in %s: %w", f.Name(), err)
		}
		dataEnd = min(dataEnd, size)
		if err := fn(dataStart, dataEnd-dataStart, true); err != nil {
			return err
		}
		off = dataEnd
	}
	return nil
}
