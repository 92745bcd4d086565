package main

import (
	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
)

func (a *app) targetCommand() *cobra.Command {
	cmd := group("target", "Manage backup targets (S3, NFS, SMB, Azure, local folders)", "backup-target")
	one := func(use, short string, fn func(*cobra.Command, *cli.Env, string) error, aliases ...string) *cobra.Command {
		return &cobra.Command{Use: use + " NAME", Short: short, Aliases: aliases, Args: cobra.ExactArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error { return fn(cmd, env, args[0]) })}
	}
	cmd.AddCommand(a.targetEditCommand("create"), a.targetEditCommand("update"),
		&cobra.Command{Use: "list", Short: "List backup targets", Aliases: []string{"ls"}, Args: cobra.NoArgs,
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, _ []string) error { return cli.TargetList(cmd.Context(), env) })},
		one("get", "Show a backup target", func(cmd *cobra.Command, env *cli.Env, n string) error {
			return cli.TargetGet(cmd.Context(), env, n)
		}),
		one("delete", "Delete a backup target (its stored backups stay)", func(cmd *cobra.Command, env *cli.Env, n string) error {
			return cli.TargetDelete(cmd.Context(), env, n)
		}, "rm"),
		one("sync", "Re-scan a target's store for backups now", func(cmd *cobra.Command, env *cli.Env, n string) error {
			return cli.TargetSync(cmd.Context(), env, n)
		}))
	return cmd
}

// targetEditCommand builds create or update; update sends only the flags
// given, keeping the target's other settings.
func (a *app) targetEditCommand(verb string) *cobra.Command {
	var url, secret, poll string
	cmd := &cobra.Command{
		Use:   verb + " NAME --url URL [--secret S] [--poll-interval SECONDS]",
		Short: verb + " a backup target",
		Example: "  plinth target " + verb + " offsite --url s3://backups@us-east-1/plinth --secret s3-creds\n" +
			"  plinth target " + verb + " nas --url nfs://nas.lan:/export/backups --poll-interval 600",
		Args: cobra.ExactArgs(1),
	}
	cmd.RunE = a.runE(func(c *cobra.Command, env *cli.Env, args []string) error {
		o := cli.TargetOptions{Name: args[0]}
		if c.Flags().Changed("url") {
			o.URL = &url
		}
		if c.Flags().Changed("secret") {
			o.Secret = &secret
		}
		if c.Flags().Changed("poll-interval") {
			o.PollInterval = &poll
		}
		if verb == "create" {
			return cli.TargetCreate(c.Context(), env, o)
		}
		return cli.TargetUpdate(c.Context(), env, o)
	})
	cmd.Flags().StringVar(&url, "url", "", "store URL: s3://bucket@region/path, nfs://host:/export/path, cifs://host/share/path, azblob://container@account/path, file:///dir")
	cmd.Flags().StringVar(&secret, "secret", "", "name of the secret holding the target's credentials")
	cmd.Flags().StringVar(&poll, "poll-interval", "", "seconds (or a duration like 5m) between scans of the store (server default 300)")
	return cmd
}
