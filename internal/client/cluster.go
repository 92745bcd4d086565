package client

import (
	"context"
	"fmt"
	"net/http"
)

// ClusterMember is one etcd member of an embedded cluster
// (GET /v1/cluster/members).
type ClusterMember struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
	Learner    bool     `json:"isLearner"`
	Started    bool     `json:"started"`
}

// ClusterMembers lists the etcd members of the server's cluster.
func (c *Client) ClusterMembers(ctx context.Context) ([]ClusterMember, error) {
	var out struct {
		Data []ClusterMember `json:"data"`
	}
	if err := c.call(ctx, http.MethodGet, nil, &out, nil, "v1", "cluster", "members"); err != nil {
		return nil, fmt.Errorf("list etcd members: %w", err)
	}
	return out.Data, nil
}

// RemoveClusterMember removes the etcd member of node name (or of that
// hex member ID), so a dead node no longer counts towards the quorum.
// That node must join again with an empty data dir.
func (c *Client) RemoveClusterMember(ctx context.Context, name string) error {
	if err := c.call(ctx, http.MethodDelete, nil, nil, nil, "v1", "cluster", "members", name); err != nil {
		return fmt.Errorf("remove etcd member %q: %w", name, err)
	}
	return nil
}
