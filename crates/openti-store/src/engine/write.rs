//! Batch aggregation: observation facts (DNS, components, trackers, cookies, host pairs,
//! certificates, ports, IP enrichment) merged with `INSERT … ON CONFLICT DO UPDATE`.
//!
//! Merging rules: first seen = min, last seen = max (NULL-tolerant), counts add up. Every fact
//! that names a host widens that host's window; every hostname below a registered domain adds
//! a `subdomains` row and makes the registered domain a host.

use crate::db::{params, Conn};
use openti_model::normalize::{is_ip_text, parent_domain_of_subdomain, registered_domain};
use openti_model::observation::CertName;
use openti_model::{Observation, PhysicalAddress, Seen, SslCertificateEntity};
use std::cell::RefCell;
use std::collections::HashMap;

use super::time::{now_text, opt_text, to_json, to_text};
use super::write_intel;

#[path = "write_vuln.rs"]
mod write_vuln;
use crate::{Batch, BatchOutcome, StoreResult};

/// SQL fragment merging `first_seen`/`last_seen` windows (NULL-tolerant min/max).
macro_rules! merge_window {
    () => {
        "first_seen = min(coalesce(first_seen, excluded.first_seen), coalesce(excluded.first_seen, first_seen)), \
         last_seen = max(coalesce(last_seen, excluded.last_seen), coalesce(excluded.last_seen, last_seen))"
    };
}
pub(super) use merge_window;

/// An observation window as stored text.
#[derive(Debug, Clone, Default)]
pub(crate) struct W {
    pub first: Option<String>,
    pub last: Option<String>,
    pub count: i64,
}

impl W {
    pub fn of(seen: &Seen) -> W {
        match seen.window() {
            Some(w) => W {
                first: Some(to_text(w.first)),
                last: Some(to_text(w.last)),
                count: i64::try_from(w.count).unwrap_or(i64::MAX),
            },
            None => W {
                first: None,
                last: None,
                count: i64::try_from(seen.count.unwrap_or(1).max(1)).unwrap_or(i64::MAX),
            },
        }
    }

    /// No times (a host named by an indicator, a registered domain derived from a subdomain).
    pub fn none() -> W {
        W {
            first: None,
            last: None,
            count: 0,
        }
    }
}

/// Host → a window (first, last) that its row is known to contain.
type Touched = HashMap<String, (Option<String>, Option<String>)>;

thread_local! {
    /// The hosts written by the batch that runs on this thread (see [`touch_host`]); `None`
    /// outside [`apply_batch`].
    static TOUCHED: RefCell<Option<Touched>> = const { RefCell::new(None) };
}

/// Enables the per-batch host memo for as long as it lives (dropped with the transaction,
/// committed or rolled back, so the memo never outlives the rows it describes).
struct TouchedScope;

impl TouchedScope {
    fn start() -> TouchedScope {
        TOUCHED.with(|t| *t.borrow_mut() = Some(HashMap::new()));
        TouchedScope
    }
}

impl Drop for TouchedScope {
    fn drop(&mut self) {
        TOUCHED.with(|t| *t.borrow_mut() = None);
    }
}

/// Whether this batch already wrote `host` with a window that covers `w`, so that upserting
/// it again would change nothing; otherwise records `w` for the next call.
fn already_covered(host: &str, w: &W) -> bool {
    TOUCHED.with(|t| {
        let mut t = t.borrow_mut();
        let Some(map) = t.as_mut() else {
            return false;
        };
        let Some((first, last)) = map.get_mut(host) else {
            map.insert(host.to_string(), (w.first.clone(), w.last.clone()));
            return false;
        };
        // Fixed-width UTC text: text order is time order.
        let first_ok = match (&w.first, &*first) {
            (None, _) => true,
            (Some(a), Some(b)) => a >= b,
            (Some(_), None) => false,
        };
        let last_ok = match (&w.last, &*last) {
            (None, _) => true,
            (Some(a), Some(b)) => a <= b,
            (Some(_), None) => false,
        };
        if first_ok && last_ok {
            return true;
        }
        // The row will hold at least the hull of both windows after this upsert.
        if !first_ok {
            *first = w.first.clone();
        }
        if !last_ok {
            *last = w.last.clone();
        }
        false
    })
}

