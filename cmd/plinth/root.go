package main

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
)

// app holds what every command shares: the global flags and the streams.
type app struct {
	global cli.GlobalOptions
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	lookup func(string) (string, bool)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "plinth",
		Short:         "Manage VM backing images and their backups",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Root().PersistentFlags()
			if err := cli.ApplyEnv(fs, a.lookup, "server", "output", "timeout", "progress"); err != nil {
				return err
			}
			a.global.ProgressSet = fs.Changed("progress")
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.global.Server, "server", "http://127.0.0.1:9500", "plinth API address (env PLINTH_SERVER; token from env "+cli.TokenEnv+")")
	pf.StringVarP(&a.global.Output, "output", "o", cli.OutputTable, "output format: table or json")
	pf.DurationVar(&a.global.Timeout, "timeout", 30*time.Second, "limit for each API call (not uploads, downloads or --wait); 0 for none")
	pf.BoolVar(&a.global.Progress, "progress", false, "draw progress bars even when stdout is not a terminal (--progress=false: never)")
	root.AddCommand(a.serverCommand(), a.versionCommand(), a.imageCommand(), a.nodeCommand(),
		a.backupCommand(), a.targetCommand(), a.secretCommand(), a.settingCommand(), a.diskCommand(), a.clusterCommand())
	return root
}

// env builds the client environment for a command.
func (a *app) env() (*cli.Env, error) {
	token, _ := a.lookup(cli.TokenEnv)
	return cli.NewEnv(a.global, token, a.stdin, a.stdout, a.stderr)
}

// runE adapts a cli function to cobra: it builds the Env and passes the
// command's context.
func (a *app) runE(fn func(cmd *cobra.Command, env *cli.Env, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		env, err := a.env()
		if err != nil {
			return err
		}
		return fn(cmd, env, args)
	}
}

// group returns a parent command that only holds subcommands.
func group(use, short string, aliases ...string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Aliases: aliases, Args: cobra.NoArgs}
}
