#!/usr/bin/env bash
# Fetches the pinned MISP warninglists (PyPI `pymispwarninglists`, data CC0-1.0) and unpacks a
# few lists relevant to host reputation into data/cache/warninglists-<version>/<name>/list.json
# (git-ignored). Import them with:
#
#   scripts/fetch-warninglists.sh
#   openti import warninglist data/cache/warninglists-1.7.0/*/
#
# Only PyPI is contacted (through pip). The wheel is verified against a pinned SHA-256; a
# mismatch aborts. See docs/data-sources.md and docs/reputation.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="$ROOT/data/cache"
PYTHON="${PYTHON:-python3}"

VERSION="1.7.0"
WHEEL="pymispwarninglists-${VERSION}-py3-none-any.whl"
SHA256="18b0922a6334e20850b7ab84a0d9e52746302abc36ec034ecc141fb2db67d4a7"
# Lists the default reputation rules name (top sites, public resolvers, special-use ranges,
# large clouds and CDNs).
LISTS="tranco10k public-dns-hostname public-dns-v4 public-dns-v6 google microsoft microsoft-office365
rfc1918 rfc5735 rfc6761 amazon-aws google-gcp microsoft-azure cloudflare akamai fastly"

mkdir -p "$CACHE/downloads"
file="$CACHE/downloads/$WHEEL"
verify() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
if [ -f "$file" ] && verify "$file" "$SHA256"; then
    echo "ok: $WHEEL (cached)"
else
    rm -f "$file"
    echo "downloading pymispwarninglists==$VERSION from PyPI"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$CACHE/downloads" \
        "pymispwarninglists==$VERSION"
    if ! verify "$file" "$SHA256"; then
        echo "error: sha256 mismatch for $file (expected $SHA256)" >&2
        exit 1
    fi
    echo "ok: $WHEEL (verified)"
fi

dest="$CACHE/warninglists-$VERSION"
"$PYTHON" - "$file" "$dest" $LISTS <<'PY'
import pathlib, sys, zipfile
wheel, dest, names = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
z = zipfile.ZipFile(wheel)
members = {pathlib.PurePosixPath(n).parts[-2]: n for n in z.namelist() if n.endswith("/list.json")}
for name in names:
    if name not in members:
        sys.exit(f"error: warninglist {name} not in {wheel}")
    out = dest / name / "list.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(z.read(members[name]))
print(f"unpacked {len(names)} warninglists into {dest}")
PY
echo "import with: openti import warninglist $dest/*/"
