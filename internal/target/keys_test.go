package target

import "testing"

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"a", "a/b", "backupstore/volumes/22/fc/BACKINGIMAGE/locks/lock-0123456789abcdef.lck", "x.tmp", "x.tmp.1a", "a..b"} {
		if err := ValidateKey(OpPut, k); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", k, err)
		}
	}
	for _, k := range []string{"", "/a", "a/", "a//b", ".", "..", "a/./b", "a/../b", "a\\b", "a\x00b", "x.tmp.123", "d/x.tmp.1/y"} {
		err := ValidateKey(OpPut, k)
		if err == nil || !IsPermanent(err) {
			t.Errorf("ValidateKey(%q) = %v, want a permanent error", k, err)
		}
	}
	if err := ValidateDir(OpList, ""); err != nil {
		t.Errorf("ValidateDir(root) = %v", err)
	}
	if err := ValidateDir(OpList, "a/"); err == nil {
		t.Error("ValidateDir(a/) succeeded")
	}
}

func TestTempName(t *testing.T) {
	name := TempName("block.blk", 1700000000123456789)
	if name != "block.blk.tmp.1700000000123456789" || !IsTempName(name) {
		t.Fatalf("TempName = %q (IsTempName %v), want Longhorn's <name>.tmp.<nanos> form", name, IsTempName(name))
	}
	for _, n := range []string{"block.blk", ".tmp.1", "a.tmp.", "a.tmp.12x"} {
		if IsTempName(n) {
			t.Errorf("IsTempName(%q) = true", n)
		}
	}
	if JoinKey("", "a") != "a" || JoinKey("d", "a") != "d/a" {
		t.Error("JoinKey")
	}
}
