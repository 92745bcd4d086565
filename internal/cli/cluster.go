package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// ClusterMembers prints the etcd members of the server's cluster.
func ClusterMembers(ctx context.Context, env *Env) error {
	ms, err := env.Client.ClusterMembers(ctx)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, ms)
	}
	t := newTable(env.Out, "NAME", "ID", "PEER URLS", "CLIENT URLS", "STARTED")
	for _, m := range ms {
		t.row(m.Name, m.ID, strings.Join(m.PeerURLs, ","), strings.Join(m.ClientURLs, ","), strconv.FormatBool(m.Started))
	}
	return t.flush()
}

// ClusterRemoveMember removes a node's etcd member.
func ClusterRemoveMember(ctx context.Context, env *Env, name string) error {
	if err := env.Client.RemoveClusterMember(ctx, name); err != nil {
		return err
	}
	fmt.Fprintf(env.Out, "removed etcd member %s; to bring that node back, empty its --data-dir/etcd and start it with --join\n", name)
	return nil
}
