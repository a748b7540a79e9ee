#!/usr/bin/env bash
# Fetches the real DNS captures used by the pcap tests: the BSD-3-Clause test captures shipped in
# Debian's golang-github-google-gopacket-dev (pinned version, verified SHA-256), unpacked into
# data/cache/gopacket/ (git-ignored). Only Debian's package archive is contacted, through apt.
#
#   scripts/fetch-dns-test-data.sh
#
# See docs/data-sources.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OPENTI_DATA_CACHE:-$ROOT/data/cache}"
OUT="$CACHE/gopacket"

PKG=golang-github-google-gopacket-dev
VERSION=1.1.19-3
DEB="${PKG}_${VERSION}_all.deb"
SHA256=a70e11de3ae9232eceb2c623cfedb903d25acb1e2f480213745ac49e5dfa36bd

if [ -f "$OUT/.complete-$VERSION" ]; then
    exit 0
fi
mkdir -p "$CACHE/downloads" "$OUT"
cd "$CACHE/downloads"
if [ ! -f "$DEB" ]; then
    if ! apt-get download "$PKG=$VERSION" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        apt-get download "$PKG=$VERSION"
    fi
fi
got="$(sha256sum "$DEB" | cut -d' ' -f1)"
if [ "$got" != "$SHA256" ]; then
    echo "error: sha256 mismatch for $DEB: expected $SHA256, got $got" >&2
    exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$DEB" "$tmp"
src="$tmp/usr/share/gocode/src/github.com/google/gopacket"
cp "$src"/pcap/test_dns.pcap "$src"/pcap/test_ethernet.pcap "$src"/pcap/test_loopback.pcap "$OUT/"
mkdir -p "$OUT/pcapng"
cp "$src"/pcapgo/tests/le/*.pcapng "$OUT/pcapng/" 2>/dev/null || true
mkdir -p "$OUT/pcapng-be"
cp "$src"/pcapgo/tests/be/*.pcapng "$OUT/pcapng-be/" 2>/dev/null || true
cp "$tmp/usr/share/doc/$PKG/copyright" "$OUT/COPYRIGHT"
touch "$OUT/.complete-$VERSION"
echo "gopacket test captures in $OUT"
