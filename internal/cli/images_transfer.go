package cli

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// ImageUpload uploads a local file into a backing image created with
// sourceType upload.
func ImageUpload(ctx context.Context, env *Env, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open image file to upload: %w", err)
	}
	defer f.Close()
	if err := uploadFile(ctx, env, name, f); err != nil {
		return err
	}
	fmt.Fprintf(env.Out, "uploaded %s to backing image %s\n", path, name)
	return nil
}

// uploadFile streams a regular file to the image with a progress bar.
func uploadFile(ctx context.Context, env *Env, name string, f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file: uploads need a known size", f.Name())
	}
	progress, finish := env.transferBar("upload "+name, st.Size())
	defer finish()
	return env.Client.UploadBackingImage(ctx, name, f, st.Size(), progress)
}

// ImageDownloadOptions are the options of `plinth backing-image download`.
type ImageDownloadOptions struct {
	Name string
	// File is where to write; "-" is stdout; empty is Name in the current
	// directory.
	File string
	// Resume continues a previous download from File+".part".
	Resume bool
}

// ImageDownload downloads an image's bytes into File+".part", checks their
// SHA-512 against the image's currentChecksum when it has one, and renames
// the file into place, so File never holds a partial or corrupt image.
func ImageDownload(ctx context.Context, env *Env, o ImageDownloadOptions) error {
	bi, err := env.Client.GetBackingImage(ctx, o.Name)
	if err != nil {
		return err
	}
	if o.File == "-" {
		if o.Resume {
			return errors.New("--resume needs a file (-f FILE), not stdout")
		}
		return downloadTo(ctx, env, o.Name, env.Out, sha512.New(), 0, bi.CurrentChecksum)
	}
	if o.File == "" {
		o.File = o.Name
	}
	part := o.File + ".part"
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if o.Resume {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return fmt.Errorf("open download file: %w", err)
	}
	defer f.Close()
	h := sha512.New()
	offset, err := hashExisting(part, h)
	if err != nil {
		return err
	}
	if offset > 0 && offset == bi.Size {
		// A resumed download that already has every byte: only check it.
		if got := hex.EncodeToString(h.Sum(nil)); bi.CurrentChecksum != "" && got != bi.CurrentChecksum {
			return fmt.Errorf("%s does not match the checksum of backing image %q: delete it and download again", part, o.Name)
		}
	} else if err := downloadTo(ctx, env, o.Name, f, h, offset, bi.CurrentChecksum); err != nil {
		return fmt.Errorf("%w\npartial data kept in %s: rerun with --resume to continue", err, part)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", part, err)
	}
	if err := os.Rename(part, o.File); err != nil {
		return fmt.Errorf("move finished download into place: %w", err)
	}
	fmt.Fprintf(env.Err, "downloaded backing image %s to %s\n", o.Name, o.File)
	return nil
}

// hashExisting feeds the bytes already in path (a resumed download) to h
// and returns their count.
func hashExisting(path string, h hash.Hash) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read partial download: %w", err)
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, fmt.Errorf("read partial download %s: %w", path, err)
	}
	return n, nil
}

// downloadTo copies the image from offset to w through h, with a bar, and
// compares the digest with want (skipped when want is empty).
func downloadTo(ctx context.Context, env *Env, name string, w io.Writer, h hash.Hash, offset int64, want string) error {
	d, err := env.Client.OpenDownload(ctx, name, offset)
	if err != nil {
		return err
	}
	defer d.Body.Close()
	progress, finish := env.transferBar("download "+name, d.Size)
	_, err = d.CopyTo(io.MultiWriter(w, h), progress)
	finish()
	if err != nil {
		return fmt.Errorf("download backing image %q: %w", name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); want != "" && got != want {
		return fmt.Errorf("downloaded data of backing image %q does not match its checksum (got SHA-512 %.16s..., want %.16s...)",
			name, got, want)
	}
	return nil
}
