package target

import (
	"context"
	"errors"
	"fmt"
)

// OpRemoveDir names DirRemover.RemoveEmptyDir in errors and metrics labels.
// It is not in Ops: it belongs to an optional interface.
const OpRemoveDir = "rmdir"

// ErrNotEmpty is wrapped by the error RemoveEmptyDir returns when the
// directory still has entries (possibly written by someone else meanwhile).
var ErrNotEmpty = errors.New("directory not empty")

// DirRemover is the optional interface of targets with real directories
// (Properties().HasDirs: file, nfs, cifs). Object stores do not implement
// it: a "directory" there is only a key prefix and vanishes with its last
// object. Callers find it with a type assertion on the (wrapped) target.
type DirRemover interface {
	// RemoveEmptyDir removes directory dir (a key as ValidateKey accepts;
	// never the root) if, and only if, it is empty. It never removes
	// anything inside dir: a directory holding an entry of any kind,
	// including a temporary file of an in-flight Put or a sub-directory,
	// is left alone and the error wraps ErrNotEmpty (KindPermanent). If
	// dir is not a directory (it does not exist, or is an object) nothing
	// is removed and the result is nil. The decorators (retry,
	// limit, metrics) implement it for every target they wrap; for a
	// target without directories they return an error wrapping
	// errors.ErrUnsupported (KindPermanent) without calling it. Other
	// errors are classified as usual.
	RemoveEmptyDir(ctx context.Context, dir string) error
}

// RemoveEmptyDirOf calls t's RemoveEmptyDir, or, if t has none, returns
// the errors.ErrUnsupported error decorators return. Decorators use it to
// pass the optional interface through.
func RemoveEmptyDirOf(ctx context.Context, t Target, dir string) error {
	if dr, ok := t.(DirRemover); ok {
		return dr.RemoveEmptyDir(ctx, dir)
	}
	return NewError(OpRemoveDir, dir, KindPermanent,
		fmt.Errorf("%s targets have no directories to remove: %w", t.Properties().Scheme, errors.ErrUnsupported))
}

// NotEmptyError is the error drivers return from RemoveEmptyDir for a
// directory that still has entries; cause is the driver's own error.
func NotEmptyError(dir string, cause error) error {
	return NewError(OpRemoveDir, dir, KindPermanent, fmt.Errorf("%w: %v", ErrNotEmpty, cause))
}
