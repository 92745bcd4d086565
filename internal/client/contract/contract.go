// Package contract is the client-level contract of plinth's /v1 API: one
// set of scenarios, written against internal/client only, that the real
// server and the in-memory fake (internal/client/clienttest) must both
// pass. It is what holds the fake to the real server, so tests that use
// the fake for speed (the CLI's) test against behaviour the server has.
//
// Run starts one server and runs every scenario against it in parallel;
// scenarios use their own resource names, so they share it safely.
package contract

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// StartFunc starts a server for t and returns its base URL
// (http://127.0.0.1:PORT); the server must stop when t ends.
type StartFunc func(t *testing.T) (baseURL string)

// Scenario is one named check of the contract.
type Scenario struct {
	Name string
	Run  func(t *testing.T, c *client.Client)
}

// Scenarios lists every scenario, in the order Run starts them.
func Scenarios() []Scenario {
	var all []Scenario
	all = append(all, imageScenarios()...)
	all = append(all, backupScenarios()...)
	all = append(all, targetScenarios()...)
	all = append(all, miscScenarios()...)
	return all
}

// Run starts one server with start and runs every scenario against it as
// parallel subtests, except those named in exclude (each with the reason
// it is left out, which must name how the server differs).
func Run(t *testing.T, start StartFunc, exclude map[string]string) {
	t.Helper()
	base := start(t)
	c := client.New(base, client.WithTimeout(20*time.Second))
	known := map[string]bool{}
	for _, s := range Scenarios() {
		known[s.Name] = true
		if reason, ok := exclude[s.Name]; ok {
			t.Logf("scenario %s left out: %s", s.Name, reason)
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			s.Run(t, c)
		})
	}
	for name := range exclude {
		if !known[name] {
			t.Errorf("exclude names scenario %q, which does not exist", name)
		}
	}
}

// waitTimeout bounds every wait of the suite: long enough for the real
// server on a busy machine, short enough to fail quickly when stuck.
const waitTimeout = 30 * time.Second

// fastPoll is the polling interval of the suite's Wait* calls.
const fastPoll = 20 * time.Millisecond

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// wantStatus fails t unless err is (or wraps) an *client.APIError with the
// given status and a message that contains every string in mention.
func wantStatus(t *testing.T, what string, err error, status int, mention ...string) {
	t.Helper()
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("%s: want an APIError with status %d, got %v", what, status, err)
	}
	if apiErr.Status != status {
		t.Fatalf("%s: want status %d, got %d (%s)", what, status, apiErr.Status, apiErr.Message)
	}
	if apiErr.Message == "" {
		t.Fatalf("%s: the %d carries no message", what, status)
	}
	for _, m := range mention {
		if !strings.Contains(apiErr.Message, m) {
			t.Fatalf("%s: message %q does not mention %q", what, apiErr.Message, m)
		}
	}
	switch status {
	case 404:
		if !client.IsNotFound(err) || client.IsConflict(err) {
			t.Fatalf("%s: IsNotFound/IsConflict disagree with status 404", what)
		}
	case 409:
		if !client.IsConflict(err) || client.IsNotFound(err) {
			t.Fatalf("%s: IsNotFound/IsConflict disagree with status 409", what)
		}
	}
}

// eventuallyGone waits until get reports a 404.
func eventuallyGone(t *testing.T, what string, get func() error) {
	t.Helper()
	testenv.Eventually(t, waitTimeout, what+" to be gone", func() (bool, string) {
		err := get()
		if client.IsNotFound(err) {
			return true, ""
		}
		return false, "get answered " + errString(err)
	})
}

func errString(err error) string {
	if err == nil {
		return "success"
	}
	return err.Error()
}

// imageData is a deterministic, incompressible-enough image of n bytes.
func imageData(seed byte, n int) []byte {
	out := make([]byte, n)
	x := uint32(seed) + 1
	for i := range out {
		x = x*1664525 + 1013904223
		out[i] = byte(x >> 24)
	}
	return out
}

func sha512Hex(data []byte) string {
	sum := sha512.Sum512(data)
	return hex.EncodeToString(sum[:])
}

// uploadImage creates an upload image and uploads data through the
// client's transfer code, returning the image as the server then shows it.
func uploadImage(t *testing.T, c *client.Client, name string, data []byte) *apitypes.BackingImage {
	t.Helper()
	ctx := waitCtx(t)
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: name, SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatalf("create upload image %s: %v", name, err)
	}
	if err := c.UploadBackingImage(ctx, name, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	bi, err := c.WaitBackingImage(ctx, name, client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll})
	if err != nil {
		t.Fatalf("wait for uploaded image %s: %v", name, err)
	}
	return bi
}

// download returns the whole content of an image.
func download(t *testing.T, c *client.Client, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := c.DownloadBackingImage(waitCtx(t), name, &buf, 0, nil); err != nil {
		t.Fatalf("download %s: %v", name, err)
	}
	return buf.Bytes()
}

// diskUUIDs returns the UUIDs of every disk of every node.
func diskUUIDs(t *testing.T, c *client.Client) []string {
	t.Helper()
	nodes, err := c.ListNodes(waitCtx(t))
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	var out []string
	for _, n := range nodes {
		for _, d := range n.Disks {
			out = append(out, d.DiskUUID)
		}
	}
	return out
}

// checkCopiesOnKnownDisks fails t unless every copy of bi is on a disk a
// node reports.
func checkCopiesOnKnownDisks(t *testing.T, c *client.Client, bi *apitypes.BackingImage) {
	t.Helper()
	disks := diskUUIDs(t, c)
	for d := range bi.DiskFileStatusMap {
		if !slices.Contains(disks, d) {
			t.Fatalf("image %s has a copy on disk %q, which no node reports (disks: %v)", bi.Name, d, disks)
		}
	}
}
