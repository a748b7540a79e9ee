//! Passive DNS of a batch, aggregated before it is written.
//!
//! Resolvers repeat themselves: one batch of dnstap or COF input holds the same
//! (name, type, value) many times and the same few hosts in most lines. The batch's DNS
//! observations are first merged in memory into one row per passive DNS key, per host and per
//! subdomain (windows: min first, max last; counts add up), exactly as the database would
//! merge them, and only then written: one upsert per distinct row on SQLite, one
//! `INSERT … SELECT FROM unnest(…)` per table on PostgreSQL ([`crate::postgres::bulk`]).
//! Rows are kept in key order, so concurrent writers lock shared rows in the same order.

use std::collections::BTreeMap;

use openti_model::normalize::{is_ip_text, parent_domain_of_subdomain, registered_domain};
use openti_model::observation::record_value_is_host;

use super::write::{merge_window, MARK_HOST_DIRTY, UPSERT_HOST, UPSERT_SUBDOMAIN, W};
use crate::db::{params, Conn};
use crate::StoreResult;

/// A host row: whether it is an IP, its registered domain and the window to merge.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostRow {
    /// `hosts.is_ip`.
    pub is_ip: bool,
    /// `hosts.registered_domain` (kept from the first insert).
    pub registered_domain: Option<String>,
    /// First seen.
    pub first: Option<String>,
    /// Last seen.
    pub last: Option<String>,
    /// The registered domain this host is a subdomain of (its `subdomains` row).
    pub parent: Option<String>,
}

/// A passive DNS row: window and count, and the sensor of its newest sighting.
#[derive(Debug, Clone, Default)]
pub(crate) struct PdnsRow {
    /// Window and count.
    pub w: W,
    /// Sensor of the sighting with the latest last-seen time (`None`: no sensor named).
    pub sensor: Option<String>,
}

/// The aggregated DNS rows of one batch.
#[derive(Debug, Default)]
pub(crate) struct DnsRows {
    /// (host, type, value) → window, count and sensor.
    pub pdns: BTreeMap<(String, String, String), PdnsRow>,
    /// Host → row.
    pub hosts: BTreeMap<String, HostRow>,
}

fn min_opt(a: &mut Option<String>, b: &Option<String>) {
    if let Some(b) = b {
        if a.as_ref().is_none_or(|a| b < a) {
            *a = Some(b.clone());
        }
    }
}

fn max_opt(a: &mut Option<String>, b: &Option<String>) {
    if let Some(b) = b {
        if a.as_ref().is_none_or(|a| b > a) {
            *a = Some(b.clone());
        }
    }
}