/// A batch made ready for its transaction on the caller's thread, so that the writer only
/// runs SQL: its passive DNS aggregated into rows ([`DnsRows`](super::dns_rows::DnsRows),
/// windows as stored text), its other observations grouped in input order.
#[derive(Debug)]
pub struct PreparedBatch {
    key: Option<String>,
    len: usize,
    /// The facts other than passive DNS: those that only merge (upserts) first, then those
    /// that read or update what is stored (IP enrichment, WHOIS history, intelligence), each
    /// group in input order.
    ordered: Vec<Observation>,
    dns: super::dns_rows::DnsRows,
}

impl PreparedBatch {
    /// Groups and aggregates a batch (CPU only, no database).
    pub fn new(batch: Batch) -> PreparedBatch {
        let len = batch.observations.len();
        let (mut merges, mut later) = (Vec::new(), Vec::new());
        let mut dns = super::dns_rows::DnsRows::default();
        for o in batch.observations {
            match o {
                Observation::Dns {
                    ref name,
                    ref record_type,
                    ref value,
                    ref sensor,
                    ref seen,
                } => dns.add(name, record_type, value, &W::of(seen), sensor.as_deref()),
                Observation::Component { .. }
                | Observation::Tracker { .. }
                | Observation::Cookie { .. }
                | Observation::HostPair { .. }
                | Observation::Certificate { .. }
                | Observation::Port { .. } => merges.push(o),
                _ => later.push(o),
            }
        }
        merges.append(&mut later);
        PreparedBatch {
            key: batch.key,
            len,
            ordered: merges,
            dns,
        }
    }
}

/// Applies one batch in one transaction.
pub fn apply_batch(conn: &Conn<'_>, batch: &PreparedBatch) -> StoreResult<BatchOutcome> {
    let _touched = TouchedScope::start();
    let tx = conn.transaction(true)?;
    let now = now_text();
    if !claim_batch_key(&tx, batch.key.as_deref(), batch.len, &now)? {
        return Ok(BatchOutcome::AlreadyApplied);
    }
    // Facts that only merge (upserts) first, then those that read or update what is stored,
    // each group in input order; passive DNS last, aggregated. Merges commute, so the result
    // is the input order's; grouping lets a PostgreSQL connection send each group's upserts
    // as few multi-row statements.
    for o in &batch.ordered {
        apply_one(&tx, o)?;
    }
    batch.dns.write(&tx, &now)?;
    tx.commit()?;
    Ok(BatchOutcome::Applied(batch.len))
}

/// Records the batch key first, inside the batch's transaction: `false` when another
/// transaction already applied it. A concurrent transaction inserting the same key waits on
/// the key's unique index until this one ends, then finds it, so a batch is applied exactly
/// once even when two processes ingest the same file at the same time.
pub(crate) fn claim_batch_key(
    tx: &Conn<'_>,
    key: Option<&str>,
    observations: usize,
    now: &str,
) -> StoreResult<bool> {
    let Some(key) = key else {
        return Ok(true);
    };
    let n = tx
        .prepare_cached(
            "INSERT INTO ingest_batches (key, applied_at, observations) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key) DO NOTHING",
        )?
        .execute(params![key, now, observations as i64])?;
    Ok(n == 1)
}

