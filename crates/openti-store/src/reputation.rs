//! Stored host reputations: the types the store exchanges with the reputation engine.
//!
//! The store keeps one scored reputation per host, an index of the infrastructure each host
//! uses (its *pivot keys*, flagged with whether the host is malicious on its own evidence) and
//! a set of *dirty* hosts whose facts changed since they were last scored. Fact upserts mark
//! hosts dirty inside the batch's transaction; [`Store::rescore`](crate::Store::rescore)
//! evaluates hosts with a caller-supplied [`Scorer`] and saves the results in one write
//! transaction, marking the neighbours of a host whose own verdict flipped (so pivot rules
//! follow). The engine itself lives in `openti-analyze`; the store never knows the rules.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use openti_model::evidence::HostEvidence;
use openti_model::{ids, HostReputation, HostReputationClassification, HostReputationRule};

/// What a [`Scorer`] returns for one host.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Final score 0–100.
    pub score: i32,
    /// Rules that fired, in rule-file order.
    pub rules: Vec<HostReputationRule>,
    /// Whether the host is malicious on its own evidence (its score without pivot rules).
    /// Pivot rules of other hosts count only such hosts, so verdicts never feed on each other.
    pub base_malicious: bool,
}

/// Scores one host from its evidence (the reputation engine at a fixed time).
pub type Scorer = Arc<dyn Fn(&HostEvidence) -> Scored + Send + Sync>;

/// Which hosts [`Store::rescore`](crate::Store::rescore) evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RescoreSet {
    /// Up to this many dirty hosts (oldest marks first).
    Dirty(u32),
    /// These hosts (unknown ones are skipped).
    Hosts(Vec<String>),
}

/// A stored reputation.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReputation {
    /// Host id.
    pub host: String,
    /// Score 0–100.
    pub score: i32,
    /// Rules that fired.
    pub rules: Vec<HostReputationRule>,
    /// Malicious on its own evidence.
    pub base_malicious: bool,
    /// Version (digest) of the rule set that computed it.
    pub rules_version: String,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// Whether facts changed since (the host is waiting to be rescored).
    pub dirty: bool,
}

impl StoredReputation {
    /// The Graph `hostReputation` entity.
    pub fn to_entity(&self) -> HostReputation {
        HostReputation {
            id: ids::host_reputation(&self.host),
            classification: HostReputationClassification::from_score(self.score),
            score: self.score,
            rules: self.rules.clone(),
        }
    }
}

/// What one [`Store::rescore`](crate::Store::rescore) call did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RescoreStats {
    /// Hosts scored and saved.
    pub scored: u64,
    /// Neighbours newly marked dirty because a host's own verdict flipped.
    pub neighbours_marked: u64,
    /// Dirty hosts left after this call.
    pub remaining: u64,
    /// The saved reputations (in the order scored).
    pub results: Vec<StoredReputation>,
}
