package api

import (
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/model"
)

// TestNodeShowsStateSinceAndCopies: the node's membership becomes plinth's
// state fields and Longhorn's Ready condition, and the copy counts pass
// through.
func TestNodeShowsStateSinceAndCopies(t *testing.T) {
	since := time.Date(2025, 5, 2, 10, 1, 40, 0, time.UTC)
	down := model.Node{Name: "n2", Address: "http://127.0.0.1:9502",
		Status: model.NodeStatus{State: model.NodeDown, StateSince: since, Version: "v1"}}
	got := toNode(down, copyCount{all: 3, ready: 2})
	if got.State != "down" || got.StateSince != "2025-05-02T10:01:40Z" || got.Version != "v1" ||
		got.Address != "http://127.0.0.1:9502" || got.Copies != 3 || got.ReadyCopies != 2 {
		t.Fatalf("down node: %+v", got)
	}
	r := got.Conditions["Ready"]
	if r.Status != "False" || r.Reason != "NodeDown" || r.LastTransitionTime != got.StateSince || !strings.Contains(r.Message, "n2") {
		t.Fatalf("down node's Ready condition: %+v", r)
	}
	down.Status.State = model.NodeUp
	if r := toNode(down, copyCount{}).Conditions["Ready"]; r.Status != "True" {
		t.Fatalf("up node's Ready condition: %+v", r)
	}
	if r := toNode(model.Node{Name: "new"}, copyCount{}).Conditions["Ready"]; r.Status != "Unknown" {
		t.Fatalf("a node no one has looked at yet: %+v", r)
	}
}
