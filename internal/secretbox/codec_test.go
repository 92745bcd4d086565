package secretbox

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func newRing(t *testing.T) *Keyring {
	t.Helper()
	ring, _, err := LoadOrCreate(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

const name = "/plinth/secrets/creds"

var plain = []byte(`{"name":"creds","data":{"AWS_SECRET_ACCESS_KEY":"swordfish"}}`)

func TestSealOpenRoundTripHidesValue(t *testing.T) {
	ring := newRing(t)
	sealed, err := ring.Seal(name, plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("swordfish")) || bytes.Contains(sealed, []byte("AWS_SECRET")) {
		t.Fatalf("sealed value shows the plaintext: %q", sealed)
	}
	if ring.Stale(sealed) {
		t.Error("a value sealed under the primary key is reported stale")
	}
	got, err := ring.Open(name, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: %q %v", got, err)
	}
	again, _ := ring.Seal(name, plain)
	if bytes.Equal(again, sealed) {
		t.Error("two seals of the same value are identical: the nonce is not random")
	}
}

func TestOpenWithAnotherKeyFileFailsClearly(t *testing.T) {
	sealed, err := newRing(t).Seal(name, plain)
	if err != nil {
		t.Fatal(err)
	}
	other := newRing(t)
	_, err = other.Open(name, sealed)
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "--secrets-key-file") {
		t.Fatalf("open under another key file: %v, want ErrWrongKey naming --secrets-key-file", err)
	}
	if !other.Stale(sealed) {
		t.Error("a value under a key that is not the primary is not reported stale")
	}
}

func TestTamperedValuesDoNotOpen(t *testing.T) {
	ring := newRing(t)
	sealed, err := ring.Seal(name, plain)
	if err != nil {
		t.Fatal(err)
	}
	idEnd := 2 + int(sealed[1])
	for _, at := range []int{idEnd, idEnd + 5, idEnd + 12, len(sealed) / 2, len(sealed) - 1} {
		bad := append([]byte{}, sealed...)
		bad[at] ^= 0x01
		if _, err := ring.Open(name, bad); !errors.Is(err, ErrDamaged) {
			t.Errorf("byte %d flipped: %v, want ErrDamaged", at, err)
		}
	}
	badID := append([]byte{}, sealed...)
	badID[2] ^= 0x01
	if _, err := ring.Open(name, badID); !errors.Is(err, ErrWrongKey) {
		t.Errorf("key id altered: %v, want ErrWrongKey", err)
	}
	if _, err := ring.Open(name, sealed[:idEnd+20]); !errors.Is(err, ErrDamaged) {
		t.Errorf("truncated: %v, want ErrDamaged", err)
	}
	future := append([]byte{}, sealed...)
	future[0] = 2
	if _, err := ring.Open(name, future); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("unknown version: %v", err)
	}
}

func TestValueMovedToAnotherSecretDoesNotOpen(t *testing.T) {
	ring := newRing(t)
	sealed, err := ring.Seal(name, plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Open("/plinth/secrets/other", sealed); !errors.Is(err, ErrDamaged) {
		t.Fatalf("value moved to another key: %v, want ErrDamaged", err)
	}
}

func TestPlaintextRecordsOpenAndAreStale(t *testing.T) {
	ring := newRing(t)
	got, err := ring.Open(name, plain)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("plaintext record: %q %v", got, err)
	}
	if !ring.Stale(plain) {
		t.Error("a plaintext record is not reported stale")
	}
}
