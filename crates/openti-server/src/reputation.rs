//! Reputation scoring against the store: incremental recomputation of dirty hosts, the
//! on-demand score behind `hosts/{id}/reputation`, and the background task of `openti serve`.
//!
//! The store marks hosts dirty when facts they depend on change (inside each batch's
//! transaction); [`recompute_dirty`] scores them in chunks with the [`Engine`] and saves the
//! results, which marks the pivot neighbours of hosts whose own verdict flipped — those are
//! picked up by the next chunk. A stored score is served while it is fresh: not dirty, computed
//! by the same rule set and younger than [`MAX_AGE`] (time-based rules such as "newly
//! registered" decay); otherwise the host is rescored on request.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
pub use openti_analyze::reputation::{Engine, DEFAULT_RULES};
use openti_store::reputation::{RescoreSet, RescoreStats, Scored, Scorer, StoredReputation};
use openti_store::{Store, StoreResult};

/// A stored score older than this is recomputed when requested.
pub const MAX_AGE: chrono::Duration = chrono::Duration::hours(24);

/// Dirty hosts scored per write transaction.
pub const CHUNK: u32 = 500;

/// The store-facing scorer for `engine` at the current time.
pub fn scorer(engine: Arc<Engine>) -> Scorer {
    let now = Utc::now();
    Arc::new(move |ev| {
        let a = engine.evaluate(ev, now);
        Scored {
            score: a.reputation.score,
            rules: a.reputation.rules,
            base_malicious: a.base_malicious,
        }
    })
}

/// What a recomputation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Hosts scored.
    pub scored: u64,
    /// Pivot neighbours marked for rescoring along the way.
    pub neighbours: u64,
    /// Write transactions used.
    pub chunks: u64,
}

impl Summary {
    /// Rescores `set` in one write transaction and counts it; returns the store's figures.
    async fn chunk(
        &mut self,
        store: &dyn Store,
        engine: &Arc<Engine>,
        set: RescoreSet,
    ) -> StoreResult<RescoreStats> {
        let stats = store
            .rescore(set, scorer(Arc::clone(engine)), engine.version())
            .await?;
        self.scored += stats.scored;
        self.neighbours += stats.neighbours_marked;
        self.chunks += 1;
        Ok(stats)
    }
}

/// Scores dirty hosts until none are left (including neighbours marked on the way).
pub async fn recompute_dirty(store: &dyn Store, engine: &Arc<Engine>) -> StoreResult<Summary> {
    let mut sum = Summary::default();
    loop {
        let stats = sum.chunk(store, engine, RescoreSet::Dirty(CHUNK)).await?;
        // Every chunk removes the hosts it read; only verdict flips add neighbours, and a
        // neighbour's own verdict never depends on pivots, so this ends.
        if stats.remaining == 0 {
            return Ok(sum);
        }
    }
}

/// Rescores every host with this engine's rules, page by page in id order, then the
/// neighbours that marked dirty on the way. The hosts are named explicitly rather than taken
/// from the shared dirty queue, so another process's rescorer (with its own rules) cannot take
/// them first.
pub async fn recompute_all(store: &dyn Store, engine: &Arc<Engine>) -> StoreResult<Summary> {
    let mut sum = Summary::default();
    let mut after = String::new();
    loop {
        let ids = store.host_ids(&after, CHUNK).await?;
        let Some(last) = ids.last().cloned() else {
            break;
        };
        sum.chunk(store, engine, RescoreSet::Hosts(ids)).await?;
        after = last;
    }
    let rest = recompute_dirty(store, engine).await?;
    sum.scored += rest.scored;
    sum.neighbours += rest.neighbours;
    sum.chunks += rest.chunks;
    Ok(sum)
}

/// Whether a stored score can be served as is.
pub fn is_fresh(s: &StoredReputation, engine: &Engine) -> bool {
    !s.dirty && s.rules_version == engine.version() && Utc::now() - s.computed_at < MAX_AGE
}

/// The reputation of `host`: the stored score when fresh, else scored now (and stored).
/// `None` if the host is unknown.
pub async fn host_reputation(
    store: &dyn Store,
    engine: &Arc<Engine>,
    host: &str,
) -> StoreResult<Option<StoredReputation>> {
    if let Some(s) = store.stored_reputation(host).await? {
        if is_fresh(&s, engine) {
            return Ok(Some(s));
        }
    }
    let stats = store
        .rescore(
            RescoreSet::Hosts(vec![host.to_string()]),
            scorer(Arc::clone(engine)),
            engine.version(),
        )
        .await?;
    Ok(stats.results.into_iter().next())
}

/// Spawns the background task that rescores dirty hosts every `interval` (facts ingested
/// through the HTTP route or by another process writing the same database).
pub fn spawn_background(
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match recompute_dirty(store.as_ref(), &engine).await {
                Ok(s) if s.scored > 0 => tracing::debug!(
                    scored = s.scored,
                    neighbours = s.neighbours,
                    "reputation: rescored dirty hosts"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reputation: background rescoring failed"),
            }
        }
    })
}
