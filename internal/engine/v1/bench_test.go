package v1_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/benchmem"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/source"
)

// benchSize is the image size of the end-to-end benchmarks.
const benchSize = 1 << 30

// genImage is an image of size bytes generated on the fly from a 1 MiB
// random pattern (no all-zero blocks, so every byte is written). It never
// holds more than the pattern in memory.
type genImage struct {
	pattern   []byte
	off, size int64
}

func newGenImage(size int64) *genImage {
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = byte(r.Uint32()) | 1
	}
	return &genImage{pattern: p, size: size}
}

func (g *genImage) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.size-g.off)]
	n := 0
	for n < len(p) {
		n += copy(p[n:], g.pattern[(g.off+int64(n))%int64(len(g.pattern)):])
	}
	g.off += int64(n)
	return n, nil
}

func (g *genImage) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		g.off = offset
	case io.SeekCurrent:
		g.off += offset
	case io.SeekEnd:
		g.off = g.size + offset
	}
	if g.off < 0 {
		return 0, errors.New("negative offset")
	}
	return g.off, nil
}

func benchDisk(b *testing.B) *v1.Disk {
	d, err := v1.OpenDisk(b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func benchID(i int) v1.CopyID {
	return v1.CopyID{Name: "bench", UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i)}
}

// BenchmarkUploadMultipart1GiB streams a 1 GiB multipart upload through a
// real net/http server into a Writer and commits it.
func BenchmarkUploadMultipart1GiB(b *testing.B) {
	disk := benchDisk(b)
	var id v1.CopyID
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw, err := disk.Create(r.Context(), id, imagefmt.Limits{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer cw.Abort()
		if _, err := source.ReadUpload(w, r, cw, source.UploadOptions{}); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, err := cw.Commit(r.Context(), ""); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	b.SetBytes(benchSize)
	stop := memPeak()
	for i := 0; i < b.N; i++ {
		id = benchID(i)
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			part, _ := mw.CreateFormFile(source.UploadField, "bench.raw")
			_, err := io.Copy(part, newGenImage(benchSize))
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		resp, err := http.Post(fmt.Sprintf("%s?size=%d", srv.URL, benchSize), mw.FormDataContentType(), pr)
		if err != nil {
			b.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("upload: %s: %s", resp.Status, msg)
		}
		b.StopTimer()
		disk.Remove(id)
		b.StartTimer()
	}
	b.ReportMetric(stop(), "peak-MiB")
}

// BenchmarkDownload1GiB downloads a 1 GiB image from a local HTTP server
// into a Writer and commits it.
func BenchmarkDownload1GiB(b *testing.B) {
	disk := benchDisk(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "bench.raw", time.Time{}, newGenImage(benchSize))
	}))
	defer srv.Close()
	b.SetBytes(benchSize)
	stop := memPeak()
	for i := 0; i < b.N; i++ {
		id := benchID(i)
		w, err := disk.Create(context.Background(), id, imagefmt.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := source.Download(context.Background(), srv.URL, w, source.Options{AllowPrivate: true}); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Commit(context.Background(), ""); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		disk.Remove(id)
		b.StartTimer()
	}
	b.ReportMetric(stop(), "peak-MiB")
}

// memPeak samples HeapInuse+StackInuse from a fresh GC until stopped and
// returns the high-water mark in MiB.
func memPeak() (stop func() float64) {
	runtime.GC()
	peak := benchmem.Peak(10*time.Millisecond, true)
	return func() float64 { return float64(peak()) / (1 << 20) }
}
