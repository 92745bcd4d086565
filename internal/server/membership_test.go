package server

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
	"github.com/plinth-storage/plinth/internal/store"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// member is one daemon of a test cluster; stop ends it as a clean stop
// does (its lease is revoked) and waits until Run has returned.
type member struct {
	name, dataDir, url string
	stop               func()
}

// startMember runs a daemon named name on a free loopback port against the
// external etcd endpoints, with dataDir (a fresh one when empty), and
// waits until its API answers.
func startMember(t *testing.T, endpoints []string, name, dataDir string) *member {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{DataDir: dataDir, Listen: addr, NodeID: name, EtcdEndpoints: endpoints, LogLevel: "warn", Version: "test-" + name})
	}()
	stopped := false
	m := &member{name: name, dataDir: dataDir, url: "http://" + addr}
	m.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("daemon %s stopped with %v", name, err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("daemon %s did not stop within 20 s", name)
		}
	}
	t.Cleanup(m.stop)
	c := client.New(m.url)
	testenv.Eventually(t, 60*time.Second, "daemon "+name+" to answer", func() (bool, string) {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("daemon %s exited: %v", name, err)
		default:
		}
		_, err := c.ListNodes(ctx)
		return err == nil, fmt.Sprint(err)
	})
	return m
}

// waitNode asks the daemon at base until node shows state and returns it.
func waitNode(t *testing.T, base, node, state string) apitypes.Node {
	t.Helper()
	c := client.New(base)
	var got apitypes.Node
	testenv.Eventually(t, 40*time.Second, fmt.Sprintf("%s to show node %s %s", base, node, state), func() (bool, string) {
		nodes, err := c.ListNodes(context.Background())
		if err != nil {
			return false, err.Error()
		}
		for _, n := range nodes {
			if n.Name == node {
				got = n
				return n.State == state, fmt.Sprintf("%+v", n)
			}
		}
		return false, fmt.Sprintf("no node %s among %d", node, len(nodes))
	})
	return got
}

// TestMembershipAcrossDaemonsSharingOneEtcd: three daemons on one etcd
// each list all three up with their advertise URLs and versions; when one
// stops the others show it down with since when, and its restart brings
// it back up.
func TestMembershipAcrossDaemonsSharingOneEtcd(t *testing.T) {
	ext := store.NewTestBackend(t)
	eps := ext.Client.Endpoints()
	a := startMember(t, eps, "a", "")
	b := startMember(t, eps, "b", "")
	c := startMember(t, eps, "c", "")
	for _, m := range []*member{a, b, c} {
		for _, seen := range []*member{a, b, c} {
			n := waitNode(t, m.url, seen.name, "up")
			if n.Address != seen.url || n.Version != "test-"+seen.name || n.StateSince == "" ||
				n.Conditions["Ready"].Status != "True" || len(n.Disks) != 1 {
				t.Fatalf("%s shows node %s as %+v, want address %s", m.name, seen.name, n, seen.url)
			}
		}
	}

	stoppedAt := time.Now().Add(-time.Second)
	b.stop()
	for _, m := range []*member{a, c} {
		n := waitNode(t, m.url, "b", "down")
		since, err := time.Parse(time.RFC3339, n.StateSince)
		if err != nil || since.Before(stoppedAt.Truncate(time.Second)) || since.After(time.Now()) {
			t.Fatalf("%s shows b down since %q (%v), stopped at %v", m.name, n.StateSince, err, stoppedAt)
		}
		if r := n.Conditions["Ready"]; r.Status != "False" || r.Reason != "NodeDown" || !strings.Contains(r.Message, "b") {
			t.Fatalf("%s shows b's Ready condition as %+v", m.name, r)
		}
		if n.Address != b.url {
			t.Fatalf("a down node lost its address: %+v", n)
		}
	}

	// Restart b on the same data dir and another port: up again, at its new address.
	b2 := startMember(t, eps, "b", b.dataDir)
	for _, m := range []*member{a, c, b2} {
		if n := waitNode(t, m.url, "b", "up"); n.Address != b2.url {
			t.Fatalf("%s shows the restarted b at %s, want %s", m.name, n.Address, b2.url)
		}
	}
}

func TestAdvertiseURL(t *testing.T) {
	loop := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 9500}
	if got := advertiseURL("", loop); got != "http://127.0.0.1:9500" {
		t.Fatalf("loopback listen advertises %s", got)
	}
	if got := advertiseURL("", &net.TCPAddr{IP: net.IPv4zero, Port: 9500}); strings.Contains(got, "0.0.0.0") || !strings.HasSuffix(got, ":9500") {
		t.Fatalf("wildcard listen advertises %s", got)
	}
	if got := advertiseURL("https://n1.example:443", loop); got != "https://n1.example:443" {
		t.Fatalf("given URL replaced: %s", got)
	}
	for _, bad := range []string{"n1:9500", "ftp://n1", "http://", "http://n1/api", "http://u:p@n1"} {
		if _, err := checkAdvertiseURL(bad); err == nil {
			t.Errorf("--advertise-url %q accepted", bad)
		}
	}
	if got, err := checkAdvertiseURL("http://10.0.0.5:9500/"); err != nil || got != "http://10.0.0.5:9500" {
		t.Fatalf("good URL: %q %v", got, err)
	}
}
