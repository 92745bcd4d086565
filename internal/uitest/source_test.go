package uitest

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// imageBytes returns size bytes of an image: seeded pseudo-random data
// with a run of zeros in the middle, so sparse handling is exercised.
func imageBytes(seed uint64, size int) []byte {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := 0; i+8 <= size; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	clear(b[size/4 : size/2])
	return b
}

// sha512Hex is the checksum plinth reports for data.
func sha512Hex(data []byte) string {
	sum := sha512.Sum512(data)
	return hex.EncodeToString(sum[:])
}

// sources is an HTTP server on 127.0.0.1 that plinth downloads images
// from: /img/SEED/SIZE serves imageBytes(SEED, SIZE); /stall sends a few
// bytes and then nothing until the test ends, keeping an image in progress.
type sources struct {
	URL string
}

func startSources(t *testing.T) *sources {
	t.Helper()
	stop := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /img/{seed}/{size}", func(w http.ResponseWriter, r *http.Request) {
		seed, err1 := strconv.ParseUint(r.PathValue("seed"), 10, 64)
		size, err2 := strconv.Atoi(r.PathValue("size"))
		if err1 != nil || err2 != nil {
			http.Error(w, "bad seed or size", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
		_, _ = w.Write(imageBytes(seed, size))
	})
	mux.HandleFunc("GET /stall", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(64<<20))
		_, _ = w.Write(make([]byte, 4096))
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return &sources{URL: srv.URL}
}

// image returns the URL serving imageBytes(seed, size).
func (s *sources) image(seed uint64, size int) string {
	return fmt.Sprintf("%s/img/%d/%d", s.URL, seed, size)
}

// writeFile writes data to a new file in a temp dir and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	return p
}
