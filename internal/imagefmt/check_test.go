package imagefmt

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckAcceptsOrdinaryQemuImages(t *testing.T) {
	for _, name := range []string{"ok-v3.qcow2", "ok-v2.qcow2", "ok-compressed.qcow2"} {
		info, err := checkBytes(readTestdata(t, name), Limits{})
		if err != nil || info.Format != Qcow2 || info.VirtualSize != 16384 {
			t.Errorf("%s: got %+v, %v; want an accepted qcow2 of 16 KiB", name, info, err)
		}
	}
	dir := t.TempDir()
	raw := patternFile(t, dir, 3<<20+12345)
	made := map[string][]string{
		"v3.qcow2":     {"convert", "-f", "raw", "-O", "qcow2", raw},
		"v2.qcow2":     {"convert", "-f", "raw", "-O", "qcow2", "-o", "compat=0.10", raw},
		"zstd.qcow2":   {"convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd", raw},
		"extl2.qcow2":  {"convert", "-f", "raw", "-O", "qcow2", "-o", "extended_l2=on,cluster_size=128k", raw},
		"big-cl.qcow2": {"convert", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=2M", raw},
		"meta.qcow2":   {"convert", "-f", "raw", "-O", "qcow2", "-o", "preallocation=metadata", raw},
	}
	for name, args := range made {
		runQemuImg(t, append(args, filepath.Join(dir, name))...)
	}
	empty := filepath.Join(dir, "empty.qcow2")
	runQemuImg(t, "create", "-q", "-f", "qcow2", empty, "1T")
	snap := filepath.Join(dir, "v3.qcow2")
	runQemuImg(t, "snapshot", "-c", "s1", snap)
	runQemuImg(t, "bitmap", "--add", snap, "b1")
	for _, name := range append([]string{"empty.qcow2"}, keys(made)...) {
		info, err := checkPath(t, filepath.Join(dir, name), Limits{})
		if err != nil || info.Format != Qcow2 {
			t.Errorf("%s: got %+v, %v; want an accepted qcow2", name, info, err)
		}
	}
	if info, err := checkPath(t, raw, Limits{}); err != nil || info.Format != Raw || info.VirtualSize != 3<<20+12345 {
		t.Errorf("raw: got %+v, %v", info, err)
	}
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// refusal is one image Check must refuse and a word its reason must hold.
type refusal struct {
	name  string
	image []byte
	want  string
}

func seedRefusals(t testing.TB) []refusal {
	ok := readTestdata(t, "ok-v3.qcow2")
	df := readTestdata(t, "data-file.qcow2")
	return []refusal{
		{"backing file", readTestdata(t, "backing-file.qcow2"), "backing file (\"/nonexistent/plinth-scratch/backing.raw\")"},
		{"external data file", df, "external data file"},
		{"data file extension without the feature bit", patched(df, 72, uint64(0)), "external data file"},
		{"raw external data autoclear bit", patched(ok, 88, uint64(autoclearRawData)), "external data file"},
		{"aes encryption", readTestdata(t, "encrypted-aes.qcow2"), "encrypted"},
		{"luks encryption", readTestdata(t, "encrypted-luks-head.qcow2"), "encrypted (crypt_method 2)"},
		{"luks crypt method", patched(ok, 32, uint32(2)), "encrypted"},
		{"unknown incompatible bit", patched(ok, 72, uint64(1<<5)), "unknown to plinth"},
		{"dirty", patched(ok, 72, uint64(incompatDirty)), "dirty"},
		{"corrupt", patched(ok, 72, uint64(incompatCorrupt)), "corrupt"},
		{"version 4", patched(ok, 4, uint32(4)), "version 4"},
		{"version 1", patched(ok, 4, uint32(1)), "version 1"},
		{"cluster_bits 8", patched(ok, 20, uint32(8)), "cluster_bits"},
		{"cluster_bits 22", patched(ok, 20, uint32(22)), "cluster_bits"},
		{"4 EiB virtual size", patched(ok, 24, uint64(1<<62)), "virtual size"},
		{"truncated", ok[:len(ok)/2], "outside the file"},
		{"L1 table over the header", patched(ok, 40, uint64(0)), "overlaps the header"},
		{"L1 table outside the file", patched(ok, 40, uint64(1<<40)), "the L1 table"},
		{"L1 table too small", patched(ok, 36, uint32(0)), "L1 table has 0 entries"},
		{"refcount table outside", patched(ok, 48, uint64(1<<30)), "refcount table"},
		{"no refcount table", patched(ok, 56, uint32(0)), "no refcount table"},
		{"snapshot table outside", patched(patched(ok, 60, uint32(1)), 64, uint64(1<<30)), "snapshot table"},
		{"extension past its area", patched(patched(ok, 112, uint32(0x12345678)), 116, uint32(400)), "header extension"},
		{"v3 header too short", patched(ok, 100, uint32(96)), "header_length"},
		{"unknown compression type", patched(patched(ok, 72, uint64(incompatCompression)), 104, uint8(7)), "compression type 7"},
		{"short header", ok[:60], "header is 60 bytes"},
	}
}

func TestCheckRefuses(t *testing.T) {
	for _, c := range seedRefusals(t) {
		_, err := checkBytes(c.image, Limits{})
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrRefused saying %q", c.name, err, c.want)
		}
	}
	if _, err := checkBytes(readTestdata(t, "ok-v3.qcow2"), Limits{MaxVirtualSize: 8192}); !errors.Is(err, ErrRefused) ||
		!strings.Contains(err.Error(), "backing-image-max-size-gib") {
		t.Errorf("virtual size over the limit: got %v", err)
	}
}

// TestCheckRefusesRealImages covers what qemu-img itself makes: a LUKS
// encrypted qcow2, and a real image cut to its first 64 KiB.
func TestCheckRefusesRealImages(t *testing.T) {
	dir := t.TempDir()
	luks := filepath.Join(dir, "luks.qcow2")
	runQemuImg(t, "create", "-q", "-f", "qcow2", "--object", "secret,id=s0,data=plinth-test",
		"-o", "encrypt.format=luks,encrypt.key-secret=s0", luks, "1M")
	if _, err := checkPath(t, luks, Limits{}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("luks: got %v", err)
	}
	b, err := os.ReadFile(luks)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkBytes(patched(b, 32, uint32(0)), Limits{}); !errors.Is(err, ErrRefused) ||
		!strings.Contains(err.Error(), "full disk encryption") {
		t.Errorf("luks extension without crypt_method: got %v", err)
	}
	full := filepath.Join(dir, "full.qcow2")
	runQemuImg(t, "convert", "-f", "raw", "-O", "qcow2", patternFile(t, dir, 4<<20), full)
	b, err = os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkBytes(b[:64<<10], Limits{}); !errors.Is(err, ErrRefused) {
		t.Errorf("first 64 KiB of a qcow2: got %v, want refused", err)
	}
	if out, err := exec.Command(qemuImg(t), "info", full).CombinedOutput(); err != nil {
		t.Fatalf("the untruncated image must be valid: %v: %s", err, out)
	}
}

func TestCheckHeaderRefusesFromTheFirstBytes(t *testing.T) {
	for _, name := range []string{"backing-file.qcow2", "data-file.qcow2", "encrypted-aes.qcow2"} {
		b := readTestdata(t, name)
		if _, err := CheckHeader(b[:min(len(b), 512)], Limits{}); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: got %v, want refused", name, err)
		}
	}
	ok := readTestdata(t, "ok-v3.qcow2")
	if info, err := CheckHeader(ok[:512], Limits{}); err != nil || info.Format != Qcow2 {
		t.Errorf("ok-v3 head: got %+v, %v", info, err)
	}
	if info, err := CheckHeader([]byte("plain bytes"), Limits{}); err != nil || info.Format != Raw {
		t.Errorf("raw head: got %+v, %v", info, err)
	}
}

func TestErrCorruptIsRefused(t *testing.T) {
	if _, err := Detect(patched(readTestdata(t, "ok-v3.qcow2"), 4, uint32(9)), 1<<20); !errors.Is(err, ErrCorrupt) ||
		!errors.Is(err, ErrRefused) {
		t.Fatalf("got %v, want both ErrCorrupt and ErrRefused", err)
	}
}
