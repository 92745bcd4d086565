// Package uitest drives plinth's web UI in a real headless Chromium
// (through chromedp) against a real plinth server and real backup targets
// (versitygw for S3, nfs-ganesha for NFS), and saves a screenshot of every
// page it checks to test-artifacts/screenshots/ at the repository root.
//
// The package holds only tests; run them with
// `go test -count=1 -p 1 ./internal/uitest/`. Chromium must be installed
// (`apt-get install chromium`); the tests fail, never skip, without it.
package uitest