fn apply_one(tx: &Conn<'_>, o: &Observation) -> StoreResult<()> {
    match o {
        // aggregated per batch in apply_batch (see dns_rows)
        Observation::Dns { .. } => Ok(()),
        Observation::Component {
            host,
            component,
            seen,
        } => {
            let w = W::of(seen);
            touch_host(tx, host, &w)?;
            tx.prepare_cached(concat!(
                "INSERT INTO components (host, name, version, category, first_seen, last_seen, count) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (host, name, version, category) DO UPDATE SET ",
                merge_window!(),
                ", count = count + excluded.count"
            ))?
            .execute(params![host, component.name, component.version, component.category, w.first, w.last, w.count])?;
            Ok(())
        }
        Observation::Tracker {
            host,
            tracker_kind,
            value,
            seen,
        } => {
            let w = W::of(seen);
            touch_host(tx, host, &w)?;
            tx.prepare_cached(concat!(
                "INSERT INTO trackers (host, kind, value, first_seen, last_seen, count) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (host, kind, value) DO UPDATE SET ",
                merge_window!(),
                ", count = count + excluded.count"
            ))?
            .execute(params![host, tracker_kind, value, w.first, w.last, w.count])?;
            Ok(())
        }
        Observation::Cookie {
            host,
            name,
            domain,
            seen,
        } => {
            let w = W::of(seen);
            touch_host(tx, host, &w)?;
            tx.prepare_cached(concat!(
                "INSERT INTO cookies (host, name, domain, first_seen, last_seen, count) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (host, name, domain) DO UPDATE SET ",
                merge_window!(),
                ", count = count + excluded.count"
            ))?
            .execute(params![host, name, domain, w.first, w.last, w.count])?;
            Ok(())
        }
        Observation::HostPair {
            parent,
            child,
            link_kind,
            seen,
        } => {
            let w = W::of(seen);
            touch_host(tx, parent, &w)?;
            touch_host(tx, child, &w)?;
            tx.prepare_cached(concat!(
                "INSERT INTO host_pairs (parent, child, link_kind, first_seen, last_seen, count) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (parent, child, link_kind) DO UPDATE SET ",
                merge_window!(),
                ", count = count + excluded.count"
            ))?
            .execute(params![parent, child, link_kind, w.first, w.last, w.count])?;
            Ok(())
        }
        Observation::Certificate {
            host,
            port,
            sha1,
            fingerprint,
            serial_number,
            issued,
            expires,
            issuer,
            subject,
            seen,
        } => {
            let w = W::of(seen);
            let issuer = cert_entity_json(issuer)?;
            let subject = cert_entity_json(subject)?;
            tx.prepare_cached(concat!(
                "INSERT INTO certificates (sha1, fingerprint, serial, issued, expires, issuer, subject, \
                 first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (sha1) DO UPDATE SET fingerprint = coalesce(excluded.fingerprint, fingerprint), \
                 serial = coalesce(excluded.serial, serial), issued = coalesce(excluded.issued, issued), \
                 expires = coalesce(excluded.expires, expires), issuer = coalesce(excluded.issuer, issuer), \
                 subject = coalesce(excluded.subject, subject), count = count + excluded.count, ",
                merge_window!()
            ))?
            .execute(params![
                sha1,
                fingerprint,
                serial_number,
                opt_text(*issued),
                opt_text(*expires),
                issuer,
                subject,
                w.first,
                w.last,
                w.count
            ])?;
            if let Some(h) = host {
                touch_host(tx, h, &w)?;
                host_certificate(tx, h, sha1, port.unwrap_or(443), &w)?;
            }
            Ok(())
        }
        Observation::Port {
            host,
            port,
            protocol,
            status,
            banner,
            scan_protocol,
            services,
            certificate_sha1,
            seen,
        } => {
            let w = W::of(seen);
            let protocol = protocol.map(|p| p.as_str()).unwrap_or("tcp");
            let status = status.map(|s| s.as_str()).unwrap_or("open");
            touch_host(tx, host, &w)?;
            let cert_time = certificate_sha1.as_ref().and(w.last.clone());
            tx.prepare_cached(concat!(
                "INSERT INTO ports (host, port, protocol, status, status_time, times_observed, first_seen, last_seen, \
                 last_scan, recent_cert_sha1, recent_cert_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 ON CONFLICT (host, port, protocol) DO UPDATE SET \
                 status = CASE WHEN status_time IS NULL OR excluded.status_time >= status_time \
                     THEN excluded.status ELSE status END, \
                 status_time = max(coalesce(status_time, excluded.status_time), coalesce(excluded.status_time, status_time)), \
                 times_observed = times_observed + excluded.times_observed, \
                 last_scan = max(coalesce(last_scan, excluded.last_scan), coalesce(excluded.last_scan, last_scan)), \
                 recent_cert_sha1 = CASE WHEN excluded.recent_cert_sha1 IS NOT NULL AND (recent_cert_time IS NULL \
                     OR excluded.recent_cert_time >= recent_cert_time) THEN excluded.recent_cert_sha1 ELSE recent_cert_sha1 END, \
                 recent_cert_time = CASE WHEN excluded.recent_cert_sha1 IS NOT NULL AND (recent_cert_time IS NULL \
                     OR excluded.recent_cert_time >= recent_cert_time) THEN excluded.recent_cert_time ELSE recent_cert_time END, ",
                merge_window!()
            ))?
            .execute(params![
                host,
                port,
                protocol,
                status,
                w.last,
                w.count,
                w.first,
                w.last,
                w.last,
                certificate_sha1,
                cert_time
            ])?;
            if let Some(b) = banner {
                tx.prepare_cached(concat!(
                    "INSERT INTO port_banners (host, port, protocol, banner, scan_protocol, times, first_seen, last_seen) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (host, port, protocol, banner) DO UPDATE SET \
                     scan_protocol = coalesce(excluded.scan_protocol, scan_protocol), times = times + excluded.times, ",
                    merge_window!()
                ))?
                .execute(params![host, port, protocol, b, scan_protocol, w.count, w.first, w.last])?;
            }
            for s in services {
                tx.prepare_cached(concat!(
                    "INSERT INTO port_services (host, port, protocol, name, version, category, first_seen, last_seen) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (host, port, protocol, name, version, category) DO UPDATE SET ",
                    merge_window!()
                ))?
                .execute(params![host, port, protocol, s.name, s.version, s.category, w.first, w.last])?;
            }
            if let Some(sha1) = certificate_sha1 {
                tx.prepare_cached(concat!(
                    "INSERT INTO certificates (sha1, first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (sha1) DO UPDATE SET count = count + excluded.count, ",
                    merge_window!()
                ))?
                .execute(params![sha1, w.first, w.last, w.count])?;
                host_certificate(tx, host, sha1, *port, &w)?;
            }
            Ok(())
        }
        Observation::Ip {
            ip,
            asn,
            as_name,
            as_organization,
            netblock,
            country,
            hosting_provider,
            seen,
        } => {
            let w = W::of(seen);
            touch_host(tx, ip, &w)?;
            tx.prepare_cached(
                "UPDATE hosts SET asn = coalesce(?2, asn), as_name = coalesce(?3, as_name), \
                 as_org = coalesce(?4, as_org), netblock = coalesce(?5, netblock), country = coalesce(?6, country), \
                 hosting_provider = coalesce(?7, hosting_provider), enriched_at = ?8 \
                 WHERE id = ?1 AND (enriched_at IS NULL OR CAST(?8 AS TEXT) IS NULL OR ?8 >= enriched_at)",
            )?
            .execute(params![ip, asn, as_name, as_organization, netblock, country, hosting_provider, w.last])?;
            Ok(())
        }
        Observation::Whois { .. } => write_intel::whois(tx, o),
        Observation::Article { .. } => write_intel::article(tx, o),
        Observation::IntelProfile { .. } => write_intel::profile(tx, o),
        Observation::Indicator { .. } => write_intel::indicator(tx, o),
        Observation::Vulnerability { .. } => write_intel::vulnerability(tx, o),
        Observation::VulnerabilityUpdate(u) => write_vuln::vulnerability_update(tx, u),
    }
}

