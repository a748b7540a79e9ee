//! Reputation storage (schema v2): scored reputations, the pivot index, dirty hosts, block-
//! and allow-lists, and the extra evidence the engine reads.
//!
//! Dirty marking is done by triggers, so every fact upsert of `apply_batch` marks the hosts
//! whose evidence it changes in the batch's own transaction (no edits to the write path):
//! a host row upsert marks the host; WHOIS marks the domain and every host below it; indicator
//! rows mark the named host and the hosts of a named registered domain; certificate details
//! mark the hosts that served the certificate; an IP's ASN change marks the names resolving to
//! it.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::db::{params, Conn, OptionalExtension};
use openti_model::evidence::{HostEvidence, ListHit, PivotEvidence, Resolution, TrackerEvidence};
use openti_model::lists::{ip_key, ListEntry, ListKind, ListSummary, ReputationList};
use openti_model::HostReputationRule;

use super::extra::host_evidence;
use super::time::{col, now_text, to_json};
use crate::reputation::{RescoreSet, RescoreStats, Scorer, StoredReputation};
use crate::{StoreError, StoreResult};

/// Hosts sharing a pivot value are counted up to this many.
const PIVOT_COUNT_LIMIT: i64 = 10_000;
/// At most this many rows of each evidence list are read.
const EVIDENCE_ROWS: i64 = 1_000;

