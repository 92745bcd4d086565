package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/server"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// node is one in-process daemon with fixed ports and data dir, so that it
// can be stopped and started again as the same cluster member.
type node struct {
	t      *testing.T
	opts   server.Options
	URL    string
	cancel context.CancelFunc
	done   chan error
}

// newNode prepares a daemon named id that forms (join == "") or joins an
// embedded etcd cluster with token; it is not started.
func newNode(t *testing.T, id, token, join string) *node {
	o := server.Options{DataDir: t.TempDir(), NodeID: id, LogLevel: "warn", InsecureAllowPrivateSources: true,
		Listen: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
		Cluster: server.ClusterOptions{Token: token, Join: join,
			PeerListen:   fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
			ClientListen: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))}}
	n := &node{t: t, opts: o, URL: "http://" + o.Listen}
	t.Cleanup(n.stop)
	return n
}

// run starts the daemon and returns its exit channel without waiting.
func (n *node) run() chan error {
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan error, 1)
	done := n.done
	go func() { done <- server.Run(ctx, n.opts) }()
	return done
}

// start runs the daemon and waits until it answers /healthz.
func (n *node) start() *node {
	n.t.Helper()
	done := n.run()
	hc := &http.Client{Timeout: 2 * time.Second}
	testenv.Eventually(n.t, 90*time.Second, n.opts.NodeID+" to serve", func() (bool, string) {
		select {
		case err := <-done:
			n.cancel = nil
			n.t.Fatalf("%s exited before serving: %v", n.opts.NodeID, err)
		default:
		}
		resp, err := hc.Get(n.URL + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return n
}

// stop ends the daemon (its etcd member stops with it) and waits for it.
func (n *node) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		n.t.Errorf("%s did not stop within 30 s", n.opts.NodeID)
	}
}

// call sends a JSON request and returns the status and the body.
func call(t *testing.T, method, url, body string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type memberView struct {
	Name       string   `json:"name"`
	ClientURLs []string `json:"clientURLs"`
	Started    bool     `json:"started"`
}

// members lists the etcd members as n's API shows them.
func (n *node) members(t *testing.T) ([]memberView, string) {
	code, body := call(t, "GET", n.URL+"/v1/cluster/members", "")
	if code != http.StatusOK {
		return nil, fmt.Sprintf("%d %s", code, body)
	}
	var out struct{ Data []memberView }
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err.Error()
	}
	return out.Data, string(body)
}

// startedMembers waits until n shows want started members and returns them.
func (n *node) startedMembers(t *testing.T, want int) []memberView {
	t.Helper()
	var got []memberView
	testenv.Eventually(t, 60*time.Second, fmt.Sprintf("%d started etcd members", want), func() (bool, string) {
		ms, detail := n.members(t)
		started := 0
		for _, m := range ms {
			if m.Started {
				started++
			}
		}
		got = ms
		return started == want && len(ms) == want, detail
	})
	return got
}

// createImage creates an upload-sourced backing image through n's API.
func (n *node) createImage(t *testing.T, name string) {
	t.Helper()
	if code, body := call(t, "POST", n.URL+"/v1/backingimages", `{"name":"`+name+`","sourceType":"upload"}`); code != http.StatusOK {
		t.Fatalf("create %s on %s: %d %s", name, n.opts.NodeID, code, body)
	}
}

// seesImage waits until n's API shows image name.
func (n *node) seesImage(t *testing.T, name string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, n.opts.NodeID+" to show "+name, func() (bool, string) {
		code, body := call(t, "GET", n.URL+"/v1/backingimages/"+name, "")
		return code == http.StatusOK, fmt.Sprintf("%d %.200s", code, body)
	})
}
