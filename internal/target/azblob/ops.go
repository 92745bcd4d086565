package azblob

import (
	"bytes"
	"context"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/plinth-storage/plinth/internal/target"
)

// Put uploads data as one block blob (a single Put Blob request, which
// Azure applies atomically).
func (d *Driver) Put(ctx context.Context, key string, data []byte) error {
	if err := target.ValidateKey(target.OpPut, key); err != nil {
		return err
	}
	bb := d.container.NewBlockBlobClient(d.blobName(key))
	_, err := bb.UploadBuffer(ctx, data, nil)
	return d.classify(ctx, target.OpPut, key, err)
}

// Get downloads the whole blob under key.
func (d *Driver) Get(ctx context.Context, key string) ([]byte, error) {
	if err := target.ValidateKey(target.OpGet, key); err != nil {
		return nil, err
	}
	resp, err := d.container.NewBlobClient(d.blobName(key)).DownloadStream(ctx, nil)
	if err != nil {
		return nil, d.classify(ctx, target.OpGet, key, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if resp.ContentLength != nil && *resp.ContentLength > 0 {
		buf.Grow(int(*resp.ContentLength))
	}
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		return nil, d.classify(ctx, target.OpGet, key, err)
	}
	return buf.Bytes(), nil
}

// Stat returns the size and server modification time of the blob.
func (d *Driver) Stat(ctx context.Context, key string) (target.Entry, error) {
	if err := target.ValidateKey(target.OpStat, key); err != nil {
		return target.Entry{}, err
	}
	props, err := d.container.NewBlobClient(d.blobName(key)).GetProperties(ctx, nil)
	if err != nil {
		return target.Entry{}, d.classify(ctx, target.OpStat, key, err)
	}
	e := target.Entry{Key: key}
	if props.ContentLength != nil {
		e.Size = *props.ContentLength
	}
	if props.LastModified != nil {
		e.ModTime = *props.LastModified
	}
	return e, nil
}

// Delete deletes exactly the blob under key (never a prefix; a missing
// blob is not an error).
func (d *Driver) Delete(ctx context.Context, key string) error {
	if err := target.ValidateKey(target.OpDelete, key); err != nil {
		return err
	}
	_, err := d.container.NewBlobClient(d.blobName(key)).Delete(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil
	}
	return d.classify(ctx, target.OpDelete, key, err)
}
