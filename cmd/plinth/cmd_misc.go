package main

import (
	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
)

func (a *app) nodeCommand() *cobra.Command {
	cmd := group("node", "Show nodes and set their disks")
	var o cli.NodeDiskUpdateOptions
	diskUpdate := &cobra.Command{
		Use:   "disk-update NODE (--disk name=path[,type=filesystem|block][,reserved=SIZE][,size=SIZE][,scheduling=false][,tags=a;b]... | -f FILE)",
		Short: "Set a node's whole set of disks (disks left out are removed when they hold no copies)",
		Example: "  plinth node disk-update node-1 --disk default=/var/lib/plinth --disk fast=/dev/nvme1n1,type=block,reserved=10Gi\n" +
			"  plinth node disk-update node-1 -f disks.json   # {\"disks\": {\"default\": {\"path\": ..., \"diskType\": ...}}}",
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			o.Node = args[0]
			return cli.NodeDiskUpdate(cmd.Context(), env, o)
		}),
	}
	diskUpdate.Flags().StringArrayVar(&o.Disks, "disk", nil, "a disk: name=path[,type=...][,reserved=...] (repeatable)")
	diskUpdate.Flags().StringVarP(&o.File, "file", "f", "", "JSON file with the disks (- for stdin)")
	cmd.AddCommand(diskUpdate,
		&cobra.Command{Use: "list", Short: "List nodes", Aliases: []string{"ls"}, Args: cobra.NoArgs,
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, _ []string) error { return cli.NodeList(cmd.Context(), env) })},
		&cobra.Command{Use: "get NODE", Short: "Show a node and its disks", Args: cobra.ExactArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.NodeGet(cmd.Context(), env, args[0])
			})})
	return cmd
}

func (a *app) secretCommand() *cobra.Command {
	cmd := group("secret", "Manage credential secrets for backup targets (values are write-only)")
	var o cli.SecretCreateOptions
	create := &cobra.Command{
		Use:   "create NAME (--from-literal K=V... | --from-file K=PATH... | --from-env-file FILE)",
		Short: "Create a secret",
		Long: "Create a secret. Its values are never printed or returned by the server.\n\n" +
			"Values given with --from-literal are visible to other local users in process listings\n" +
			"and stay in your shell history. Prefer --from-file K=PATH or --from-env-file FILE, where\n" +
			"PATH or FILE may be - to read standard input.",
		Example: "  plinth secret create s3-creds --from-env-file ./s3.env\n" +
			"  printf %s \"$KEY\" | plinth secret create s3-creds --from-literal AWS_ACCESS_KEY_ID=AKIA... --from-file AWS_SECRET_ACCESS_KEY=-",
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			o.Name = args[0]
			return cli.SecretCreate(cmd.Context(), env, o)
		}),
	}
	create.Flags().StringArrayVar(&o.Literals, "from-literal", nil, "KEY=VALUE (visible in process listings; repeatable)")
	create.Flags().StringArrayVar(&o.Files, "from-file", nil, "KEY=PATH: the value is the file's content, - for stdin (repeatable)")
	create.Flags().StringVar(&o.EnvFile, "from-env-file", "", "file of KEY=VALUE lines, - for stdin")
	cmd.AddCommand(create,
		&cobra.Command{Use: "list", Short: "List secrets and their keys", Aliases: []string{"ls"}, Args: cobra.NoArgs,
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, _ []string) error { return cli.SecretList(cmd.Context(), env) })},
		&cobra.Command{Use: "get NAME", Short: "Show a secret's keys", Args: cobra.ExactArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.SecretGet(cmd.Context(), env, args[0])
			})},
		&cobra.Command{Use: "delete NAME", Short: "Delete a secret", Aliases: []string{"rm"}, Args: cobra.ExactArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.SecretDelete(cmd.Context(), env, args[0])
			})},
		&cobra.Command{Use: "rekey", Short: "Re-encrypt every secret under a new key and drop the old key from the server's key file",
			Long: "Secret values are encrypted in etcd with a key kept in the server's --secrets-key-file.\n" +
				"rekey adds a new key, rewrites every secret under it, then removes the old key. If it fails\n" +
				"half-way the server keeps both keys, so nothing is lost: run it again.",
			Args: cobra.NoArgs,
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, _ []string) error { return cli.SecretRekey(cmd.Context(), env) })})
	return cmd
}

func (a *app) settingCommand() *cobra.Command {
	cmd := group("setting", "Show and change settings")
	cmd.AddCommand(
		&cobra.Command{Use: "list", Short: "List settings", Aliases: []string{"ls"}, Args: cobra.NoArgs,
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, _ []string) error { return cli.SettingList(cmd.Context(), env) })},
		&cobra.Command{Use: "get NAME", Short: "Show a setting", Args: cobra.ExactArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.SettingGet(cmd.Context(), env, args[0])
			})},
		&cobra.Command{Use: "set NAME VALUE", Short: "Change a setting", Args: cobra.ExactArgs(2),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.SettingSet(cmd.Context(), env, args[0], args[1])
			})})
	return cmd
}
