package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/plinth-storage/plinth/internal/cli"
)

func (a *app) imageCommand() *cobra.Command {
	cmd := group("backing-image", "Create, list, move, verify and delete backing images", "bi", "image")
	cmd.AddCommand(a.imageCreateCommand(), a.imageUploadCommand(), a.imageDownloadCommand(),
		&cobra.Command{
			Use: "list", Short: "List backing images", Aliases: []string{"ls"}, Args: cobra.NoArgs,
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, _ []string) error {
				return cli.ImageList(cmd.Context(), env)
			}),
		},
		&cobra.Command{
			Use: "get NAME", Short: "Show a backing image and its copies", Args: cobra.ExactArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.ImageGet(cmd.Context(), env, args[0])
			}),
		},
		&cobra.Command{
			Use: "delete NAME...", Short: "Delete backing images and all their copies", Aliases: []string{"rm"},
			Args: cobra.MinimumNArgs(1),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				return cli.ImageDelete(cmd.Context(), env, args)
			}),
		},
		&cobra.Command{
			Use: "update-copies NAME COUNT", Short: "Set the minimum number of copies an image keeps",
			Args: cobra.ExactArgs(2),
			RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
				n, err := strconv.Atoi(args[1])
				if err != nil {
					return err
				}
				return cli.ImageUpdateCopies(cmd.Context(), env, args[0], n)
			}),
		},
		a.imageCleanupCommand(), a.imageVerifyCommand(),
	)
	return cmd
}

func (a *app) imageCreateCommand() *cobra.Command {
	var o cli.ImageCreateOptions
	cmd := &cobra.Command{
		Use:   "create NAME (--url URL | --upload FILE)",
		Short: "Create a backing image from a URL or a local file",
		Example: "  plinth bi create ubuntu-24.04 --url https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img --wait\n" +
			"  plinth bi create golden --upload ./golden.qcow2 --data-engine v2",
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			o.Name = args[0]
			return cli.ImageCreate(cmd.Context(), env, o)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.URL, "url", "", "http(s) URL to download the image from")
	f.StringVar(&o.UploadFile, "upload", "", "local file to upload as the image")
	f.StringVar(&o.Checksum, "checksum", "", "expected SHA-512 of the image (hex); a mismatch fails the image")
	f.StringVar(&o.DataEngine, "data-engine", "v1", "v1 (files on filesystem disks) or v2 (volumes on block disks)")
	f.IntVar(&o.MinCopies, "min-copies", 1, "minimum number of copies to keep")
	f.StringSliceVar(&o.DiskSelector, "disk-selector", nil, "only use disks with all these tags")
	f.StringSliceVar(&o.NodeSelector, "node-selector", nil, "only use nodes with all these tags")
	f.BoolVar(&o.Wait, "wait", false, "wait until a copy is ready; fail if every copy failed")
	cmd.MarkFlagsMutuallyExclusive("url", "upload")
	cmd.MarkFlagsOneRequired("url", "upload")
	return cmd
}

func (a *app) imageUploadCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "upload NAME FILE",
		Short: "Upload a file into a backing image created for upload (e.g. to retry `create --upload`)",
		Args:  cobra.ExactArgs(2),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			return cli.ImageUpload(cmd.Context(), env, args[0], args[1])
		}),
	}
}

func (a *app) imageDownloadCommand() *cobra.Command {
	var o cli.ImageDownloadOptions
	download := &cobra.Command{
		Use:   "download NAME [-f FILE]",
		Short: "Download a backing image's bytes (checked against its SHA-512)",
		Args:  cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			o.Name = args[0]
			return cli.ImageDownload(cmd.Context(), env, o)
		}),
	}
	download.Flags().StringVarP(&o.File, "file", "f", "", "file to write (default: NAME; - for stdout)")
	download.Flags().BoolVar(&o.Resume, "resume", false, "continue an interrupted download from FILE.part")
	return download
}

func (a *app) imageCleanupCommand() *cobra.Command {
	var disks []string
	cmd := &cobra.Command{
		Use: "cleanup NAME --disk UUID...", Short: "Remove an image's copies from the given disks",
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, env *cli.Env, args []string) error {
			return cli.ImageCleanup(cmd.Context(), env, args[0], disks)
		}),
	}
	cmd.Flags().StringSliceVar(&disks, "disk", nil, "UUID of a disk whose copy to remove (repeatable)")
	return cmd
}
