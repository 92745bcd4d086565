package main

import (
	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
)

func (a *app) imageVerifyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify NAME",
		Short: "Check every copy of a backing image on the node for damage now, and repair it (exit 1 if a copy stays failed)",
		Long: "Re-read every copy of the backing image on the server's node and check each 2 MiB block against\n" +
			"the copy's block manifest, at full speed (the background scrub does the same at the rate of the\n" +
			"setting backing-image-scrub-rate-mb, every backing-image-scrub-interval). A damaged block is\n" +
			"rewritten in place from another ready copy on the node or from a backup of the image; each copy's\n" +
			"message says which blocks were found and where their repair came from.",
		Example: "  plinth backing-image verify ubuntu-24.04",
		Args:    cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			return cli.ImageVerify(cmd.Context(), env, args[0])
		}),
	}
}
