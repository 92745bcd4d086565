// Package targettest is the conformance suite every target driver must
// pass. A driver's test joins with a few lines:
//
//	func TestConformance(t *testing.T) {
//		targettest.Run(t, func(t *testing.T) target.Target { return openFresh(t) })
//	}
//
// open must return a working target over a fresh, empty root (a new temp
// dir, bucket, container or share sub-folder) and may register its own
// t.Cleanup calls; Run closes the target when each subtest ends.
package targettest

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

// Run runs every conformance subtest, each against a fresh target from open.
func Run(t *testing.T, open func(t *testing.T) target.Target) {
	tests := []struct {
		name string
		fn   func(t *testing.T, tg target.Target)
	}{
		{"RoundTrip", testRoundTrip},
		{"PutDoesNotRetainData", testPutDoesNotRetain},
		{"Overwrite", testOverwrite},
		{"Missing", testMissing},
		{"Stat", testStat},
		{"List", testList},
		{"ListMissingDir", testListMissing},
		{"ListCallbackError", testListCallbackError},
		{"Walk", testWalk},
		{"Delete", testDelete},
		{"DeleteNoPrefixSemantics", testDeleteNoPrefix},
		{"RemoveEmptyDir", testRemoveEmptyDir},
		{"LonghornKeys", testLonghornKeys},
		{"InvalidKeys", testInvalidKeys},
		{"Concurrent", testConcurrent},
		{"AtomicOverwrite", testAtomicOverwrite},
		{"Canceled", testCanceled},
		{"CheckAndProperties", testCheckAndProperties},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := open(t)
			t.Cleanup(func() {
				if err := tg.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, tg)
		})
	}
}

// payload returns n deterministic pseudo-random bytes.
func payload(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, tg target.Target, key string, data []byte) {
	t.Helper()
	if err := tg.Put(ctxOf(t), key, data); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(data), err)
	}
}

func mustGet(t *testing.T, tg target.Target, key string, want []byte) {
	t.Helper()
	got, err := tg.Get(ctxOf(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes, want %d bytes with the stored content", key, len(got), len(want))
	}
}

func mustNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want not-found", what)
	}
	if !target.IsNotFound(err) || !errors.Is(err, target.ErrNotFound) {
		t.Fatalf("%s: got %v (kind %v), want a not-found error", what, err, target.KindOf(err))
	}
}

func testRoundTrip(t *testing.T, tg target.Target) {
	for i, n := range []int{0, 1, 2<<20 + 17} {
		key := "rt/obj-" + string(rune('a'+i))
		data := payload(uint64(i), n)
		mustPut(t, tg, key, data)
		mustGet(t, tg, key, data)
	}
}

func testPutDoesNotRetain(t *testing.T, tg target.Target) {
	data := payload(7, 4096)
	want := bytes.Clone(data)
	mustPut(t, tg, "retain/k", data)
	for i := range data {
		data[i] ^= 0xff
	}
	mustGet(t, tg, "retain/k", want)
}

func testOverwrite(t *testing.T, tg target.Target) {
	first, second := payload(1, 100_000), payload(2, 1234)
	mustPut(t, tg, "ow/k", first)
	mustPut(t, tg, "ow/k", second)
	mustGet(t, tg, "ow/k", second)
	e, err := tg.Stat(ctxOf(t), "ow/k")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if e.Size != int64(len(second)) {
		t.Fatalf("Stat size after overwrite = %d, want %d", e.Size, len(second))
	}
	n := 0
	if err := tg.List(ctxOf(t), "ow", func(target.Entry) error { n++; return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	if n != 1 {
		t.Fatalf("List after overwrite reported %d entries, want 1 (no leftover temporary objects)", n)
	}
}

func testMissing(t *testing.T, tg target.Target) {
	ctx := ctxOf(t)
	mustPut(t, tg, "present/k", []byte("x"))
	for _, key := range []string{"nothing", "present/other", "no/such/dir/key"} {
		_, err := tg.Get(ctx, key)
		mustNotFound(t, err, "Get("+key+")")
		_, err = tg.Stat(ctx, key)
		mustNotFound(t, err, "Stat("+key+")")
	}
}

func testStat(t *testing.T, tg target.Target) {
	data := payload(3, 5000)
	before := time.Now()
	mustPut(t, tg, "st/k", data)
	e, err := tg.Stat(ctxOf(t), "st/k")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if e.Key != "st/k" || e.Size != int64(len(data)) || e.IsDir {
		t.Fatalf("Stat = %+v, want key st/k, size %d, not a dir", e, len(data))
	}
	const skew = 5 * time.Minute
	if e.ModTime.Before(before.Add(-skew)) || e.ModTime.After(time.Now().Add(skew)) {
		t.Fatalf("Stat ModTime = %v, want within %v of local time %v", e.ModTime, skew, before)
	}
}

func testCheckAndProperties(t *testing.T, tg target.Target) {
	if err := tg.Check(ctxOf(t)); err != nil {
		t.Fatalf("Check on a working target: %v", err)
	}
	p := tg.Properties()
	if p.Scheme == "" {
		t.Fatalf("Properties().Scheme is empty")
	}
	if p.Connections <= 0 {
		t.Fatalf("Properties().Connections = %d, want > 0", p.Connections)
	}
}
