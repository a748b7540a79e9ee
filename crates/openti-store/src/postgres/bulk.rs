//! Bulk writes on PostgreSQL: one `INSERT … SELECT FROM unnest($1::text[], …) ON CONFLICT DO
//! UPDATE` per table and batch instead of one round trip per row.
//!
//! The rows come aggregated and key-ordered from [`crate::engine::dns_rows`], so one
//! statement never meets the same key twice (which `ON CONFLICT DO UPDATE` refuses) and
//! concurrent batches lock shared rows in the same order. Updates that would not widen a
//! window are skipped by the `WHERE` of the upsert: popular hosts recur in most batches, and
//! leaving their rows alone saves a row version and a reputation trigger per batch.

use crate::db::PgConn;
use crate::engine::dns_rows::DnsRows;
use crate::StoreResult;

/// `t.col` widened by `excluded.col` (NULL-tolerant): `$f` is `least` (first seen) or
/// `greatest` (last seen).
macro_rules! widen {
    ($t:literal, $col:literal, $f:literal) => {
        concat!(
            $col,
            " = ",
            $f,
            "(coalesce(",
            $t,
            ".",
            $col,
            ", excluded.",
            $col,
            "), coalesce(excluded.",
            $col,
            ", ",
            $t,
            ".",
            $col,
            "))"
        )
    };
}

/// Whether `excluded` widens the window of `t`.
macro_rules! widens {
    ($t:literal) => {
        concat!(
            "(excluded.first_seen IS NOT NULL AND (",
            $t,
            ".first_seen IS NULL OR excluded.first_seen < ",
            $t,
            ".first_seen)) \
             OR (excluded.last_seen IS NOT NULL AND (",
            $t,
            ".last_seen IS NULL OR excluded.last_seen > ",
            $t,
            ".last_seen))"
        )
    };
}

const HOSTS: &str = concat!(
    "INSERT INTO hosts (id, is_ip, first_seen, last_seen, registered_domain) \
     SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[]) \
     ON CONFLICT (id) DO UPDATE SET ",
    widen!("hosts", "first_seen", "least"),
    ", ",
    widen!("hosts", "last_seen", "greatest"),
    " WHERE ",
    widens!("hosts")
);

const SUBDOMAINS: &str = "INSERT INTO subdomains (domain, sub, first_seen) \
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) \
     ON CONFLICT (domain, sub) DO UPDATE SET first_seen = excluded.first_seen \
     WHERE excluded.first_seen IS NOT NULL \
     AND (subdomains.first_seen IS NULL OR excluded.first_seen < subdomains.first_seen)";

const PASSIVE_DNS: &str = concat!(
    "INSERT INTO passive_dns (host, rtype, value, first_seen, last_seen, count, collected, sensor) \
     SELECT h, t, v, f, l, c, $7, s FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
     $6::int8[], $8::text[]) AS u(h, t, v, f, l, c, s) \
     ON CONFLICT (host, rtype, value) DO UPDATE SET count = passive_dns.count + excluded.count, \
     collected = greatest(passive_dns.collected, excluded.collected), \
     sensor = CASE WHEN excluded.sensor IS NOT NULL AND (passive_dns.sensor IS NULL \
         OR passive_dns.last_seen IS NULL OR excluded.last_seen >= passive_dns.last_seen) \
         THEN excluded.sensor ELSE passive_dns.sensor END, ",
    widen!("passive_dns", "first_seen", "least"),
    ", ",
    widen!("passive_dns", "last_seen", "greatest")
);

/// Writes the aggregated DNS rows of a batch in the open transaction.
pub(crate) fn write_dns(c: &mut PgConn, rows: &DnsRows, now: &str) -> StoreResult<()> {
    let n = rows.hosts.len();
    let (mut ids, mut is_ip, mut firsts, mut lasts, mut regs) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (id, h) in &rows.hosts {
        ids.push(id.as_str());
        is_ip.push(i64::from(h.is_ip));
        firsts.push(h.first.as_deref());
        lasts.push(h.last.as_deref());
        regs.push(h.registered_domain.as_deref());
    }
    c.execute_raw(HOSTS, &[&ids, &is_ip, &firsts, &lasts, &regs])?;

    let (mut domains, mut subs, mut firsts) = (Vec::new(), Vec::new(), Vec::new());
    for (d, s, f) in rows.subdomains() {
        domains.push(d);
        subs.push(s);
        firsts.push(f.as_deref());
    }
    if !domains.is_empty() {
        c.execute_raw(SUBDOMAINS, &[&domains, &subs, &firsts])?;
    }

    let n = rows.pdns.len();
    let (mut hosts, mut types, mut values) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut firsts, mut lasts, mut counts, mut sensors) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for ((h, t, v), r) in &rows.pdns {
        hosts.push(h.as_str());
        types.push(t.as_str());
        values.push(v.as_str());
        firsts.push(r.w.first.as_deref());
        lasts.push(r.w.last.as_deref());
        counts.push(r.w.count);
        sensors.push(r.sensor.as_deref());
    }
    c.execute_raw(
        PASSIVE_DNS,
        &[
            &hosts, &types, &values, &firsts, &lasts, &counts, &now, &sensors,
        ],
    )?;
    Ok(())
}