impl DnsRows {
    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.pdns.is_empty()
    }

    /// Adds one DNS observation (already normalised).
    pub fn add(&mut self, name: &str, rtype: &str, value: &str, w: &W, sensor: Option<&str>) {
        self.host(name, w);
        if record_value_is_host(rtype) {
            self.host(value, w);
        }
        let e = self
            .pdns
            .entry((name.to_string(), rtype.to_string(), value.to_string()))
            .or_default();
        if let Some(s) = sensor {
            // the newest sighting names the sensor (ties: the later line)
            if e.sensor.is_none() || w.last >= e.w.last {
                e.sensor = Some(s.to_string());
            }
        }
        min_opt(&mut e.w.first, &w.first);
        max_opt(&mut e.w.last, &w.last);
        e.w.count = e.w.count.saturating_add(w.count);
    }

    /// A host and its registered domain (as `touch_host` derives them); its subdomain row
    /// follows from it ([`DnsRows::subdomains`]).
    fn host(&mut self, host: &str, w: &W) {
        if let Some(row) = self.hosts.get_mut(host) {
            min_opt(&mut row.first, &w.first);
            max_opt(&mut row.last, &w.last);
            return;
        }
        let is_ip = is_ip_text(host);
        let reg = if is_ip { None } else { registered_domain(host) };
        let parent = if is_ip {
            None
        } else {
            parent_domain_of_subdomain(host)
        };
        if let Some(domain) = &parent {
            self.host(domain, &W::none());
        }
        self.hosts.insert(
            host.to_string(),
            HostRow {
                is_ip,
                registered_domain: reg,
                first: w.first.clone(),
                last: w.last.clone(),
                parent,
            },
        );
    }

    /// The subdomain rows `(registered domain, subdomain, first seen)`, in subdomain order: a
    /// subdomain row is first seen when its host was (both take the minimum over the same
    /// sightings).
    pub fn subdomains(&self) -> impl Iterator<Item = (&str, &str, &Option<String>)> {
        self.hosts
            .iter()
            .filter_map(|(host, row)| Some((row.parent.as_deref()?, host.as_str(), &row.first)))
    }

    /// Writes the rows in the caller's transaction.
    pub fn write(&self, tx: &Conn<'_>, now: &str) -> StoreResult<()> {
        if self.is_empty() {
            return Ok(());
        }
        match tx {
            Conn::Postgres(c) => crate::postgres::bulk::write_dns(&mut c.borrow_mut(), self, now),
            Conn::Sqlite(_) => self.write_rows(tx, now),
        }
    }

    /// One upsert per row (SQLite: statements are in-process calls).
    fn write_rows(&self, tx: &Conn<'_>, now: &str) -> StoreResult<()> {
        let mut hosts = tx.prepare_cached(UPSERT_HOST)?;
        let mut dirty = tx.prepare_cached(MARK_HOST_DIRTY)?;
        for (id, h) in &self.hosts {
            hosts.execute(params![id, h.is_ip, h.first, h.last, h.registered_domain])?;
            dirty.execute(params![id])?;
        }
        let mut subs = tx.prepare_cached(UPSERT_SUBDOMAIN)?;
        for (domain, sub, first) in self.subdomains() {
            subs.execute(params![domain, sub, first])?;
        }
        let mut pdns = tx.prepare_cached(concat!(
            "INSERT INTO passive_dns (host, rtype, value, first_seen, last_seen, count, collected, sensor) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (host, rtype, value) DO UPDATE SET \
             count = count + excluded.count, \
             collected = max(coalesce(collected, excluded.collected), excluded.collected), \
             sensor = CASE WHEN excluded.sensor IS NOT NULL AND (sensor IS NULL OR last_seen IS NULL \
                 OR excluded.last_seen >= last_seen) THEN excluded.sensor ELSE sensor END, ",
            merge_window!()
        ))?;
        for ((host, rtype, value), r) in &self.pdns {
            let w = &r.w;
            pdns.execute(params![
                host, rtype, value, w.first, w.last, w.count, now, r.sensor
            ])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(first: &str, last: &str, count: i64) -> W {
        W {
            first: Some(first.into()),
            last: Some(last.into()),
            count,
        }
    }

    #[test]
    fn repeated_keys_merge_like_the_database() {
        let mut r = DnsRows::default();
        r.add(
            "www.a.test",
            "A",
            "192.0.2.1",
            &w("2024-03", "2024-04", 2),
            Some("s1"),
        );
        r.add(
            "www.a.test",
            "A",
            "192.0.2.1",
            &w("2024-01", "2024-02", 3),
            Some("s2"),
        );
        r.add(
            "www.a.test",
            "CNAME",
            "b.a.test",
            &w("2024-05", "2024-06", 1),
            None,
        );
        assert_eq!(r.pdns.len(), 2);
        let a = &r.pdns[&("www.a.test".into(), "A".into(), "192.0.2.1".into())];
        assert_eq!(
            (a.w.first.as_deref(), a.w.last.as_deref(), a.w.count),
            (Some("2024-01"), Some("2024-04"), 5)
        );
        assert_eq!(
            a.sensor.as_deref(),
            Some("s1"),
            "sensor of the newest sighting"
        );
        // names, the CNAME target and their registered domain
        assert_eq!(
            r.hosts.keys().collect::<Vec<_>>(),
            ["192.0.2.1", "a.test", "b.a.test", "www.a.test"]
        );
        assert_eq!(r.hosts["www.a.test"].first.as_deref(), Some("2024-01"));
        assert_eq!(r.hosts["www.a.test"].last.as_deref(), Some("2024-06"));
        assert_eq!(r.hosts["a.test"].first, None);
        assert_eq!(
            r.hosts["www.a.test"].registered_domain.as_deref(),
            Some("a.test")
        );
        assert_eq!(
            r.subdomains()
                .find(|(d, sub, _)| (*d, *sub) == ("a.test", "www.a.test"))
                .and_then(|(_, _, first)| first.as_deref()),
            Some("2024-01")
        );
        assert!(r.hosts["192.0.2.1"].is_ip, "A values are IP hosts");
    }
}
