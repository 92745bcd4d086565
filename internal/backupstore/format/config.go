package format

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Compression method names as they appear in CompressionMethod.
const (
	CompressionNone = "none"
	CompressionGzip = "gzip"
	CompressionLZ4  = "lz4"
	// LegacyCompression is what an empty or missing CompressionMethod means:
	// Longhorn wrote gzip before the field existed.
	LegacyCompression = CompressionGzip
)

// TimeLayout is Longhorn's timestamp form: RFC 3339, UTC, whole seconds.
const TimeLayout = "2006-01-02T15:04:05Z07:00"

// FormatTime renders t as Longhorn's util.Now does.
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(TimeLayout) }

// Config is backing-image.cfg. Field names and order are Longhorn's;
// Size and BlockCount are JSON strings (Go's ",string" tag upstream, whose
// readers reject bare numbers), Offset is a JSON number.
type Config struct {
	Name string
	// Size is the image size in bytes; need not be a multiple of BlockSize.
	Size StringInt64
	// BlockCount is the number of Blocks entries (duplicates counted), not
	// the number of distinct objects.
	BlockCount StringInt64
	// Checksum is the SHA-512 hex of the whole image as plinth and
	// Longhorn's backing-image manager write it; foreign writers may put
	// anything here (see HasImageChecksum).
	Checksum          string
	Labels            map[string]string
	CompressionMethod string
	CreatedTime       string
	// CompleteTime is "" while the backup is in progress (or failed): such a
	// cfg is not restorable and pauses garbage collection.
	CompleteTime    string
	Secret          string
	SecretNamespace string
	// ProcessingBlocks is leaked upstream work state: null in a
	// placeholder, {"Blocks":{}} in a final cfg. Read and ignored.
	ProcessingBlocks json.RawMessage
	Blocks           []BlockRef `json:",omitempty"`
}

// BlockRef places one block of the image; holes have no entry.
type BlockRef struct {
	Offset        int64
	BlockChecksum string
}

// finalProcessingBlocks is what Longhorn leaves in a final cfg.
var finalProcessingBlocks = json.RawMessage(`{"Blocks":{}}`)

// InProgress reports whether the cfg is a placeholder: not restorable.
func (c *Config) InProgress() bool { return c.CompleteTime == "" }

// Compression returns the effective method, mapping "" to the legacy gzip.
func (c *Config) Compression() string {
	if c.CompressionMethod == "" {
		return LegacyCompression
	}
	return c.CompressionMethod
}

// HasImageChecksum reports whether Checksum is a SHA-512 hex digest that a
// restore can verify the whole image against.
func (c *Config) HasImageChecksum() bool {
	if len(c.Checksum) != 128 {
		return false
	}
	_, err := hex.DecodeString(c.Checksum)
	return err == nil
}

// Encode renders the cfg as Longhorn writes it: compact JSON on one line.
func (c *Config) Encode() ([]byte, error) {
	out, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode %s of %q: %w", ConfigFile, c.Name, err)
	}
	return out, nil
}

// MarkComplete turns a placeholder into a final cfg at time now.
func (c *Config) MarkComplete(now time.Time) {
	c.CompleteTime = FormatTime(now)
	c.BlockCount = StringInt64(len(c.Blocks))
	c.ProcessingBlocks = finalProcessingBlocks
}

// DecodeConfig parses a backing-image.cfg, accepting everything Longhorn
// writes: string or bare-number integers, null Labels and
// ProcessingBlocks, a missing Blocks field, unknown fields.
func DecodeConfig(data []byte) (*Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", ConfigFile, err)
	}
	if c.Size < 0 {
		return nil, fmt.Errorf("parse %s of %q: negative Size %d", ConfigFile, c.Name, c.Size)
	}
	return &c, nil
}

// StringInt64 is an int64 written as a JSON string ("8392704"), as Go's
// ",string" tag does upstream. It reads both strings and bare numbers.
type StringInt64 int64

// MarshalJSON writes the quoted decimal form.
func (v StringInt64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(v), 10) + `"`), nil
}

// UnmarshalJSON accepts "123", 123 and "" (read as 0).
func (v *StringInt64) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*v = 0
			return nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("integer field is neither a decimal string nor a number: " + strconv.Quote(s))
	}
	*v = StringInt64(n)
	return nil
}
