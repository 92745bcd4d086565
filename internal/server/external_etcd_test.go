package server

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// TestExternalEtcd runs the daemon against an etcd it did not start
// (--etcd-endpoints) and checks the state lands there.
func TestExternalEtcd(t *testing.T) {
	ext := store.NewTestBackend(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{DataDir: t.TempDir(), Listen: addr, NodeID: "ext", EtcdEndpoints: ext.Client.Endpoints(), LogLevel: "warn"})
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not start against the external etcd")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := call(t, "POST", base+"/v1/backingimages", `{"name":"in-ext","sourceType":"upload"}`); code != 200 {
		t.Fatalf("create: %d %v", code, body)
	}
	bi, err := store.NewKind[model.BackingImage](ext.Client, model.KindBackingImages).Get(ctx, "in-ext")
	if err != nil || bi.Value.Name != "in-ext" {
		t.Fatalf("the image is not in the external etcd: %v", err)
	}
	if _, err := store.NewKind[model.Node](ext.Client, model.KindNodes).Get(ctx, "ext"); err != nil {
		t.Fatalf("the node record is not in the external etcd: %v", err)
	}
}
