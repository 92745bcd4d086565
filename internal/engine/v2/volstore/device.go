package volstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// device is an open disk: a block device or a regular file.
type device struct {
	f     *os.File
	path  string
	size  int64
	block bool
}

// openDevice opens path for reading, or for reading and writing, and takes
// an advisory lock on it (exclusive for writing, shared for reading), so a
// server and `plinth disk check` never work on the same store at once. A
// block device opened for writing is also opened O_EXCL, which the kernel
// refuses while the device is mounted or otherwise claimed.
func openDevice(path string, write bool) (*device, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("volume store disk %s: %w", path, err)
	}
	d := &device{path: path, block: fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0}
	if !d.block && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("volume store disk %s is neither a block device nor a regular file (mode %s): %w",
			path, fi.Mode(), ErrInvalid)
	}
	flag, lock := os.O_RDONLY, syscall.LOCK_SH
	if write {
		flag, lock = os.O_RDWR, syscall.LOCK_EX
		if d.block {
			flag |= syscall.O_EXCL
		}
	}
	if d.f, err = os.OpenFile(path, flag, 0); err != nil {
		if errors.Is(err, syscall.EBUSY) {
			return nil, fmt.Errorf("open volume store disk %s: the device is mounted or claimed by another user: %w", path, ErrInUse)
		}
		return nil, fmt.Errorf("open volume store disk %s: %w", path, err)
	}
	if err := syscall.Flock(int(d.f.Fd()), lock|syscall.LOCK_NB); err != nil {
		d.f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("volume store disk %s is locked by another process (a running plinth server?): %w", path, ErrInUse)
		}
		return nil, fmt.Errorf("lock volume store disk %s: %w", path, err)
	}
	if d.size, err = d.f.Seek(0, io.SeekEnd); err != nil {
		d.f.Close()
		return nil, fmt.Errorf("size of volume store disk %s: %w", path, err)
	}
	return d, nil
}

// close releases the lock and the descriptor.
func (d *device) close() error {
	if err := d.f.Close(); err != nil {
		return fmt.Errorf("close volume store disk %s: %w", d.path, err)
	}
	return nil
}

// prepareFile makes sure path exists before Format opens it. A missing
// path, or an empty regular file, becomes a sparse file of size bytes. An
// existing non-empty file or a block device keeps its size; size, when not
// zero, must then match it, so a typo never silently uses a different disk.
func prepareFile(path string, size int64) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if size <= 0 {
			return fmt.Errorf("volume store disk %s does not exist and no size was given to create it: %w", path, ErrInvalid)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("create volume store disk %s: %w", path, err)
		}
		return truncateClose(f, size)
	case err != nil:
		return fmt.Errorf("volume store disk %s: %w", path, err)
	case fi.Mode().IsRegular() && fi.Size() == 0 && size > 0:
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("open volume store disk %s: %w", path, err)
		}
		return truncateClose(f, size)
	}
	return nil
}

func truncateClose(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		f.Close()
		return fmt.Errorf("size volume store disk %s to %d bytes: %w", f.Name(), size, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close volume store disk %s: %w", f.Name(), err)
	}
	return nil
}
