package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
	"github.com/plinth-storage/plinth/internal/client"
)

func (a *app) backupCommand() *cobra.Command {
	cmd := group("backup", "Back backing images up, list, restore, verify and delete backups")
	var filter client.BackupFilter
	list := &cobra.Command{
		Use: "list", Short: "List backups", Aliases: []string{"ls"}, Args: cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, _ []string) error {
			return cli.BackupList(cmd.Context(), env, filter)
		}),
	}
	list.Flags().StringVar(&filter.BackingImageName, "image", "", "only backups of this backing image")
	list.Flags().StringVar(&filter.BackupTargetName, "target", "", "only backups on this target")
	var localOnly bool
	del := &cobra.Command{
		Use: "delete NAME", Short: "Delete a backup from its target", Aliases: []string{"rm"}, Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			return cli.BackupDelete(cmd.Context(), env, args[0], localOnly)
		}),
	}
	del.Flags().BoolVar(&localOnly, "local-only", false, "forget the backup here but keep its data on the target")
	var retryWait bool
	retry := &cobra.Command{
		Use: "retry NAME", Short: "Start a backup in Error again", Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			return cli.BackupRetry(cmd.Context(), env, args[0], retryWait)
		}),
	}
	retry.Flags().BoolVar(&retryWait, "wait", false, "wait until the backup completes or fails")
	cmd.AddCommand(a.backupCreateCommand(), list, del, retry, a.backupRestoreCommand(),
		&cobra.Command{
			Use: "get NAME", Short: "Show a backup", Args: cobra.ExactArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.BackupGet(cmd.Context(), env, args[0])
			}),
		},
		a.backupVerifyCommand())
	return cmd
}

func (a *app) backupCreateCommand() *cobra.Command {
	var o cli.BackupCreateOptions
	var labels []string
	cmd := &cobra.Command{
		Use:   "create BACKING-IMAGE... [--target T]",
		Short: "Back backing images up to a target",
		Long: "Back one or more backing images up to a backup target. One image is one request; several are\n" +
			"one batch request, and each image's result (generated backup name or error) is printed.",
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			o.Images = args
			o.Labels = map[string]string{}
			for _, l := range labels {
				k, v, ok := strings.Cut(l, "=")
				if !ok || k == "" {
					return fmt.Errorf("--label takes KEY=VALUE, got %q", l)
				}
				o.Labels[k] = v
			}
			return cli.BackupCreate(cmd.Context(), env, o)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.Target, "target", "default", "backup target to write to")
	f.StringVar(&o.Name, "name", "", "backup name (one image only; default: generated <image>-<random>)")
	f.StringSliceVar(&labels, "label", nil, "KEY=VALUE label on the backup (one image only; repeatable)")
	f.BoolVar(&o.Wait, "wait", false, "wait until the backups complete")
	return cmd
}

func (a *app) backupRestoreCommand() *cobra.Command {
	var o cli.BackupRestoreOptions
	cmd := &cobra.Command{
		Use: "restore NAME", Short: "Restore a backup into a new backing image", Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			o.Backup = args[0]
			return cli.BackupRestore(cmd.Context(), env, o)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.Name, "name", "", "name of the new backing image (default: the backed-up image's name)")
	f.StringVar(&o.DataEngine, "data-engine", "", "v1 or v2 (default: the server's)")
	f.BoolVar(&o.Wait, "wait", false, "wait until the restored image is ready")
	return cmd
}
