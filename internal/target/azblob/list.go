package azblob

import (
	"context"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/plinth-storage/plinth/internal/target"
)

// List reports the blobs and prefixes directly below dir, using the "/"
// delimiter.
func (d *Driver) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	if err := target.ValidateDir(target.OpList, dir); err != nil {
		return err
	}
	prefix := d.dirPrefix(dir)
	pager := d.container.NewListBlobsHierarchyPager("/", &container.ListBlobsHierarchyOptions{Prefix: &prefix})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return d.classify(ctx, target.OpList, dir, err)
		}
		for _, p := range page.Segment.BlobPrefixes {
			if p.Name == nil {
				continue
			}
			if err := fn(target.Entry{Key: d.keyOf(strings.TrimSuffix(*p.Name, "/")), IsDir: true}); err != nil {
				return err
			}
		}
		for _, b := range page.Segment.BlobItems {
			if err := d.report(b, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// Walk reports every blob below dir with a flat listing.
func (d *Driver) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	if err := target.ValidateDir(target.OpWalk, dir); err != nil {
		return err
	}
	prefix := d.dirPrefix(dir)
	pager := d.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return d.classify(ctx, target.OpWalk, dir, err)
		}
		for _, b := range page.Segment.BlobItems {
			if err := d.report(b, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// report calls fn for one listed blob, skipping names that are not valid
// keys (written by other tools, e.g. with "//"): a key the contract forbids
// could not be read or deleted through it.
func (d *Driver) report(b *container.BlobItem, fn func(target.Entry) error) error {
	if b.Name == nil {
		return nil
	}
	key := d.keyOf(*b.Name)
	if target.ValidateKey(target.OpList, key) != nil {
		return nil
	}
	e := target.Entry{Key: key}
	if p := b.Properties; p != nil {
		if p.ContentLength != nil {
			e.Size = *p.ContentLength
		}
		if p.LastModified != nil {
			e.ModTime = *p.LastModified
		}
	}
	return fn(e)
}

// dirPrefix is the blob-name prefix of everything below dir.
func (d *Driver) dirPrefix(dir string) string {
	if dir == "" {
		return d.cfg.prefix
	}
	return d.cfg.prefix + dir + "/"
}

func (d *Driver) keyOf(name string) string { return strings.TrimPrefix(name, d.cfg.prefix) }
