package source

import (
	"errors"
	"net/netip"
	"testing"
)

func TestValidateURL(t *testing.T) {
	cases := []struct {
		url          string
		allowPrivate bool
		want         error
	}{
		{"https://example.com/img.qcow2", false, nil},
		{"http://10.0.0.5:8080/img", false, ErrForbiddenAddress},
		{"http://10.0.0.5:8080/img", true, nil},
		{"http://192.168.1.9/img", false, ErrForbiddenAddress},
		{"http://[fd00::1]/img", false, ErrForbiddenAddress},
		{"http://100.64.0.1/img", false, ErrForbiddenAddress},
		{"http://8.8.8.8/img", false, nil},
		{"ftp://example.com/img", false, ErrInvalidURL},
		{"file:///etc/passwd", false, ErrInvalidURL},
		{"http:///nohost", false, ErrInvalidURL},
		{"http://example.com:99999/", false, ErrInvalidURL},
		{"http://127.0.0.1/", false, ErrForbiddenAddress},
		{"http://127.0.0.1/", true, nil},
		{"http://localhost:8000/", false, ErrForbiddenAddress},
		{"http://localhost:8000/", true, nil},
		{"http://[::1]/", false, ErrForbiddenAddress},
		{"http://[::ffff:127.0.0.1]/", false, ErrForbiddenAddress},
		{"http://169.254.169.254/latest/meta-data", true, ErrForbiddenAddress},
		{"http://0.0.0.0/", true, ErrForbiddenAddress},
		{"http://224.0.0.1/", true, ErrForbiddenAddress},
		{"http://[fe80::1]/", true, ErrForbiddenAddress},
	}
	for _, c := range cases {
		err := ValidateURL(c.url, c.allowPrivate)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("ValidateURL(%q, %v) = %v, want %v", c.url, c.allowPrivate, err, c.want)
		}
	}
}

func TestPolicyRefusesOwnAddresses(t *testing.T) {
	own := netip.MustParseAddr("10.1.2.3")
	strict := addrPolicy{local: map[netip.Addr]bool{own: true}}
	if err := strict.check(own); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("own address: got %v", err)
	}
	if err := strict.check(netip.MustParseAddr("::ffff:10.1.2.3")); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("own address, IPv4-mapped: got %v", err)
	}
	if err := strict.check(netip.MustParseAddr("10.9.9.9")); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("a private LAN address must be refused by default: %v", err)
	}
	if err := strict.check(netip.MustParseAddr("93.184.216.34")); err != nil {
		t.Fatalf("a public address: %v", err)
	}
	lenient := addrPolicy{allowPrivate: true, local: strict.local}
	if err := lenient.check(own); err != nil {
		t.Fatalf("own address with allowPrivate: %v", err)
	}
	if err := newPolicy(false).check(netip.MustParseAddr("127.0.0.1")); err == nil {
		t.Fatal("loopback allowed by the default policy")
	}
}
