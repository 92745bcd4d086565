package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestVersityGW(t *testing.T) {
	s := VersityGW(t)
	a, b := s.NewBucket(t), s.NewBucket(t)
	if a == b {
		t.Fatalf("NewBucket returned %q twice", a)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, a)); err != nil {
		t.Fatalf("bucket %s has no directory under %s: %v", a, s.Dir, err)
	}
	if _, err := s.client.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(a)}); err != nil {
		t.Fatalf("HeadBucket(%s) with the server's root credentials: %v", a, err)
	}
}