fn host_certificate(tx: &Conn<'_>, host: &str, sha1: &str, port: u16, w: &W) -> StoreResult<()> {
    tx.prepare_cached(concat!(
        "INSERT INTO host_certificates (host, sha1, port, first_seen, last_seen, count) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (host, sha1, port) DO UPDATE SET count = count + excluded.count, ",
        merge_window!()
    ))?
    .execute(params![host, sha1, port, w.first, w.last, w.count])?;
    Ok(())
}

/// Upsert of a host row (`id, is_ip, first_seen, last_seen, registered_domain`), widening its
/// window; `registered_domain` is kept from the first insert.
pub(crate) const UPSERT_HOST: &str = concat!(
    "INSERT INTO hosts (id, is_ip, first_seen, last_seen, registered_domain) VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (id) DO UPDATE SET ",
    merge_window!()
);

/// Upsert of a subdomain row (`domain, sub, first_seen`), keeping the earliest first seen.
pub(crate) const UPSERT_SUBDOMAIN: &str = "INSERT INTO subdomains (domain, sub, first_seen) VALUES (?1, ?2, ?3) \
     ON CONFLICT (domain, sub) DO UPDATE SET \
     first_seen = min(coalesce(first_seen, excluded.first_seen), coalesce(excluded.first_seen, first_seen))";

/// Marks a host just written for rescoring. On SQLite the writer does it (migration 8 replaced
/// the per-row triggers, which cost more than the upserts they followed); PostgreSQL's
/// triggers still do it there.
pub(crate) fn mark_host_dirty(tx: &Conn<'_>, host: &str) -> StoreResult<()> {
    if let Conn::Sqlite(_) = tx {
        tx.prepare_cached(MARK_HOST_DIRTY)?.execute(params![host])?;
    }
    Ok(())
}

/// SQLite: marks host `?1` for rescoring (see [`mark_host_dirty`]).
pub(crate) const MARK_HOST_DIRTY: &str =
    "INSERT INTO reputation_dirty (host) VALUES (?1) ON CONFLICT (host) DO NOTHING";

