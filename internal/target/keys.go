package target

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Op names used in Error.Op, fault-injection rules and metrics labels.
const (
	OpPut    = "put"
	OpGet    = "get"
	OpStat   = "stat"
	OpList   = "list"
	OpWalk   = "walk"
	OpDelete = "delete"
	OpCheck  = "check"
)

// Ops lists every op name, in interface order.
var Ops = []string{OpPut, OpGet, OpStat, OpList, OpWalk, OpDelete, OpCheck}

// ValidateKey reports whether key is a well-formed object key: non-empty,
// slash-separated, no leading or trailing slash, no empty, "." or ".."
// elements, no NUL or backslash, no element in the temporary-file form of
// TempName (List would hide it). Drivers call it before a key touches a path
// or a request so a bad key can never escape the target's root. The error is
// a permanent *Error for op.
func ValidateKey(op, key string) error {
	if key == "" {
		return NewError(op, key, KindPermanent, errors.New("empty key"))
	}
	return validatePath(op, key)
}

// ValidateDir is ValidateKey for a List/Walk directory, where "" (the root)
// is also valid.
func ValidateDir(op, dir string) error {
	if dir == "" {
		return nil
	}
	return validatePath(op, dir)
}

func validatePath(op, p string) error {
	if strings.ContainsAny(p, "\x00\\") {
		return NewError(op, p, KindPermanent, errors.New("invalid key: contains NUL or backslash"))
	}
	for elem := range strings.SplitSeq(p, "/") {
		switch elem {
		case "":
			return NewError(op, p, KindPermanent, errors.New("invalid key: empty path element or leading/trailing slash"))
		case ".", "..":
			return NewError(op, p, KindPermanent, fmt.Errorf("invalid key: %q element", elem))
		}
		if IsTempName(elem) {
			return NewError(op, p, KindPermanent, fmt.Errorf("invalid key: element %q has the temporary-file form <name>%s<digits>", elem, tempMarker))
		}
	}
	return nil
}

// JoinKey joins a directory and a child name into a key; dir "" is the root.
func JoinKey(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// tempMarker is the infix of Longhorn's fs-driver temporary files:
// "<name>.tmp.<unixNanos>". plinth's file-system drivers use the same form so
// that Longhorn readers sharing a store skip plinth's in-flight writes too.
const tempMarker = ".tmp."

// TempName returns the name of the temporary file a file-system driver
// writes before renaming it to name; nanos makes it unique per writer.
func TempName(name string, nanos int64) string {
	return name + tempMarker + strconv.FormatInt(nanos, 10)
}

// NewTempName returns TempName(name, nanos) with nanos the current time in
// nanoseconds, raised where needed so that no two calls in this process
// return the same name, even when two Puts of one key read the same clock
// value. Other processes writing the same directory are told apart by the
// clock alone, as Longhorn's are.
func NewTempName(name string) string {
	return TempName(name, nextNanos())
}

// lastNanos is the nanos of the latest NewTempName.
var lastNanos atomic.Int64

// nextNanos returns the current Unix time in nanoseconds, or one more than
// the value it returned last if the clock has not moved past it.
func nextNanos() int64 {
	for {
		last := lastNanos.Load()
		now := max(time.Now().UnixNano(), last+1)
		if lastNanos.CompareAndSwap(last, now) {
			return now
		}
	}
}

// IsTempName reports whether a directory entry name is a temporary file made
// by TempName (or by Longhorn's equivalent), which List and Walk must hide.
func IsTempName(name string) bool {
	i := strings.LastIndex(name, tempMarker)
	if i <= 0 {
		return false
	}
	digits := name[i+len(tempMarker):]
	if digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
