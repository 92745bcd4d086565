package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/plinth-storage/plinth/internal/target"
)

// Put stores data with one PutObject (S3 replaces objects atomically).
func (t *Target) Put(ctx context.Context, key string, data []byte) error {
	if err := begin(ctx, target.OpPut, key, false); err != nil {
		return err
	}
	_, err := t.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(t.cfg.Bucket),
		Key:           aws.String(t.objectKey(key)),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return t.classify(target.OpPut, key, err)
	}
	return nil
}

// Get reads the whole object.
func (t *Target) Get(ctx context.Context, key string) ([]byte, error) {
	if err := begin(ctx, target.OpGet, key, false); err != nil {
		return nil, err
	}
	out, err := t.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(t.cfg.Bucket),
		Key:    aws.String(t.objectKey(key)),
	})
	if err != nil {
		return nil, t.classify(target.OpGet, key, err)
	}
	defer out.Body.Close()
	size := aws.ToInt64(out.ContentLength)
	buf := bytes.NewBuffer(make([]byte, 0, max(size, 0)+bytes.MinRead))
	if _, err := io.Copy(buf, out.Body); err != nil {
		return nil, t.classify(target.OpGet, key, fmt.Errorf("read object body: %w", err))
	}
	if out.ContentLength != nil && int64(buf.Len()) != size {
		return nil, target.NewError(target.OpGet, key, target.KindTransient,
			fmt.Errorf("object body has %d bytes, Content-Length said %d", buf.Len(), size))
	}
	return buf.Bytes(), nil
}

// Stat returns the object's size and the server's Last-Modified time.
func (t *Target) Stat(ctx context.Context, key string) (target.Entry, error) {
	if err := begin(ctx, target.OpStat, key, false); err != nil {
		return target.Entry{}, err
	}
	out, err := t.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(t.cfg.Bucket),
		Key:    aws.String(t.objectKey(key)),
	})
	if err != nil {
		return target.Entry{}, t.classify(target.OpStat, key, err)
	}
	return target.Entry{Key: key, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Delete removes exactly one object; S3 reports success for a missing key,
// and a not-found answer from other servers is success too.
func (t *Target) Delete(ctx context.Context, key string) error {
	if err := begin(ctx, target.OpDelete, key, false); err != nil {
		return err
	}
	_, err := t.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(t.cfg.Bucket),
		Key:    aws.String(t.objectKey(key)),
	})
	if err != nil {
		if cerr := t.classify(target.OpDelete, key, err); !target.IsNotFound(cerr) {
			return cerr
		}
	}
	return nil
}

// Check is a HeadBucket plus a one-key listing of the prefix: it proves
// the endpoint, credentials, bucket and list permission without a
// whole-bucket listing.
func (t *Target) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return target.NewError(target.OpCheck, "", target.KindPermanent, err)
	}
	if _, err := t.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(t.cfg.Bucket)}); err != nil {
		return t.classify(target.OpCheck, "", err)
	}
	_, err := t.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(t.cfg.Bucket),
		Prefix:  aws.String(t.dirPrefix("")),
		MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return t.classify(target.OpCheck, "", err)
	}
	return nil
}
