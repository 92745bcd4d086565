package main

import (
	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
)

func (a *app) clusterCommand() *cobra.Command {
	cmd := group("cluster", "Show and change the embedded etcd cluster's members")
	cmd.AddCommand(
		&cobra.Command{Use: "members", Short: "List the etcd members", Args: cobra.NoArgs,
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, _ []string) error {
				return cli.ClusterMembers(cmd.Context(), env)
			})},
		&cobra.Command{Use: "remove-member NODE", Short: "Remove a node's etcd member so a dead node no longer counts towards the quorum",
			Long: "Remove a node's etcd member (by node name or hex member ID). The removed node cannot restart from\n" +
				"its data dir: move its etcd folder aside and start it again with --join.",
			Args: cobra.ExactArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.ClusterRemoveMember(cmd.Context(), env, args[0])
			})},
	)
	return cmd
}