/// Upserts a host and widens its window; derives its subdomain row and registered-domain host.
///
/// Within a batch, a host whose row already covers `w` (written earlier in the same
/// transaction) is skipped: popular hosts and registered domains recur in most batches, and
/// the upserts they would cost change nothing.
pub(crate) fn touch_host(tx: &Conn<'_>, host: &str, w: &W) -> StoreResult<()> {
    if already_covered(host, w) {
        return Ok(());
    }
    let is_ip = is_ip_text(host);
    let reg = if is_ip { None } else { registered_domain(host) };
    tx.prepare_cached(UPSERT_HOST)?
        .execute(params![host, is_ip, w.first, w.last, reg])?;
    mark_host_dirty(tx, host)?;
    if !is_ip {
        if let Some(domain) = parent_domain_of_subdomain(host) {
            tx.prepare_cached(UPSERT_SUBDOMAIN)?
                .execute(params![domain, host, w.first])?;
            touch_host(tx, &domain, &W::none())?;
        }
    }
    Ok(())
}

/// Graph-shaped JSON of a certificate name; `None` when the observation carried nothing.
fn cert_entity_json(n: &CertName) -> StoreResult<Option<String>> {
    if *n == CertName::default() {
        return Ok(None);
    }
    let address = PhysicalAddress {
        city: n.city.clone(),
        country_or_region: n.country.clone(),
        postal_code: n.postal_code.clone(),
        state: n.state.clone(),
        street: n.street.clone(),
    };
    let e = SslCertificateEntity {
        common_name: n.common_name.clone(),
        alternate_names: n.alternate_names.clone(),
        email: n.email.clone(),
        given_name: n.given_name.clone(),
        surname: n.surname.clone(),
        organization_name: n.organization_name.clone(),
        organization_unit_name: n.organization_unit_name.clone(),
        serial_number: n.serial_number.clone(),
        address: (!address.is_empty()).then_some(address),
    };
    to_json(&e).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(name: &str, first: &str, last: &str) -> Observation {
        serde_json::from_value(serde_json::json!({
            "kind": "dns", "name": name, "type": "A", "value": "192.0.2.1",
            "first_seen": first, "last_seen": last,
        }))
        .unwrap()
    }

    fn window(c: &Conn<'_>, table: &str, key: &str, host: &str) -> (String, Option<String>) {
        let cols = if table == "hosts" {
            "first_seen, last_seen"
        } else {
            "first_seen, NULL"
        };
        c.query_row(
            &format!("SELECT {cols} FROM {table} WHERE {key} = ?1"),
            [host],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    #[test]
    fn the_host_memo_skips_only_covered_windows_and_dies_with_its_batch() {
        let mut raw = rusqlite::Connection::open_in_memory().unwrap();
        crate::sqlite::migrations::migrate(&mut raw).unwrap();
        let c = Conn::Sqlite(&raw);
        let prepared = |obs: Vec<Observation>| {
            PreparedBatch::new(Batch {
                key: None,
                observations: obs,
            })
        };
        apply_batch(
            &c,
            &prepared(vec![
                dns("www.a.test", "2024-03-01T00:00:00Z", "2024-06-01T00:00:00Z"),
                dns("www.a.test", "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z"),
                dns("www.a.test", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
            ]),
        )
        .unwrap();
        let (first, last) = window(&c, "hosts", "id", "www.a.test");
        assert_eq!(first, "2024-01-01T00:00:00.000Z");
        assert_eq!(last.as_deref(), Some("2024-06-01T00:00:00.000Z"));
        let (sub_first, _) = window(&c, "subdomains", "sub", "www.a.test");
        assert_eq!(sub_first, "2024-01-01T00:00:00.000Z");
        // A failing batch rolls back; the next batch must not trust what the failed one wrote.
        let bad: Observation = serde_json::from_value(serde_json::json!({
            "kind": "certificate", "sha1": "00", "host": "new.b.test", "time": "2024-01-01T00:00:00Z"
        }))
        .unwrap();
        let new = || dns("new.b.test", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z");
        assert!(apply_batch(&c, &prepared(vec![new(), bad])).is_err());
        apply_batch(&c, &prepared(vec![new()])).unwrap();
        let (first, _) = window(&c, "hosts", "id", "new.b.test");
        assert_eq!(first, "2024-01-01T00:00:00.000Z");
    }
}
