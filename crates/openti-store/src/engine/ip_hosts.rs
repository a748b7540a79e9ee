//! Reads of IP-address hosts (for enrichment).

use crate::db::{params, Conn};

use crate::StoreResult;

/// Up to `limit` ids of `ipAddress` hosts after `after` (exclusive), in id order.
pub(crate) fn ip_host_ids(c: &Conn<'_>, after: &str, limit: u32) -> StoreResult<Vec<String>> {
    let mut st =
        c.prepare_cached("SELECT id FROM hosts WHERE is_ip = 1 AND id > ?1 ORDER BY id LIMIT ?2")?;
    let ids = st
        .query_map(params![after, limit], |r| r.get::<String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}
