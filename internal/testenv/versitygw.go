package testenv

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Server is a versitygw S3 gateway serving a posix directory, started
// for one test.
type S3Server struct {
	Endpoint  string // "http://127.0.0.1:PORT"
	AccessKey string
	SecretKey string
	Region    string
	Dir       string // the posix root; buckets are its sub-directories

	client *s3.Client
	t      testing.TB
	bin    string
	port   int
	proc   *Process
}

const versityInstall = "run ./scripts/test, which installs it " +
	"(go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)"

// VersityGW starts versitygw on a free 127.0.0.1 port over a temp dir and
// stops it when t ends. The binary must be in PATH or $(go env GOPATH)/bin.
func VersityGW(t testing.TB) *S3Server {
	t.Helper()
	bin := FindBinary(t, "versitygw", versityInstall)
	s := &S3Server{
		AccessKey: "plinthtestaccess",
		SecretKey: "plinth-test-secret-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Region:    "us-east-1",
		Dir:       t.TempDir(),
	}
	var lastErr error
	s.t, s.bin = t, bin
	for range 3 { // a free port can be taken between probe and bind
		s.port = FreePort(t)
		s.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", s.port)
		if lastErr = s.start(); lastErr == nil {
			s.client = s.newClient()
			return s
		}
	}
	t.Fatalf("versitygw did not start: %v", lastErr)
	return nil
}

func (s *S3Server) start() error {
	p := StartProcess(s.t, s.bin,
		[]string{"--port", fmt.Sprintf("127.0.0.1:%d", s.port), "--quiet", "posix", s.Dir},
		[]string{"ROOT_ACCESS_KEY=" + s.AccessKey, "ROOT_SECRET_KEY=" + s.SecretKey, "HOME=" + s.Dir})
	if err := p.WaitReady(20*time.Second, s.answers); err != nil {
		p.Stop()
		return err
	}
	s.proc = p
	return nil
}

// Stop kills the server (as a crash would); the stored objects stay.
func (s *S3Server) Stop() { stopProcess(&s.proc) }

// Start starts the server again on the same port after Stop.
func (s *S3Server) Start() {
	s.t.Helper()
	restart(s.t, "versitygw", s.start)
}

// answers is the readiness probe: any HTTP response means it listens.
func (s *S3Server) answers() error {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(s.Endpoint + "/")
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func (s *S3Server) newClient() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

var bucketSeq atomic.Int64

// NewBucket creates a new, empty bucket and returns its name.
func (s *S3Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("plinth-test-%d", bucketSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s on versitygw %s: %v", name, s.Endpoint, err)
	}
	return name
}

// Secret returns the Longhorn-style credential secret for this server.
func (s *S3Server) Secret() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     s.AccessKey,
		"AWS_SECRET_ACCESS_KEY": s.SecretKey,
		"AWS_ENDPOINTS":         s.Endpoint,
	}
}
