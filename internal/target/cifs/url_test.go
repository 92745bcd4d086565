package cifs

import (
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func itoa(n int) string { return strconv.Itoa(n) }

func TestParseConfig(t *testing.T) {
	secret := map[string]string{SecretUsername: "u", SecretPassword: "p", SecretDomain: "D"}
	cases := []struct {
		in, addr, share string
		base            []string
	}{
		{"cifs://srv/backups", "srv:445", "backups", []string{}},
		{"cifs://srv/backups/longhorn/x/", "srv:445", "backups", []string{"longhorn", "x"}},
		{"cifs://srv:1445/s/p", "srv:1445", "s", []string{"p"}},
		{"cifs://srv/s/p?port=4455&cifsOptions=vers=3.0,soft", "srv:4455", "s", []string{"p"}},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.in)
		cfg, err := parseConfig(u, secret, slog.Default())
		if err != nil {
			t.Fatalf("parseConfig(%s): %v", c.in, err)
		}
		if cfg.addr != c.addr || cfg.share != c.share || !slices.Equal(cfg.base, c.base) ||
			cfg.user != "u" || cfg.pass != "p" || cfg.domain != "D" {
			t.Fatalf("parseConfig(%s) = %+v", c.in, cfg)
		}
	}
	u, _ := url.Parse("cifs://srv/s/a/b")
	cfg, _ := parseConfig(u, secret, slog.Default())
	if got := cfg.remote("x/y.blk"); got != `a\b\x\y.blk` {
		t.Fatalf("remote = %q", got)
	}
}

func TestParseConfigErrors(t *testing.T) {
	secret := map[string]string{SecretUsername: "u", SecretPassword: "hunter2"}
	for _, in := range []string{"nfs://srv/s", "cifs:///s", "cifs://srv", "cifs://srv/", "cifs://srv/s?x=1", "cifs://srv/s?port=99999"} {
		u, _ := url.Parse(in)
		if _, err := parseConfig(u, secret, slog.Default()); err == nil {
			t.Fatalf("parseConfig(%s) accepted it", in)
		}
	}
	u, _ := url.Parse("cifs://srv/s")
	_, err := parseConfig(u, map[string]string{SecretPassword: "hunter2"}, slog.Default())
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), SecretUsername) {
		t.Fatalf("missing user: %v", err)
	}
}
