#!/bin/sh
# Regenerates the small qcow2 files FuzzCheck and the unit tests start from
# (512-byte clusters keep them a few KiB). Run from this folder; needs
# qemu-img (qemu-utils). The backing and data file names point at scratch
# paths that never exist, so nothing outside this folder is touched.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c "
b = bytearray(16384)
for i in range(0, len(b), 1024):
    b[i:i+300] = bytes((i // 1024 + j) % 251 + 1 for j in range(300))
open('$tmp/data.raw', 'wb').write(b)"
o=cluster_size=512
qemu-img convert -f raw -O qcow2 -o $o "$tmp/data.raw" ok-v3.qcow2
qemu-img convert -f raw -O qcow2 -o $o,compat=0.10 "$tmp/data.raw" ok-v2.qcow2
qemu-img convert -c -f raw -O qcow2 -o $o "$tmp/data.raw" ok-compressed.qcow2
qemu-img create -q -u -f qcow2 -o $o -b /nonexistent/plinth-scratch/backing.raw -F raw backing-file.qcow2 16K
truncate -s 16K "$tmp/scratch.raw"
qemu-img create -q -f qcow2 -o $o,data_file="$tmp/scratch.raw" data-file.qcow2 16K
qemu-img create -q -f qcow2 --object secret,id=s0,data=plinth -o $o,encrypt.format=aes,encrypt.key-secret=s0 \
	encrypted-aes.qcow2 16K
# A LUKS qcow2 is over 1 MiB (its key material); its first 1536 bytes keep
# the header (crypt_method 2) and the full disk encryption extension.
qemu-img create -q -f qcow2 --object secret,id=s0,data=plinth -o $o,encrypt.format=luks,encrypt.key-secret=s0 \
	"$tmp/luks.qcow2" 16K
head -c 1536 "$tmp/luks.qcow2" >encrypted-luks-head.qcow2
