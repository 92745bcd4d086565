package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/client"
	"github.com/plinth-storage/plinth/internal/cluster"
	"github.com/plinth-storage/plinth/internal/testenv"
)

const token = "test-cluster-token-0123456789abcdef"

// TestEmbeddedCluster forms a 3-member embedded etcd cluster from three
// daemons, checks writes are shared, that two members keep serving while
// the third is down, that it comes back from its WAL, that a fourth
// joiner is a client, and that a removed member must join again.
func TestEmbeddedCluster(t *testing.T) {
	n1 := newNode(t, "n1", token, "").start()
	n2 := newNode(t, "n2", token, n1.URL).start()
	n3 := newNode(t, "n3", token, n2.URL).start() // any member answers joins
	ms := n1.startedMembers(t, 3)
	for _, m := range ms {
		if len(m.ClientURLs) != 1 || !strings.HasPrefix(m.ClientURLs[0], "http://127.0.0.1:") {
			t.Errorf("member %s advertises client URLs %v, want one on 127.0.0.1", m.Name, m.ClientURLs)
		}
	}

	n1.createImage(t, "on-n1")
	n2.seesImage(t, "on-n1")
	n3.seesImage(t, "on-n1")

	n4 := newNode(t, "n4", token, n1.URL).start()
	n1.startedMembers(t, 3) // still 3: n4 is a client
	n4.seesImage(t, "on-n1")
	n4.createImage(t, "on-n4")
	n1.seesImage(t, "on-n4")

	n3.stop() // quorum is 2 of 3
	n2.createImage(t, "while-n3-down")
	n1.seesImage(t, "while-n3-down")
	n4.seesImage(t, "while-n3-down")

	n3.start() // from its WAL: no join
	n3.seesImage(t, "while-n3-down")
	n1.startedMembers(t, 3)

	n3.stop()
	// etcd refuses (503) while a peer has been connected for less than 5 s.
	testenv.Eventually(t, 30*time.Second, "n3's member to be removed", func() (bool, string) {
		code, body := call(t, "DELETE", n1.URL+"/v1/cluster/members/n3", "")
		if code != http.StatusNoContent && code != http.StatusServiceUnavailable {
			t.Fatalf("remove n3's member: %d %s", code, body)
		}
		return code == http.StatusNoContent, fmt.Sprintf("%d %s", code, body)
	})
	n1.startedMembers(t, 2)
	n1.createImage(t, "after-remove") // quorum is 2 of 2
	err := <-n3.run()
	n3.cancel = nil
	if err == nil || !strings.Contains(err.Error(), "--join") {
		t.Fatalf("a removed member restarting: got %v, want an error saying to join again", err)
	}
}

// TestJoinWrongToken checks that a join without or with a wrong cluster
// token is refused and adds no member, and that a daemon given a wrong
// token fails to start with the refusal.
func TestJoinWrongToken(t *testing.T) {
	n1 := newNode(t, "n1", token, "").start()
	body := `{"name":"intruder","peerURL":"http://127.0.0.1:1"}`
	if code, b := call(t, "POST", n1.URL+"/v1/cluster/join", body); code != http.StatusUnauthorized {
		t.Errorf("join without credentials: %d %s, want 401", code, b)
	}
	if code, b := call(t, "POST", n1.URL+"/v1/cluster/join", body, cluster.AuthHeader, cluster.Sign("wrong", []byte(body))); code != http.StatusForbidden {
		t.Errorf("join with a wrong token: %d %s, want 403", code, b)
	}
	// A right signature over another body does not pass either.
	if code, b := call(t, "POST", n1.URL+"/v1/cluster/join", body, cluster.AuthHeader, cluster.Sign(token, []byte("{}"))); code != http.StatusForbidden {
		t.Errorf("join with a signature of another body: %d %s, want 403", code, b)
	}
	bad := newNode(t, "bad", "wrong-token", n1.URL)
	err := <-bad.run()
	bad.cancel = nil
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a daemon with a wrong token: got %v, want a 403 refusal", err)
	}
	ms := n1.startedMembers(t, 1)
	if b, _ := json.Marshal(ms); strings.Contains(string(b), "intruder") || strings.Contains(string(b), "bad") {
		t.Errorf("a refused join added a member: %s", b)
	}
}

// TestJoinWithAPIToken joins a node whose API requires PLINTH_TOKEN (the
// joiner sends its own, the same) and removes it again through the client
// the CLI uses.
func TestJoinWithAPIToken(t *testing.T) {
	const apiToken = "api-token-for-the-test"
	n1 := newNode(t, "n1", token, "")
	n1.opts.Token = apiToken
	n1.start()
	n2 := newNode(t, "n2", token, n1.URL)
	n2.opts.Token = apiToken
	n2.start()
	c := client.New(n1.URL, client.WithToken(apiToken))
	testenv.Eventually(t, 60*time.Second, "2 started members", func() (bool, string) {
		ms, err := c.ClusterMembers(context.Background())
		if err != nil {
			return false, err.Error()
		}
		started := 0
		for _, m := range ms {
			if m.Started {
				started++
			}
		}
		return started == 2, fmt.Sprint(ms)
	})
	if err := client.New(n1.URL).RemoveClusterMember(context.Background(), "n2"); err == nil {
		t.Fatal("removing a member without the API token succeeded")
	}
	// A running member is removed (a 2-member cluster with one down has
	// no quorum to remove it); its daemon then stops, saying why.
	testenv.Eventually(t, 30*time.Second, "n2's member to be removed", func() (bool, string) {
		err := c.RemoveClusterMember(context.Background(), "n2")
		return err == nil, fmt.Sprint(err)
	})
	select {
	case err := <-n2.done:
		n2.cancel = nil
		if !errors.Is(err, cluster.ErrEtcdStopped) {
			t.Errorf("n2 after its removal: %v, want %v", err, cluster.ErrEtcdStopped)
		}
	case <-time.After(60 * time.Second):
		t.Error("n2 kept running for 60 s after its etcd member was removed")
	}
	if ms, err := c.ClusterMembers(context.Background()); err != nil || len(ms) != 1 {
		t.Fatalf("after removing n2: %v %v", ms, err)
	}
}
