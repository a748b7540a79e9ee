#!/usr/bin/env bash
# Fetches the pinned IP enrichment data sets used by the enrichment tests into
# data/cache/ip-location-db/ (git-ignored).
#
#   scripts/fetch-test-data.sh        # download (if needed), verify, unpack
#
# Only the npm registry is contacted (through `npm pack`). Every download is verified against
# a pinned SHA-256; a mismatch aborts. Licences and refresh steps: docs/data-sources.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OPENTI_DATA_CACHE:-$ROOT/data/cache}"

IPLDB_VERSION="2.3.2026061719"
# package  sha256-of-the-npm-tarball
PACKAGES=(
    "@ip-location-db/asn b9425daf2f011c28f8586685d4f89166e77627e2c15fd93c6262c3e2dead6153"
    "@ip-location-db/geo-whois-asn-country-mmdb 91757a1b06cdcd1955f292e4c4cfc54e091204f998e159a3187f7a2ef3724be0"
)

command -v npm >/dev/null || { echo "error: npm is required (apt-get install npm)" >&2; exit 1; }
mkdir -p "$CACHE/downloads" "$CACHE/ip-location-db"

verify() { # file expected-sha256
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    if [ "$got" != "$2" ]; then
        echo "error: sha256 mismatch for $1" >&2
        echo "  expected $2" >&2
        echo "  got      $got" >&2
        return 1
    fi
}

for entry in "${PACKAGES[@]}"; do
    pkg="${entry%% *}"
    sha="${entry##* }"
    name="${pkg#@ip-location-db/}"
    tgz="$CACHE/downloads/ip-location-db-$name-$IPLDB_VERSION.tgz"
    dest="$CACHE/ip-location-db/$name"
    if [ -f "$tgz" ] && verify "$tgz" "$sha" 2>/dev/null; then
        echo "ok: $(basename "$tgz") (cached)"
    else
        rm -f "$tgz"
        echo "downloading $pkg@$IPLDB_VERSION from npm"
        (cd "$CACHE/downloads" && npm pack --silent "$pkg@$IPLDB_VERSION" >/dev/null)
        verify "$tgz" "$sha"
        echo "ok: $(basename "$tgz") (verified)"
    fi
    if [ ! -f "$dest/.unpacked" ] || [ "$(cat "$dest/.unpacked")" != "$IPLDB_VERSION" ]; then
        rm -rf "$dest"
        mkdir -p "$dest"
        tar -xzf "$tgz" -C "$dest" --strip-components=1
        echo "$IPLDB_VERSION" > "$dest/.unpacked"
        echo "unpacked: $dest"
    fi
done

echo "ASN ranges:   $CACHE/ip-location-db/asn/asn-ipv4.csv, asn-ipv6.csv"
echo "Country MMDB: $CACHE/ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"
