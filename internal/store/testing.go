package store

import (
	"context"
	"testing"
)

// NewTestBackend starts an embedded etcd in a temporary directory for a
// test and stops it when the test ends.
func NewTestBackend(t testing.TB) *Backend {
	t.Helper()
	b, err := StartEmbedded(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatalf("start embedded etcd: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
