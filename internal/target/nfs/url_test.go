package nfs

import (
	"bytes"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

func TestParseURL(t *testing.T) {
	cases := []struct {
		in        string
		host      string
		path      string
		nfs, mnt  int
		timeout   time.Duration
		ignoredIn string // substring of the log note, "" for no note
	}{
		{in: "nfs://srv:/export/backups", host: "srv", path: "/export/backups", timeout: defaultCallTimeout},
		{in: "nfs://srv/export/backups/", host: "srv", path: "/export/backups", timeout: defaultCallTimeout},
		{in: "nfs://10.0.0.5:2049/e", host: "10.0.0.5", path: "/e", nfs: 2049, timeout: defaultCallTimeout},
		{in: "nfs://srv:/e?port=2050&mountport=20048", host: "srv", path: "/e", nfs: 2050, mnt: 20048, timeout: defaultCallTimeout},
		{
			in:   "nfs://srv:/e?nfsOptions=nfsvers=4.2,soft,timeo=50,mountport=635&nfsOptions=actimeo=1",
			host: "srv", path: "/e", mnt: 635, timeout: 5 * time.Second, ignoredIn: "soft",
		},
	}
	for _, c := range cases {
		u, err := url.Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		var logBuf bytes.Buffer
		cfg, err := parseURL(u, slog.New(slog.NewTextHandler(&logBuf, nil)))
		if err != nil {
			t.Fatalf("parseURL(%s): %v", c.in, err)
		}
		if cfg.host != c.host || cfg.path != c.path || cfg.nfsPort != c.nfs || cfg.mountPort != c.mnt || cfg.timeout != c.timeout {
			t.Fatalf("parseURL(%s) = %+v", c.in, cfg)
		}
		if note := logBuf.String(); (c.ignoredIn == "") != (note == "") || !strings.Contains(note, c.ignoredIn) {
			t.Fatalf("parseURL(%s) logged %q, want a note mentioning %q", c.in, note, c.ignoredIn)
		}
		if c.ignoredIn != "" && !strings.Contains(logBuf.String(), "nfsvers=4.2") {
			t.Fatalf("the note does not mention nfsvers=4.2: %q", logBuf.String())
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, in := range []string{
		"s3://bucket/x", "nfs:///export", "nfs://srv", "nfs://srv:/", "nfs://srv:/e?bogus=1",
		"nfs://srv:/e?port=0", "nfs://srv:/e?mountport=x", "nfs://srv:/e?nfsOptions=port=99999",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseURL(u, slog.Default()); err == nil {
			t.Fatalf("parseURL(%s) accepted it", in)
		}
	}
}
