//! Per-fact passive DNS rows with their counts (for COF export; Graph JSON carries no counts).

use crate::db::{params, Conn};

use super::time;
use crate::{PassiveDnsFact, StoreError, StoreResult};

/// The forward passive DNS facts of `host` (already normalised), ordered by type and value.
pub fn passive_dns_facts(c: &Conn<'_>, host: &str) -> StoreResult<Vec<PassiveDnsFact>> {
    let db = |e: crate::db::Error| StoreError::Database(e.to_string());
    let mut st = c
        .prepare_cached(
            "SELECT host, rtype, value, first_seen, last_seen, count, sensor FROM passive_dns \
             WHERE host = ?1 ORDER BY rtype, value",
        )
        .map_err(db)?;
    let rows = st
        .query_map(params![host], |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                time::col(r, 3)?,
                time::col(r, 4)?,
                r.get::<i64>(5)?,
                r.get::<Option<String>>(6)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (name, rtype, value, first, last, count, sensor) = row.map_err(db)?;
        let (Some(first), Some(last)) = (first.or(last), last.or(first)) else {
            continue;
        };
        out.push(PassiveDnsFact {
            name,
            rtype,
            value,
            first,
            last,
            count: u64::try_from(count).unwrap_or(0),
            sensor,
        });
    }
    Ok(out)
}
