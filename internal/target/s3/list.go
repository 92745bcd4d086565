package s3

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/plinth-storage/plinth/internal/target"
)

// List reports dir's immediate children: objects, and common prefixes as
// directories. It pages through ListObjectsV2 with delimiter "/".
func (t *Target) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	if err := begin(ctx, target.OpList, dir, true); err != nil {
		return err
	}
	return t.list(ctx, target.OpList, dir, "/", fn)
}

// Walk reports every object below dir, paging through ListObjectsV2
// without a delimiter.
func (t *Target) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	if err := begin(ctx, target.OpWalk, dir, true); err != nil {
		return err
	}
	return t.list(ctx, target.OpWalk, dir, "", fn)
}

func (t *Target) list(ctx context.Context, op, dir, delimiter string, fn func(target.Entry) error) error {
	prefix := t.dirPrefix(dir)
	in := &s3.ListObjectsV2Input{Bucket: aws.String(t.cfg.Bucket), Prefix: aws.String(prefix)}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	pages := s3.NewListObjectsV2Paginator(t.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return t.classify(op, dir, err)
		}
		for _, p := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), prefix), "/")
			if !childName(name) {
				continue
			}
			if err := fn(target.Entry{Key: target.JoinKey(dir, name), IsDir: true}); err != nil {
				return err
			}
		}
		for _, o := range page.Contents {
			rel, ok := strings.CutPrefix(aws.ToString(o.Key), prefix)
			if !ok || rel == "" || target.ValidateKey(op, rel) != nil {
				continue // a directory marker ("dir/") or a key outside the contract
			}
			e := target.Entry{Key: target.JoinKey(dir, rel), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// childName reports whether a common-prefix remainder is one valid path
// element (servers may return odd prefixes for keys with "//").
func childName(name string) bool {
	return name != "" && !strings.Contains(name, "/") && target.ValidateKey(target.OpList, name) == nil
}
