package format

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBlockIDOfZeroBlockMatchesLonghorn(t *testing.T) {
	// Probe value from reference §2.1: head -c 2097152 /dev/zero | sha512sum | cut -c1-64
	const want = "731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0"
	if got := BlockID(make([]byte, BlockSize)); got != want {
		t.Fatalf("BlockID(zero block) = %s, want %s", got, want)
	}
}

func TestKeys(t *testing.T) {
	id := "731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0"
	key := BlockKey(id)
	if key != "backupstore/backing-images/blocks/73/18/"+id+".blk" {
		t.Fatalf("BlockKey = %s", key)
	}
	if got, ok := IDFromBlockKey(key); !ok || got != id {
		t.Fatalf("IDFromBlockKey(%s) = %q, %v", key, got, ok)
	}
	for _, bad := range []string{
		BlocksDir + "/73/19/" + id + ".blk", // wrong fan-out
		BlocksDir + "/73/18/" + id,          // no suffix
		BlocksDir + "/73/18/" + strings.ToUpper(id) + ".blk",
		BlocksDir + "/73/18/x/" + id + ".blk",
	} {
		if _, ok := IDFromBlockKey(bad); ok {
			t.Errorf("IDFromBlockKey(%s) accepted a malformed key", bad)
		}
	}
	if got := ConfigKey("bi-1"); got != "backupstore/backing-images/backing-images/bi-1/backing-image.cfg" {
		t.Fatalf("ConfigKey = %s", got)
	}
	if name, ok := NameFromConfigKey(ConfigKey("bi-1")); !ok || name != "bi-1" {
		t.Fatalf("NameFromConfigKey = %q, %v", name, ok)
	}
	if _, ok := NameFromConfigKey(ConfigsDir + "/bi-1/other.cfg"); ok {
		t.Fatal("NameFromConfigKey accepted another file")
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"bi-1", "Ab", "a.b_c-d", "9x"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "-ab", "a/b", "..", "a b", "x.tmp.123"} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("ValidateName(%q) accepted it", bad)
		}
	}
}

// longhornFinal is the probe-recorded final cfg of reference §3.2
// (block IDs shortened to full 64-hex values for the test).
const longhornFinal = `{"Name":"bi-test","Size":"8392704","BlockCount":"4","Checksum":"deadbeef","Labels":{"k":"v"},` +
	`"CompressionMethod":"lz4","CreatedTime":"2026-11-26T23:06:31Z","CompleteTime":"2026-11-26T23:06:33Z",` +
	`"Secret":"s1","SecretNamespace":"ns1","ProcessingBlocks":{"Blocks":{}},"Blocks":[` +
	`{"Offset":0,"BlockChecksum":"eb0e38fa00000000000000000000000000000000000000000000000000003631"},` +
	`{"Offset":2097152,"BlockChecksum":"731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0"}]}`

func TestDecodeLonghornConfig(t *testing.T) {
	c, err := DecodeConfig([]byte(longhornFinal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != 8392704 || c.BlockCount != 4 || c.Labels["k"] != "v" || c.InProgress() || len(c.Blocks) != 2 ||
		c.Blocks[1].Offset != 2097152 || c.Compression() != "lz4" || c.HasImageChecksum() {
		t.Fatalf("decoded %+v", c)
	}
	placeholder := `{"Name":"x1","Size":"10","BlockCount":"0","Checksum":"","Labels":null,"CompressionMethod":"",` +
		`"CreatedTime":"2026-11-26T23:06:31Z","CompleteTime":"","Secret":"","SecretNamespace":"","ProcessingBlocks":null,"Extra":1}`
	c, err = DecodeConfig([]byte(placeholder))
	if err != nil {
		t.Fatal(err)
	}
	if !c.InProgress() || c.Compression() != LegacyCompression || c.Blocks != nil || c.Size != 10 {
		t.Fatalf("decoded placeholder %+v", c)
	}
	// Bare numbers are accepted too (robustness; never written).
	if c, err = DecodeConfig([]byte(`{"Name":"x1","Size":5,"BlockCount":1}`)); err != nil || c.Size != 5 {
		t.Fatalf("bare numbers: %+v, %v", c, err)
	}
	if _, err := DecodeConfig([]byte(`{"Name":"x1","Size":"five"}`)); err == nil {
		t.Fatal("accepted a non-numeric Size")
	}
	if _, err := DecodeConfig([]byte(`{"Name":`)); err == nil {
		t.Fatal("accepted truncated JSON")
	}
}

func TestEncodeMatchesLonghornShape(t *testing.T) {
	c := &Config{Name: "bi-test", Size: 8392704, CompressionMethod: "lz4", CreatedTime: FormatTime(time.Date(2026, 11, 26, 23, 6, 31, 5e8, time.UTC))}
	got, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Name":"bi-test","Size":"8392704","BlockCount":"0","Checksum":"","Labels":null,"CompressionMethod":"lz4",` +
		`"CreatedTime":"2026-11-26T23:06:31Z","CompleteTime":"","Secret":"","SecretNamespace":"","ProcessingBlocks":null}`
	if string(got) != want {
		t.Fatalf("placeholder\n got %s\nwant %s", got, want)
	}
	c.Blocks = []BlockRef{{Offset: 0, BlockChecksum: "ab"}, {Offset: 2097152, BlockChecksum: "cd"}}
	c.MarkComplete(time.Date(2026, 11, 26, 23, 6, 33, 0, time.UTC))
	got, _ = c.Encode()
	if !bytes.Contains(got, []byte(`"BlockCount":"2"`)) || !bytes.Contains(got, []byte(`"CompleteTime":"2026-11-26T23:06:33Z"`)) ||
		!bytes.Contains(got, []byte(`"ProcessingBlocks":{"Blocks":{}},"Blocks":[{"Offset":0,"BlockChecksum":"ab"},{"Offset":2097152,"BlockChecksum":"cd"}]}`)) {
		t.Fatalf("final cfg %s", got)
	}
	var generic map[string]any
	if err := json.Unmarshal(got, &generic); err != nil {
		t.Fatal(err)
	}
	if _, ok := generic["Size"].(string); !ok {
		t.Fatalf("Size is %T, want string", generic["Size"])
	}
}