/// Adds the reputation-specific evidence (lists, name servers, ASNs, resolutions, trackers,
/// certificates, pivots) to `ev`.
pub fn extend_evidence(conn: &Conn<'_>, ev: &mut HostEvidence) -> StoreResult<()> {
    let host = ev.host.clone();
    ev.is_ip = host.parse::<IpAddr>().is_ok();
    let domain = ev.registered_domain.clone().unwrap_or_else(|| host.clone());

    let (block, allow) = list_hits(conn, &host)?;
    ev.blocklisted = block;
    ev.allowlisted = allow;

    let mut ns = BTreeSet::new();
    let mut stmt = conn.prepare_cached(conn.pick(
        "SELECT j.value FROM whois w, json_each(w.nameservers) j WHERE w.host IN (?1, ?2) \
         UNION SELECT value FROM passive_dns WHERE host IN (?1, ?2) AND rtype = 'NS' LIMIT ?3",
        "SELECT j.value FROM whois w, jsonb_array_elements_text(w.nameservers::jsonb) AS j(value) \
         WHERE w.host IN (?1, ?2) \
         UNION SELECT value FROM passive_dns WHERE host IN (?1, ?2) AND rtype = 'NS' LIMIT ?3",
    ))?;
    for r in stmt.query_map(params![host, domain, EVIDENCE_ROWS], |r| r.get::<String>(0))? {
        ns.insert(r?);
    }
    ev.nameservers = ns.into_iter().collect();

    let mut stmt = conn.prepare_cached(
        "SELECT asn FROM hosts WHERE id = ?1 AND asn IS NOT NULL \
         UNION SELECT h.asn FROM passive_dns p JOIN hosts h ON h.id = p.value \
         WHERE p.host = ?1 AND p.rtype IN ('A', 'AAAA') AND h.asn IS NOT NULL ORDER BY 1 LIMIT ?2",
    )?;
    ev.asns = stmt
        .query_map(params![host, EVIDENCE_ROWS], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;

    let mut stmt = conn.prepare_cached(
        "SELECT value, first_seen, last_seen FROM passive_dns WHERE host = ?1 AND rtype IN ('A', 'AAAA') \
         ORDER BY value LIMIT ?2",
    )?;
    ev.resolutions = stmt
        .query_map(params![host, EVIDENCE_ROWS], |r| {
            Ok(Resolution {
                ip: r.get(0)?,
                first_seen: col(r, 1)?,
                last_seen: col(r, 2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    let mut stmt = conn.prepare_cached(
        "SELECT kind, value FROM trackers WHERE host = ?1 ORDER BY kind, value LIMIT ?2",
    )?;
    ev.trackers = stmt
        .query_map(params![host, EVIDENCE_ROWS], |r| {
            Ok(TrackerEvidence {
                kind: r.get(0)?,
                value: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT sha1 FROM host_certificates WHERE host = ?1 ORDER BY sha1 LIMIT ?2",
    )?;
    ev.certificate_sha1s = stmt
        .query_map(params![host, EVIDENCE_ROWS], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;

    ev.pivots = pivots(conn, &host, &ev.pivot_keys())?;
    Ok(())
}

/// For each pivot key: how many other hosts share it and which of them are malicious.
fn pivots(
    conn: &Conn<'_>,
    host: &str,
    keys: &[(String, String)],
) -> StoreResult<Vec<PivotEvidence>> {
    let mut out = Vec::new();
    let mut mal = conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM reputation_pivots WHERE kind = ?1 AND value = ?2 AND malicious = 1 \
         AND host <> ?3 LIMIT ?4) AS _c",
    )?;
    let mut examples = conn.prepare_cached(
        "SELECT host FROM reputation_pivots WHERE kind = ?1 AND value = ?2 AND malicious = 1 AND host <> ?3 \
         ORDER BY host LIMIT 5",
    )?;
    let mut total = conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM reputation_pivots WHERE kind = ?1 AND value = ?2 AND host <> ?3 LIMIT ?4) AS _c",
    )?;
    for (kind, value) in keys {
        let m: i64 = mal.query_row(params![kind, value, host, PIVOT_COUNT_LIMIT], |r| r.get(0))?;
        if m == 0 {
            continue;
        }
        let n: i64 =
            total.query_row(params![kind, value, host, PIVOT_COUNT_LIMIT], |r| r.get(0))?;
        out.push(PivotEvidence {
            kind: kind.clone(),
            value: value.clone(),
            hosts: u64::try_from(n).unwrap_or(0),
            malicious: u64::try_from(m).unwrap_or(0),
            examples: examples
                .query_map(params![kind, value, host], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
        });
    }
    Ok(out)
}

/// Names a hostname list entry may match: the name and each parent domain.
fn suffixes(host: &str) -> Vec<&str> {
    let mut out = vec![host];
    let mut rest = host;
    while let Some(i) = rest.find('.') {
        rest = &rest[i + 1..];
        if !rest.is_empty() {
            out.push(rest);
        }
    }
    out
}

/// Block and allow hits for a host.
fn list_hits(conn: &Conn<'_>, host: &str) -> StoreResult<(Vec<ListHit>, Vec<ListHit>)> {
    let mut hits: Vec<(String, ListHit)> = Vec::new();
    let mut push = |r: &crate::db::Row| -> crate::db::Result<()> {
        hits.push((
            r.get(0)?,
            ListHit {
                list: r.get(1)?,
                source: r.get(2)?,
                entry: r.get(3)?,
            },
        ));
        Ok(())
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        let key = ip_key(ip);
        let mut stmt = conn.prepare_cached(
            "SELECT kind, list, source, entry FROM reputation_lists \
             WHERE lo IS NOT NULL AND lo <= ?1 AND hi >= ?1 ORDER BY list, entry LIMIT 50",
        )?;
        let mut rows = stmt.query([key])?;
        while let Some(r) = rows.next()? {
            push(r)?;
        }
    } else {
        let mut stmt = conn.prepare_cached(
            "SELECT kind, list, source, entry FROM reputation_lists \
             WHERE entry = ?1 AND (match = 'suffix' OR (match = 'exact' AND ?2)) ORDER BY list LIMIT 50",
        )?;
        for (i, name) in suffixes(host).into_iter().enumerate() {
            let mut rows = stmt.query(params![name, i == 0])?;
            while let Some(r) = rows.next()? {
                push(r)?;
            }
        }
    }
    let (mut block, mut allow) = (Vec::new(), Vec::new());
    for (kind, hit) in hits {
        if kind == ListKind::Block.as_str() {
            block.push(hit);
        } else {
            allow.push(hit);
        }
    }
    Ok((block, allow))
}

/// Scores hosts and saves the results in one write transaction.
pub fn rescore(
    conn: &Conn<'_>,
    set: &RescoreSet,
    scorer: &Scorer,
    version: &str,
) -> StoreResult<RescoreStats> {
    let tx = conn.transaction(true)?;
    let hosts: Vec<String> = match set {
        RescoreSet::Hosts(h) => h.clone(),
        RescoreSet::Dirty(limit) => tx
            .prepare_cached(tx.pick(
                "SELECT host FROM reputation_dirty ORDER BY rowid LIMIT ?1",
                "SELECT host FROM reputation_dirty ORDER BY seq LIMIT ?1 FOR UPDATE SKIP LOCKED",
            ))?
            .query_map([limit], |r| r.get(0))?
            .collect::<Result<_, _>>()?,
    };
    let mut stats = RescoreStats::default();
    let now = now_text();
    for host in &hosts {
        tx.prepare_cached("DELETE FROM reputation_dirty WHERE host = ?1")?
            .execute([host])?;
        let Some(ev) = host_evidence(&tx, host)? else {
            continue;
        };
        let scored = scorer(&ev);
        stats.neighbours_marked += save(&tx, host, &scored, &ev.pivot_keys(), version, &now)?;
        stats.scored += 1;
        stats.results.push(StoredReputation {
            host: host.clone(),
            score: scored.score,
            rules: scored.rules,
            base_malicious: scored.base_malicious,
            rules_version: version.to_string(),
            computed_at: super::time::parse(&now).unwrap_or_else(chrono::Utc::now),
            dirty: false,
        });
    }
    stats.remaining = tx.query_row("SELECT count(*) FROM reputation_dirty", (), |r| {
        r.get::<i64>(0)
    })? as u64;
    tx.commit()?;
    Ok(stats)
}

/// Saves one score and the host's pivot keys; marks neighbours dirty when the host's own
/// verdict flipped (all its keys) or, while malicious, its keys changed (the changed keys).
fn save(
    tx: &Conn<'_>,
    host: &str,
    scored: &crate::reputation::Scored,
    keys: &[(String, String)],
    version: &str,
    now: &str,
) -> StoreResult<u64> {
    let old_mal: bool = tx
        .prepare_cached("SELECT base_malicious FROM host_reputation WHERE host = ?1")?
        .query_row([host], |r| r.get(0))
        .optional()?
        .unwrap_or(false);
    let old_keys: BTreeSet<(String, String)> = tx
        .prepare_cached("SELECT kind, value FROM reputation_pivots WHERE host = ?1")?
        .query_map([host], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let new_keys: BTreeSet<(String, String)> = keys.iter().cloned().collect();
    tx.prepare_cached(
        "INSERT INTO host_reputation (host, score, base_malicious, rules, rules_version, computed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (host) DO UPDATE SET score = excluded.score, \
         base_malicious = excluded.base_malicious, rules = excluded.rules, \
         rules_version = excluded.rules_version, computed_at = excluded.computed_at",
    )?
    .execute(params![host, scored.score, scored.base_malicious, to_json(&scored.rules)?, version, now])?;
    tx.prepare_cached("DELETE FROM reputation_pivots WHERE host = ?1")?
        .execute([host])?;
    let mut ins = tx.prepare_cached(
        "INSERT OR IGNORE INTO reputation_pivots (kind, value, host, malicious) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (k, v) in &new_keys {
        ins.execute(params![k, v, host, scored.base_malicious])?;
    }
    let affected: Vec<&(String, String)> = if old_mal != scored.base_malicious {
        old_keys.union(&new_keys).collect()
    } else if scored.base_malicious {
        old_keys.symmetric_difference(&new_keys).collect()
    } else {
        Vec::new()
    };
    let mut mark = tx.prepare_cached(
        "INSERT OR IGNORE INTO reputation_dirty (host) \
         SELECT host FROM reputation_pivots WHERE kind = ?1 AND value = ?2 AND host <> ?3",
    )?;
    let mut marked = 0u64;
    for (k, v) in affected {
        marked += mark.execute(params![k, v, host])? as u64;
    }
    Ok(marked)
}

/// The stored reputation of a host.
pub fn stored(conn: &Conn<'_>, host: &str) -> StoreResult<Option<StoredReputation>> {
    let row = conn
        .prepare_cached(
            "SELECT score, base_malicious, rules, rules_version, computed_at, \
             EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = r.host) \
             FROM host_reputation r WHERE host = ?1",
        )?
        .query_row([host], |r| {
            Ok((
                r.get::<i32>(0)?,
                r.get::<bool>(1)?,
                r.get::<String>(2)?,
                r.get::<String>(3)?,
                col(r, 4)?,
                r.get::<bool>(5)?,
            ))
        })
        .optional()?;
    let Some((score, base_malicious, rules, rules_version, computed_at, dirty)) = row else {
        return Ok(None);
    };
    let rules: Vec<HostReputationRule> = serde_json::from_str(&rules)
        .map_err(|e| StoreError::Database(format!("stored reputation rules of {host}: {e}")))?;
    Ok(Some(StoredReputation {
        host: host.to_string(),
        score,
        rules,
        base_malicious,
        rules_version,
        computed_at: computed_at.unwrap_or_default(),
        dirty,
    }))
}

/// Marks the given hosts (or, with `None`, every host) dirty; returns how many were marked.
pub fn mark_dirty(conn: &Conn<'_>, hosts: Option<&[String]>) -> StoreResult<u64> {
    let tx = conn.transaction(true)?;
    let n = match hosts {
        None => tx.execute(
            "INSERT OR IGNORE INTO reputation_dirty (host) SELECT id FROM hosts",
            (),
        )?,
        Some(list) => {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO reputation_dirty (host) SELECT id FROM hosts WHERE id = ?1",
            )?;
            let mut n = 0;
            for h in list {
                n += stmt.execute([h])?;
            }
            n
        }
    };
    tx.commit()?;
    Ok(n as u64)
}

/// Replaces a list (all its entries) and marks the hosts matched by its old or new entries
/// dirty; returns how many hosts were marked.
pub fn replace_list(conn: &Conn<'_>, list: &ReputationList) -> StoreResult<u64> {
    let tx = conn.transaction(true)?;
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut ranges: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    {
        let mut old = tx.prepare("SELECT entry, lo, hi FROM reputation_lists WHERE list = ?1")?;
        let mut rows = old.query([&list.name])?;
        while let Some(r) = rows.next()? {
            match (r.get::<Option<Vec<u8>>>(1)?, r.get::<Option<Vec<u8>>>(2)?) {
                (Some(lo), Some(hi)) => ranges.push((lo, hi)),
                _ => {
                    names.insert(r.get(0)?);
                }
            }
        }
    }
    tx.execute("DELETE FROM reputation_lists WHERE list = ?1", [&list.name])?;
    {
        let mut ins = tx.prepare(
            "INSERT INTO reputation_lists (list, kind, source, entry, match, lo, hi) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (list, entry) DO UPDATE SET \
             kind = excluded.kind, source = excluded.source, match = excluded.match, \
             lo = excluded.lo, hi = excluded.hi",
        )?;
        for e in &list.entries {
            let (m, range) = match e {
                ListEntry::Domain(d) => {
                    names.insert(d.clone());
                    ("suffix", None)
                }
                ListEntry::Exact(d) => {
                    names.insert(d.clone());
                    ("exact", None)
                }
                ListEntry::Cidr { .. } => {
                    let r = e.range_bytes();
                    if let Some(r) = &r {
                        ranges.push(r.clone());
                    }
                    ("cidr", r)
                }
            };
            let (lo, hi) = range.unzip();
            ins.execute(params![
                list.name,
                list.kind.as_str(),
                list.source,
                e.text(),
                m,
                lo,
                hi
            ])?;
        }
    }
    // one pass over the hosts: mark those an old or new entry matches
    let mut marked = 0u64;
    {
        let mut all = tx.prepare("SELECT id FROM hosts")?;
        let mut mark =
            tx.prepare_cached("INSERT OR IGNORE INTO reputation_dirty (host) VALUES (?1)")?;
        let mut rows = all.query(())?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let hit = match id.parse::<IpAddr>() {
                Ok(ip) => {
                    let k = ip_key(ip);
                    ranges.iter().any(|(lo, hi)| *lo <= k && k <= *hi)
                }
                Err(_) => suffixes(&id).iter().any(|s| names.contains(*s)),
            };
            if hit {
                marked += mark.execute([&id])? as u64;
            }
        }
    }
    tx.commit()?;
    Ok(marked)
}

/// Stored lists with their sizes.
pub fn lists(conn: &Conn<'_>) -> StoreResult<Vec<ListSummary>> {
    let mut stmt = conn.prepare(
        "SELECT list, kind, source, count(*) FROM reputation_lists GROUP BY list, kind, source ORDER BY list",
    )?;
    let rows = stmt.query_map((), |r| {
        let kind: String = r.get(1)?;
        Ok(ListSummary {
            name: r.get(0)?,
            kind: if kind == "block" {
                ListKind::Block
            } else {
                ListKind::Allow
            },
            source: r.get(2)?,
            entries: u64::try_from(r.get::<i64>(3)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
