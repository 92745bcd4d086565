package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// clusterNode starts a real plinth process that is an embedded etcd
// member: its own data dir, API, peer and client ports, all on 127.0.0.1.
// join, if set, is the API URL of a running member.
func clusterNode(t *testing.T, name, tokenFile, join string) *daemon {
	t.Helper()
	extra := []string{"--node-id", name, "--cluster-token-file", tokenFile,
		"--etcd-peer-listen", freeAddr(t), "--etcd-client-listen", freeAddr(t)}
	if join != "" {
		extra = append(extra, "--join", join)
	}
	return startDaemon(t, "", extra...)
}

// members returns the started etcd members d's cluster lists.
func (d *daemon) members() int {
	d.t.Helper()
	code, m := d.call("GET", "/v1/cluster/members", "")
	if code != 200 {
		return -1
	}
	data, _ := m["data"].([]any)
	n := 0
	for _, x := range data {
		if mm, _ := x.(map[string]any); mm["started"] == true {
			n++
		}
	}
	return n
}

// nodeState is the state d reports for node name ("" if unknown).
func (d *daemon) nodeState(name string) string {
	code, m := d.call("GET", "/v1/nodes/"+name, "")
	if code != 200 {
		return ""
	}
	s, _ := m["state"].(string)
	return s
}

// TestEmbeddedClusterSurvivesKill9: three real processes form an embedded
// etcd cluster through --join; a kill -9 of one member leaves the other two
// serving reads and writes and showing it down; restarted on its data dir,
// it rejoins from its WAL, sees what was written meanwhile and is up again.
func TestEmbeddedClusterSurvivesKill9(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "cluster-token")
	if err := os.WriteFile(tok, []byte("e2e-cluster-token-0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	n1 := clusterNode(t, "n1", tok, "")
	n2 := clusterNode(t, "n2", tok, n1.URL)
	n3 := clusterNode(t, "n3", tok, n2.URL)
	testenv.Eventually(t, time.Minute, "three started etcd members", func() (bool, string) {
		n := n1.members()
		return n == 3, fmt.Sprintf("%d members", n)
	})

	img := filepath.Join(t.TempDir(), "shared.raw")
	writeImage(t, img, 4<<20, 4<<20, 81)
	n1.createDownload("shared", serveFile(t, img).URL)
	testenv.Eventually(t, 30*time.Second, "n3 sees the image n1 created", func() (bool, string) {
		code, _ := n3.call("GET", "/v1/backingimages/shared", "")
		return code == 200, fmt.Sprint(code)
	})

	n3.kill()
	n2.mustCall(200, "PUT", "/v1/settings/backup-concurrent-limit", `{"value":"3"}`)
	if s := n1.mustCall(200, "GET", "/v1/settings/backup-concurrent-limit", ""); s["value"] != "3" {
		t.Fatalf("with n3 killed, n1 reads %v for a setting n2 wrote", s["value"])
	}
	testenv.Eventually(t, time.Minute, "n1 shows n3 down", func() (bool, string) {
		s := n1.nodeState("n3")
		return s == "down", s
	})

	n3.start() // same data dir and flags: it restarts from its WAL, --join is ignored
	if s := n3.mustCall(200, "GET", "/v1/settings/backup-concurrent-limit", ""); s["value"] != "3" {
		t.Fatalf("restarted n3 reads %v for the setting written while it was dead", s["value"])
	}
	testenv.Eventually(t, time.Minute, "n1 shows n3 up again", func() (bool, string) {
		s := n1.nodeState("n3")
		return s == "up", s
	})
	if n := n2.members(); n != 3 {
		t.Fatalf("after the restart n2 lists %d started members, want 3 (no duplicate member)", n)
	}
}
