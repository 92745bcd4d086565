package benchvs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const versityInstall = "run scripts/bench-vs-restic (it installs it) or " +
	"go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// s3Server is versitygw serving a fresh posix directory on 127.0.0.1. Its
// credentials are random per benchmark and are never printed.
type s3Server struct {
	*server
	endpoint  string
	region    string
	accessKey string
	secretKey string
	client    *s3.Client
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// startVersityGW starts versitygw over dir/data, logging to dir/versitygw.log.
func startVersityGW(dir string) (*s3Server, error) {
	bin, err := findBinary("versitygw", versityInstall)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "s3-data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, fmt.Errorf("create versitygw data dir: %w", err)
	}
	s := &s3Server{region: "us-east-1", accessKey: "bench" + randomHex(6), secretKey: randomHex(20)}
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
		s.server, lastErr = startServer("versitygw", bin,
			[]string{"--port", fmt.Sprintf("127.0.0.1:%d", port), "--quiet", "posix", data},
			[]string{"ROOT_ACCESS_KEY=" + s.accessKey, "ROOT_SECRET_KEY=" + s.secretKey},
			filepath.Join(dir, "versitygw.log"), httpAnswers(s.endpoint+"/"), 20*time.Second)
		if lastErr == nil {
			s.client = s3.New(s3.Options{
				Region:       s.region,
				BaseEndpoint: aws.String(s.endpoint),
				UsePathStyle: true,
				Credentials:  credentials.NewStaticCredentialsProvider(s.accessKey, s.secretKey, ""),
			})
			return s, nil
		}
	}
	return nil, fmt.Errorf("versitygw did not start: %w", lastErr)
}

// newBucket creates an empty bucket called name.
func (s *s3Server) newBucket(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("create bucket %s on versitygw %s: %w", name, s.endpoint, err)
	}
	return nil
}

// resticEnv is the environment restic needs to reach bucket: given to the
// restic child only.
func (s *s3Server) resticEnv(bucket, password string) []string {
	return []string{
		"RESTIC_REPOSITORY=s3:" + s.endpoint + "/" + bucket,
		"RESTIC_PASSWORD=" + password,
		"AWS_ACCESS_KEY_ID=" + s.accessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.secretKey,
		"AWS_DEFAULT_REGION=" + s.region,
	}
}

// plinthSecret is the Longhorn-style credential secret for plinth's target.
func (s *s3Server) plinthSecret() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     s.accessKey,
		"AWS_SECRET_ACCESS_KEY": s.secretKey,
		"AWS_ENDPOINTS":         s.endpoint,
	}
}
