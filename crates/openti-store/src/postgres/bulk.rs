//! The PostgreSQL batch path.

use crate::db::Conn;
use crate::{Batch, BatchOutcome, StoreResult};

/// Applies one batch in one transaction.
pub fn apply_batch(conn: &Conn<'_>, batch: &Batch) -> StoreResult<BatchOutcome> {
    crate::engine::write::apply_batch(conn, batch)
}
