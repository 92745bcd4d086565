// Package drivertest is the test harness that target drivers' own tests
// share: opening a driver for one test, a bounded context, and (RunFS) the
// tests every file-system-like driver runs against its real server besides
// the conformance suite in targettest. It is imported by tests only.
package drivertest

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

// callTimeout bounds the calls of one driver test; a driver that hangs
// fails the test instead of stalling the package.
const callTimeout = 30 * time.Second

// Open opens a driver for u with newDriver (the driver package's New) and
// secret, fails the test if that errs, and closes the driver when the test
// ends. Closing a driver twice is harmless, so tests may close it earlier.
func Open[D target.Target](t testing.TB, newDriver func(context.Context, *url.URL, map[string]string) (D, error), u *url.URL, secret map[string]string) D {
	t.Helper()
	d, err := newDriver(t.Context(), u, secret)
	if err != nil {
		t.Fatalf("New(%s): %v", u, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Ctx returns a context that ends 30 seconds from now or with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}
