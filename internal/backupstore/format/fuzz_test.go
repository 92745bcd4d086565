package format

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecodeConfig feeds arbitrary bytes to the cfg parser, which reads
// files from stores anyone may have written. It must never panic, never
// accept a negative Size, and whatever it accepts must survive
// encode/decode unchanged: decode(encode(c)) == c, byte for byte once
// encoded.
func FuzzDecodeConfig(f *testing.F) {
	for _, seed := range []string{
		longhornFinal,
		`{"Name":"x1","Size":"10","BlockCount":"0","Checksum":"","Labels":null,"CompressionMethod":"",` +
			`"CreatedTime":"2026-11-26T23:06:31Z","CompleteTime":"","Secret":"","SecretNamespace":"","ProcessingBlocks":null,"Extra":1}`,
		`{"Name":"x1","Size":5,"BlockCount":1}`,
		`{"Name":"x1","Size":"five"}`,
		`{"Name":`,
		`{"Size":"-1"}`,
		`{"Size":"9223372036854775808"}`,
		`{"Blocks":[{"Offset":1e3,"BlockChecksum":""}],"Labels":{}}`,
		`{"ProcessingBlocks":{"Blocks":{"a":[1,2]}}, "Size":""}`,
		"null",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeConfig(data)
		if err != nil {
			return
		}
		if c.Size < 0 {
			t.Fatalf("accepted a negative Size %d", c.Size)
		}
		enc, err := c.Encode()
		if err != nil {
			t.Fatalf("encoding an accepted cfg %+v: %v", c, err)
		}
		c2, err := DecodeConfig(enc)
		if err != nil {
			t.Fatalf("decoding its own encoding %s: %v", enc, err)
		}
		enc2, err := c2.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encode(decode(encode(c))) differs:\n%s\n%s", enc, enc2)
		}
		c3, err := DecodeConfig(enc2)
		if err != nil || !reflect.DeepEqual(c2, c3) {
			t.Fatalf("decode(encode(c)) != c: %+v / %+v (%v)", c2, c3, err)
		}
	})
}
