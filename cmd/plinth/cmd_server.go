package main

import (
	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
	"github.com/plinth-storage/plinth/internal/server"
)

func (a *app) serverCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the plinth daemon (API, controllers, embedded etcd)",
		Long: "Run the plinth daemon. Every flag can also be set with PLINTH_<FLAG> in the environment\n" +
			"(e.g. PLINTH_DATA_DIR); the API token is read from " + cli.TokenEnv + " only.\n" +
			"SIGINT or SIGTERM stops it cleanly.",
		Args: cobra.NoArgs,
	}
	flags := cli.AddServerFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		opts, err := flags.Options(a.lookup)
		if err != nil {
			return err
		}
		opts.Version = version
		return server.Run(cmd.Context(), opts)
	}
	return cmd
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print plinth's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cli.Version(a.stdout, version)
		},
	}
}
