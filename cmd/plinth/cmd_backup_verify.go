package main

import (
	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
)

func (a *app) backupVerifyCommand() *cobra.Command {
	var repair bool
	cmd := &cobra.Command{
		Use:   "verify NAME [--repair]",
		Short: "Read every block of a backup and check it (exit 1 if damaged)",
		Long: "Read every block of a backup and check it against its ID and the image checksum. Bad blocks\n" +
			"are remembered: the next backup of the same content uploads them again. With --repair, bad\n" +
			"blocks are rewritten from a ready local copy of a backing image with the backup's checksum.",
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			if repair {
				return cli.BackupRepair(cmd.Context(), env, args[0])
			}
			return cli.BackupVerify(cmd.Context(), env, args[0])
		}),
	}
	cmd.Flags().BoolVar(&repair, "repair", false, "rewrite bad blocks from a ready local copy of the same image")
	return cmd
}
