//! Host ids in id order (keyset pages): all hosts (full rescoring) or IP-address hosts only
//! (enrichment).

use crate::db::{params, Conn};

use crate::StoreResult;

/// Up to `limit` ids of `ipAddress` hosts after `after` (exclusive), in id order.
pub(crate) fn ip_host_ids(c: &Conn<'_>, after: &str, limit: u32) -> StoreResult<Vec<String>> {
    ids_after(
        c,
        "SELECT id FROM hosts WHERE is_ip = 1 AND id > ?1 ORDER BY id LIMIT ?2",
        after,
        limit,
    )
}

/// Up to `limit` ids of hosts after `after` (exclusive), in id order.
pub(crate) fn host_ids(c: &Conn<'_>, after: &str, limit: u32) -> StoreResult<Vec<String>> {
    ids_after(
        c,
        "SELECT id FROM hosts WHERE id > ?1 ORDER BY id LIMIT ?2",
        after,
        limit,
    )
}

fn ids_after(c: &Conn<'_>, sql: &str, after: &str, limit: u32) -> StoreResult<Vec<String>> {
    let ids = c
        .prepare_cached(sql)?
        .query_map(params![after, limit], |r| r.get::<String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}
