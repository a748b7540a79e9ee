#!/usr/bin/env python3
"""Generates the CVSS test corpus: vectors and the scores the reference library computes.

    python3 -m pip install cvss==3.6     # the reference implementation (LGPL-3.0, test-only)
    python3 scripts/make-cvss-corpus.py  # -> fixtures/cvss/corpus.json

Vectors are drawn with a fixed seed (the file is reproducible): 100 CVSS v2, 60 v3.0, 60 v3.1
(base metrics only) and 200 v4.0 (base metrics, half of them with random threat and
environmental metrics), plus a few hand-picked edge cases. `--check FILE` instead reads a
JSON list of vectors and prints the reference scores (used by the live comparison test).
"""
import json
import random
import sys

import cvss

SEED = 20240601
OUT = "fixtures/cvss/corpus.json"

V2 = [("AV", "LAN"), ("AC", "HML"), ("Au", "MSN"), ("C", "NPC"), ("I", "NPC"), ("A", "NPC")]
V3 = [("AV", "NALP"), ("AC", "LH"), ("PR", "NLH"), ("UI", "NR"), ("S", "UC"), ("C", "HLN"), ("I", "HLN"), ("A", "HLN")]
V4 = [("AV", "NALP"), ("AC", "LH"), ("AT", "NP"), ("PR", "NLH"), ("UI", "NPA"), ("VC", "HLN"), ("VI", "HLN"),
      ("VA", "HLN"), ("SC", "HLN"), ("SI", "HLN"), ("SA", "HLN")]
V4_EXTRA = [("E", "XAPU"), ("CR", "XHML"), ("IR", "XHML"), ("AR", "XHML"), ("MAV", "XNALP"), ("MAC", "XLH"),
            ("MAT", "XNP"), ("MPR", "XNLH"), ("MUI", "XNPA"), ("MVC", "XHLN"), ("MVI", "XHLN"), ("MVA", "XHLN"),
            ("MSC", "XHLN"), ("MSI", "XSHLN"), ("MSA", "XSHLN")]

EDGES = [
    "AV:N/AC:L/Au:N/C:C/I:C/A:C",
    "AV:L/AC:H/Au:M/C:N/I:N/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N",
    "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
    "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/MSI:S",
]


def pick(rng, metrics):
    return "/".join(f"{k}:{rng.choice(vals)}" for k, vals in metrics)


def reference(vector):
    if vector.startswith("CVSS:4.0/"):
        c = cvss.CVSS4(vector)
        return float(c.base_score), c.severity
    if vector.startswith("CVSS:3"):
        c = cvss.CVSS3(vector)
        return float(c.base_score), c.severities()[0]
    c = cvss.CVSS2(vector)
    return float(c.base_score), None


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        vectors = json.load(open(sys.argv[2]))
        print(json.dumps([reference(v)[0] for v in vectors]))
        return 0
    rng = random.Random(SEED)
    vectors = list(EDGES)
    vectors += [pick(rng, V2) for _ in range(100)]
    vectors += ["CVSS:3.0/" + pick(rng, V3) for _ in range(60)]
    vectors += ["CVSS:3.1/" + pick(rng, V3) for _ in range(60)]
    for i in range(200):
        v = "CVSS:4.0/" + pick(rng, V4)
        if i % 2:
            extra = [(k, vals) for k, vals in V4_EXTRA if rng.random() < 0.5]
            if extra:
                v += "/" + pick(rng, extra)
        vectors.append(v)
    seen, rows = set(), []
    for v in vectors:
        if v in seen:
            continue
        seen.add(v)
        score, severity = reference(v)
        rows.append({"vector": v, "score": score, "severity": (severity or "").lower() or None})
    head = {"generator": "scripts/make-cvss-corpus.py", "reference": f"cvss {cvss.__version__} (PyPI)", "seed": SEED}
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(head)[:-1] + ', "vectors": [\n')
        f.write(",\n".join(json.dumps(r) for r in rows))
        f.write("\n]}\n")
    print(f"wrote {OUT}: {len(rows)} vectors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
