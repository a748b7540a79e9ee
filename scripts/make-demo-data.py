#!/usr/bin/env python3
"""Converts MISP galaxy clusters into OpenTI `intel_profile` observations (NDJSON).

Input : the pymispgalaxies wheel unpacked by scripts/fetch-data.sh (data/cache/...).
Output: crates/openti/demo/profiles.ndjson (committed; CC0-1.0 / BSD-2-Clause data).

Selection (deterministic, documented in docs/data-sources.md):
  * actors: `threat-actor.json` values with a non-empty description, sorted by number of
    `meta.refs` (descending) then name (case-insensitive); the first 60;
  * tools:  `tool.json` values whose description has at least 60 characters, same ordering;
    the first 40.

Mapping:
  value -> title; meta.synonyms -> aliases; meta.country (ISO code) -> countries
  [{code, label}] with the label taken from the `country.json` cluster of the same package;
  meta.cfr-target-category + meta.cfr-suspected-victims + meta.targeted-sector -> targets;
  description -> description (markdown, followed by up to 5 reference links from meta.refs);
  first sentence of the description -> summary; meta.since (a year) -> first_active.
  Each profile gets an explicit `id` equal to the id the store would derive itself:
  lower-case hex SHA-256 of "{kind}$${title.strip().lower()}".

Python 3.11 standard library only.
"""
import argparse
import hashlib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CLUSTERS = os.path.join(
    ROOT, "data", "cache", "pymispgalaxies-1.1.1", "pymispgalaxies", "data", "misp-galaxy", "clusters"
)
DEFAULT_OUT = os.path.join(ROOT, "crates", "openti", "demo", "profiles.ndjson")
N_ACTORS = 60
N_TOOLS = 40
MAX_REFS = 5


def profile_id(kind: str, title: str) -> str:
    """Same rule as openti_model::ids::intelligence_profile."""
    return hashlib.sha256(f"{kind}$${title.strip().lower()}".encode("utf-8")).hexdigest()


def clean(text: str) -> str:
    return re.sub(r"[ \t]+", " ", (text or "").replace("\r", "")).strip()


_SENTENCE_END = re.compile(r"(?<=[a-z0-9\)\]'\"][.!?])\s+(?=[A-Z\"'(])")


def first_sentence(text: str) -> str:
    text = clean(text).replace("\n", " ")
    for m in _SENTENCE_END.finditer(text):
        if m.start() >= 25:
            return text[: m.start()].strip()
    return text


def as_list(v):
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x) for x in v]
    return [str(v)]


def dedupe(items):
    seen, out = set(), []
    for i in items:
        i = clean(i)
        k = i.lower()
        if i and k not in seen:
            seen.add(k)
            out.append(i)
    return out


def description_md(v) -> str:
    desc = clean(v.get("description", ""))
    refs = [r for r in as_list(v.get("meta", {}).get("refs")) if r.startswith(("http://", "https://"))]
    if refs:
        desc += "\n\n**References**\n\n" + "\n".join(f"- <{r}>" for r in refs[:MAX_REFS])
    desc += "\n\n_Source: MISP galaxy (CC0-1.0 or BSD-2-Clause)._"
    return desc


def order(values):
    return sorted(values, key=lambda v: (-len(as_list(v.get("meta", {}).get("refs"))), v["value"].strip().lower()))


def load(clusters, name):
    with open(os.path.join(clusters, name), encoding="utf-8") as f:
        return json.load(f)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clusters", default=DEFAULT_CLUSTERS)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    if not os.path.isdir(args.clusters):
        print(f"error: {args.clusters} not found; run scripts/fetch-data.sh first", file=sys.stderr)
        return 1

    countries = {}
    for c in load(args.clusters, "country.json")["values"]:
        iso = c.get("meta", {}).get("ISO")
        if iso:
            countries[iso.upper()] = clean(c.get("description") or c["value"].title())

    lines = []
    actors = [v for v in load(args.clusters, "threat-actor.json")["values"] if clean(v.get("description", ""))]
    for v in order(actors)[:N_ACTORS]:
        meta = v.get("meta", {})
        title = clean(v["value"])
        p = {"kind": "intel_profile", "id": profile_id("actor", title), "profile_kind": "actor", "title": title}
        p["aliases"] = [a for a in dedupe(as_list(meta.get("synonyms"))) if a.lower() != title.lower()]
        p["targets"] = dedupe(
            as_list(meta.get("cfr-target-category"))
            + as_list(meta.get("targeted-sector"))
            + as_list(meta.get("cfr-suspected-victims"))
        )
        p["countries"] = [
            {"code": code.upper(), "label": countries.get(code.upper(), code.upper())}
            for code in dedupe(as_list(meta.get("country")))
        ]
        since = str(meta.get("since", "")).strip()
        if re.fullmatch(r"\d{4}", since):
            p["first_active"] = f"{since}-01-01T00:00:00Z"
        p["summary"] = first_sentence(v["description"])
        p["description"] = description_md(v)
        lines.append(p)

    tools = [v for v in load(args.clusters, "tool.json")["values"] if len(clean(v.get("description", ""))) >= 60]
    for v in order(tools)[:N_TOOLS]:
        meta = v.get("meta", {})
        title = clean(v["value"])
        p = {"kind": "intel_profile", "id": profile_id("tool", title), "profile_kind": "tool", "title": title}
        p["aliases"] = [a for a in dedupe(as_list(meta.get("synonyms"))) if a.lower() != title.lower()]
        p["targets"] = []
        p["countries"] = []
        p["summary"] = first_sentence(v["description"])
        p["description"] = description_md(v)
        lines.append(p)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for p in lines:
            f.write(json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n")
    n_a = sum(1 for p in lines if p["profile_kind"] == "actor")
    print(f"wrote {args.out}: {n_a} actors, {len(lines) - n_a} tools, {os.path.getsize(args.out)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
