//! The store's logic, written once over [`crate::db::Conn`] and shared by both backends:
//! `write`/`write_intel`/`write_vuln` (batch aggregation), `dns_rows` (passive DNS merged per
//! batch before it is written), `read` (collections and single entities),
//! `render` (rows → Graph entities), `search` (`$search`, full text via `fts`), `extra`
//! (evidence, tokens, counts), `reputation` (scores, pivots, lists).
//!
//! A backend provides connections through [`Pool`]; [`impl_store!`](crate::impl_store)
//! implements [`crate::Store`] for it by running these functions on a blocking thread.

pub(crate) mod dns_rows;
pub(crate) mod extra;
pub(crate) mod fts;
pub(crate) mod ip_hosts;
pub(crate) mod odata;
pub(crate) mod pdns_facts;
pub(crate) mod read;
pub(crate) mod render;
pub(crate) mod reputation;
pub(crate) mod search;
pub(crate) mod time;
pub(crate) mod write;
pub(crate) mod write_intel;

pub use odata::explain;

use crate::db::Conn;
use crate::StoreResult;

/// A source of connections: `read` runs `f` on a connection suited to reads, `write` on one
/// that may write. Both run on the calling (blocking) thread.
pub trait Pool: Clone + Send + Sync + 'static {
    /// Runs `f` on a read connection.
    fn with_read<T>(&self, f: impl Fn(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T>;
    /// Runs `f` on a write connection; `f` is a whole transaction, which a backend may run
    /// again after a conflict with a concurrent writer.
    fn with_write<T>(&self, f: impl Fn(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T>;
    /// How many write transactions may usefully run at once (SQLite: one writer).
    fn write_parallelism(&self) -> usize {
        1
    }
}

/// Rescores on up to [`Pool::write_parallelism`] connections at once: a dirty queue is shared
/// (each worker takes its own hosts, PostgreSQL `FOR UPDATE SKIP LOCKED`), an explicit host
/// list is split. Statistics are summed; `remaining` is the smallest any worker saw last.
pub(crate) async fn rescore<P: Pool>(
    pool: &P,
    set: crate::reputation::RescoreSet,
    scorer: crate::reputation::Scorer,
    version: String,
) -> StoreResult<crate::reputation::RescoreStats> {
    use crate::reputation::{RescoreSet, RescoreStats};
    let n = pool.write_parallelism().max(1);
    let parts: Vec<RescoreSet> = match set {
        RescoreSet::Dirty(limit) if n > 1 && limit >= 2 * n as u32 => (0..n)
            .map(|_| RescoreSet::Dirty(limit / n as u32))
            .collect(),
        RescoreSet::Hosts(h) if n > 1 && h.len() >= 2 * n => h
            .chunks(h.len().div_ceil(n))
            .map(|c| RescoreSet::Hosts(c.to_vec()))
            .collect(),
        other => vec![other],
    };
    let mut tasks = Vec::new();
    for part in parts {
        let (scorer, version) = (std::sync::Arc::clone(&scorer), version.clone());
        tasks.push(tokio::spawn({
            let pool = pool.clone();
            async move {
                write(&pool, move |c| {
                    reputation::rescore(c, &part, &scorer, &version)
                })
                .await
            }
        }));
    }
    let mut total = RescoreStats {
        remaining: u64::MAX,
        ..RescoreStats::default()
    };
    for t in tasks {
        let s = t
            .await
            .map_err(|e| crate::StoreError::Database(format!("rescore task failed: {e}")))??;
        total.scored += s.scored;
        total.neighbours_marked += s.neighbours_marked;
        total.remaining = total.remaining.min(s.remaining);
        total.results.extend(s.results);
    }
    if total.remaining == u64::MAX {
        total.remaining = 0;
    }
    Ok(total)
}

/// Runs `f` on a read connection of `pool` on tokio's blocking pool.
pub(crate) async fn read<P, T, F>(pool: &P, f: F) -> StoreResult<T>
where
    P: Pool,
    T: Send + 'static,
    F: Fn(&Conn<'_>) -> StoreResult<T> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || pool.with_read(f))
        .await
        .map_err(|e| crate::StoreError::Database(format!("blocking task failed: {e}")))?
}

/// Runs `f` on a write connection of `pool` on tokio's blocking pool.
pub(crate) async fn write<P, T, F>(pool: &P, f: F) -> StoreResult<T>
where
    P: Pool,
    T: Send + 'static,
    F: Fn(&Conn<'_>) -> StoreResult<T> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || pool.with_write(f))
        .await
        .map_err(|e| crate::StoreError::Database(format!("blocking task failed: {e}")))?
}

/// Implements [`crate::Store`] for a [`Pool`] type by delegating every method to the shared
/// engine functions. `$batch` is the function applying a batch (backends may add a bulk path).
#[macro_export]
#[doc(hidden)]
macro_rules! impl_store {
    ($ty:ty, $batch:path) => {
        #[async_trait::async_trait]
        impl $crate::Store for $ty {
            async fn apply_batch(
                &self,
                batch: $crate::Batch,
            ) -> $crate::StoreResult<$crate::BatchOutcome> {
                // grouped and aggregated here, on the caller's thread: the writer only runs SQL
                let batch = $crate::engine::write::PreparedBatch::new(batch);
                $crate::engine::write(self, move |c| $batch(c, &batch)).await
            }

            async fn list(&self, query: &$crate::ListQuery) -> $crate::StoreResult<$crate::Page> {
                let q = query.clone();
                $crate::engine::read(self, move |c| $crate::engine::read::list(c, &q)).await
            }

            async fn get(
                &self,
                kind: $crate::EntityKind,
                id: &str,
            ) -> $crate::StoreResult<Option<serde_json::Value>> {
                let id = id.to_string();
                $crate::engine::read(self, move |c| $crate::engine::read::get(c, kind, &id)).await
            }

            async fn host_whois(
                &self,
                host: &str,
            ) -> $crate::StoreResult<Option<serde_json::Value>> {
                let host = host.to_string();
                $crate::engine::read(self, move |c| $crate::engine::read::whois_current(c, &host))
                    .await
            }

            async fn host_evidence(
                &self,
                host: &str,
            ) -> $crate::StoreResult<Option<openti_model::evidence::HostEvidence>> {
                let host = host.to_string();
                $crate::engine::read(self, move |c| {
                    $crate::engine::extra::host_evidence(c, &host)
                })
                .await
            }

            async fn rescore(
                &self,
                set: $crate::reputation::RescoreSet,
                scorer: $crate::reputation::Scorer,
                version: &str,
            ) -> $crate::StoreResult<$crate::reputation::RescoreStats> {
                $crate::engine::rescore(self, set, scorer, version.to_string()).await
            }

            async fn stored_reputation(
                &self,
                host: &str,
            ) -> $crate::StoreResult<Option<$crate::reputation::StoredReputation>> {
                let host = host.to_string();
                $crate::engine::read(self, move |c| $crate::engine::reputation::stored(c, &host))
                    .await
            }

            async fn mark_reputation_dirty(
                &self,
                hosts: Option<Vec<String>>,
            ) -> $crate::StoreResult<u64> {
                $crate::engine::write(self, move |c| {
                    $crate::engine::reputation::mark_dirty(c, hosts.as_deref())
                })
                .await
            }

            async fn replace_reputation_list(
                &self,
                list: &openti_model::lists::ReputationList,
            ) -> $crate::StoreResult<u64> {
                let list = list.clone();
                $crate::engine::write(self, move |c| {
                    $crate::engine::reputation::replace_list(c, &list)
                })
                .await
            }

            async fn reputation_lists(
                &self,
            ) -> $crate::StoreResult<Vec<openti_model::lists::ListSummary>> {
                $crate::engine::read(self, |c| $crate::engine::reputation::lists(c)).await
            }

            async fn create_token(
                &self,
                record: &$crate::TokenRecord,
                secret_sha256: &str,
            ) -> $crate::StoreResult<()> {
                let (record, secret) = (record.clone(), secret_sha256.to_string());
                $crate::engine::write(self, move |c| {
                    $crate::engine::extra::create_token(c, &record, &secret)
                })
                .await
            }

            async fn find_token(
                &self,
                secret_sha256: &str,
            ) -> $crate::StoreResult<Option<$crate::TokenRecord>> {
                let secret = secret_sha256.to_string();
                $crate::engine::read(self, move |c| $crate::engine::extra::find_token(c, &secret))
                    .await
            }

            async fn list_tokens(&self) -> $crate::StoreResult<Vec<$crate::TokenRecord>> {
                $crate::engine::read(self, |c| $crate::engine::extra::list_tokens(c)).await
            }

            async fn revoke_token(&self, id: &str) -> $crate::StoreResult<bool> {
                let id = id.to_string();
                $crate::engine::write(self, move |c| $crate::engine::extra::revoke_token(c, &id))
                    .await
            }

            async fn counts(&self) -> $crate::StoreResult<$crate::TableCounts> {
                $crate::engine::read(self, |c| $crate::engine::extra::counts(c)).await
            }

            async fn passive_dns_facts(
                &self,
                host: &str,
            ) -> $crate::StoreResult<Vec<$crate::PassiveDnsFact>> {
                let host = host.to_string();
                $crate::engine::read(self, move |c| {
                    $crate::engine::pdns_facts::passive_dns_facts(c, &host)
                })
                .await
            }

            async fn ip_host_ids(
                &self,
                after: &str,
                limit: u32,
            ) -> $crate::StoreResult<Vec<String>> {
                let after = after.to_string();
                $crate::engine::read(self, move |c| {
                    $crate::engine::ip_hosts::ip_host_ids(c, &after, limit)
                })
                .await
            }

            async fn host_ids(&self, after: &str, limit: u32) -> $crate::StoreResult<Vec<String>> {
                let after = after.to_string();
                $crate::engine::read(self, move |c| {
                    $crate::engine::ip_hosts::host_ids(c, &after, limit)
                })
                .await
            }

            async fn health(&self) -> $crate::StoreResult<()> {
                $crate::engine::read(self, |c| {
                    c.query_row("SELECT 1", (), |r| r.get::<i64>(0))?;
                    Ok(())
                })
                .await
            }
        }
    };
}
