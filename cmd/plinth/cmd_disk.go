package main

import (
	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
)

func (a *app) diskCommand() *cobra.Command {
	cmd := group("disk", "Work on a node's block disks directly, without the server")
	cmd.AddCommand(&cobra.Command{
		Use:   "check PATH",
		Short: "Verify a block disk's volume store offline (exit 1 when it is damaged)",
		Long: "Verify the volume store on a block disk (a block device or a file used as one) without the\n" +
			"server: superblock, both metadata copies, every volume's cluster map (in bounds, no cluster owned\n" +
			"twice) and the allocation map. Leaked clusters and a metadata copy torn by a crash are reported but\n" +
			"are not damage: the server repairs both when it opens the disk. The disk must not be in use by a\n" +
			"running server.",
		Example: "  plinth disk check /dev/nvme1n1\n  plinth disk check /var/lib/plinth/block.img -o json",
		Args:    cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			return cli.DiskCheck(cmd.Context(), env, cli.DiskCheckOptions{Path: args[0]})
		}),
	})
	return cmd
}
