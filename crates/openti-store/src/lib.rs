//! The store: one [`Store`] trait with two backends, embedded SQLite ([`SqliteStore`], the
//! default) and PostgreSQL ([`PgStore`]), both running the same logic ([`engine`]) over one
//! connection interface ([`db`]). Both pass one shared contract test suite.
//!
//! The store is the only place that speaks SQL. It receives normalised
//! [`Observation`]s in batches and aggregates them into Graph entities (first seen = min,
//! last seen = max, counts add up), maintaining the derived facts: host first/last seen over
//! all its facts, subdomains under each registered domain, reverse passive DNS, a hostname's
//! registrar/registrant from its newest WHOIS, and WHOIS history.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use openti_model::evidence::HostEvidence;
use openti_model::*;
use serde_json::Value;

pub mod db;
#[doc(hidden)]
pub mod engine;
mod item;
pub mod postgres;
pub mod query;
pub mod reputation;
pub mod sqlite;

pub(crate) use item::IntoItem;
pub use item::Item;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// The query asked for something the store cannot answer (bad cursor, bad search field…).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A transaction lost a conflict with a concurrent one (deadlock, serialization
    /// failure); running it again may succeed.
    #[error("database conflict (retry): {0}")]
    Conflict(String),
    /// The database cannot be reached (yet).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Opening or migrating the database failed.
    #[error("cannot open database {path}: {message}")]
    Open {
        /// Path or URL.
        path: String,
        /// Why.
        message: String,
    },
}

/// Result alias.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which hosts of a pair a host-pair listing matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairRole {
    /// The host is the parent (`childHostPairs`).
    Parent,
    /// The host is the child (`parentHostPairs`).
    Child,
    /// Either (`hostPairs`).
    Either,
}

/// Entity set plus the restriction that a Graph path puts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `/articles`.
    Articles,
    /// `/articleIndicators` or `/articles/{id}/indicators`.
    ArticleIndicators { article: Option<String> },
    /// `/intelProfiles`.
    IntelProfiles,
    /// `/intelligenceProfileIndicators` or `/intelProfiles/{id}/indicators`.
    ProfileIndicators { profile: Option<String> },
    /// `/hosts`.
    Hosts,
    /// `/hostComponents` or `/hosts/{id}/components`.
    HostComponents { host: Option<String> },
    /// `/hostCookies` or `/hosts/{id}/cookies`.
    HostCookies { host: Option<String> },
    /// `/hostTrackers` or `/hosts/{id}/trackers`.
    HostTrackers { host: Option<String> },
    /// `/hostPorts` or `/hosts/{id}/ports`.
    HostPorts { host: Option<String> },
    /// `/hostSslCertificates` or `/hosts/{id}/sslCertificates`.
    HostSslCertificates { host: Option<String> },
    /// `/hostPairs` or `/hosts/{id}/{child,parent,}HostPairs`.
    HostPairs {
        host: Option<String>,
        role: PairRole,
    },
    /// `/passiveDnsRecords` or `/hosts/{id}/passiveDns` (forward).
    PassiveDns { host: Option<String> },
    /// `/hosts/{id}/passiveDnsReverse`.
    PassiveDnsReverse { host: String },
    /// `/subdomains` or `/hosts/{id}/subdomains`.
    Subdomains { host: Option<String> },
    /// `/sslCertificates`.
    SslCertificates,
    /// `/sslCertificates/{id}/relatedHosts`.
    CertificateHosts { certificate: String },
    /// `/vulnerabilities`.
    Vulnerabilities,
    /// `/vulnerabilities/{id}/components`.
    VulnerabilityComponents { cve: String },
    /// `/vulnerabilities/{id}/articles`.
    VulnerabilityArticles { cve: String },
    /// `/whoisRecords`.
    WhoisRecords,
    /// `/whoisHistoryRecords`, `/whoisRecords/{id}/history`, `/hosts/{id}/whois/history`
    /// (`record` is a whoisRecord id, `host` a host id).
    WhoisHistory {
        record: Option<String>,
        host: Option<String>,
    },
}

/// A `$search` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Free text (articles, intel profiles): every term must occur.
    Text(String),
    /// Graph's `"path:value"` form (sslCertificates, whoisRecords): the field at `path`
    /// equals `value` (case-insensitive).
    Property {
        /// Path such as `subject/commonName`, `registrant/email`, `nameservers/host/id`.
        path: String,
        /// Value.
        value: String,
    },
}

/// A collection request: scope, search, paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// What to list.
    pub scope: Scope,
    /// `$search`.
    pub search: Option<Search>,
    /// `$top` (already clamped by the caller to the maximum page size).
    pub top: u32,
    /// `$skip`.
    pub skip: u64,
    /// Whether to compute the total (`$count=true`).
    pub count: bool,
    /// `$filter`, validated against the scope's entity type (`None`: no restriction).
    pub filter: Option<openti_odata::Filter>,
    /// `$orderby` keys, applied before the scope's default order (`None`: default order only).
    pub orderby: Option<Vec<openti_odata::OrderKey>>,
    /// Keyset cursor from a `$skiptoken` (`None`: from the start, `skip` rows skipped).
    pub cursor: Option<openti_odata::Cursor>,
}

impl ListQuery {
    /// A query for the first page (default page size 100) of `scope`, without options.
    pub fn new(scope: Scope) -> Self {
        ListQuery {
            scope,
            search: None,
            top: 100,
            skip: 0,
            count: false,
            filter: None,
            orderby: None,
            cursor: None,
        }
    }
}

impl Scope {
    /// The key of this collection's query rules in [`openti_odata::rules`] (its endpoint).
    pub fn endpoint(&self) -> &'static str {
        match self {
            Scope::Articles => "articles",
            Scope::ArticleIndicators { .. } => "articleIndicators",
            Scope::IntelProfiles => "intelProfiles",
            Scope::ProfileIndicators { .. } => "intelligenceProfileIndicators",
            Scope::Hosts => "hosts",
            Scope::HostComponents { .. } => "hostComponents",
            Scope::HostCookies { .. } => "hostCookies",
            Scope::HostTrackers { .. } => "hostTrackers",
            Scope::HostPorts { .. } => "hostPorts",
            Scope::HostSslCertificates { .. } => "hostSslCertificates",
            Scope::HostPairs { .. } => "hostPairs",
            Scope::PassiveDns { .. } => "passiveDnsRecords",
            Scope::PassiveDnsReverse { .. } => "passiveDnsReverse",
            Scope::Subdomains { .. } => "subdomains",
            Scope::SslCertificates => "sslCertificates",
            Scope::CertificateHosts { .. } => "relatedHosts",
            Scope::Vulnerabilities => "vulnerabilities",
            Scope::VulnerabilityComponents { .. } => "vulnerabilityComponents",
            Scope::VulnerabilityArticles { .. } => "vulnerabilityArticles",
            Scope::WhoisRecords => "whoisRecords",
            Scope::WhoisHistory { .. } => "whoisHistoryRecords",
        }
    }
}

/// One page of a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The entities, each rendered as Graph JSON text (with `@odata.type`).
    pub items: Vec<Item>,
    /// Total over the whole collection, when requested.
    pub total: Option<u64>,
    /// Whether rows follow this page.
    pub more: bool,
    /// When rows follow: the keyset cursor of the last row (the next page's `$skiptoken`).
    pub cursor: Option<openti_odata::Cursor>,
}

impl Page {
    /// The entities as JSON trees.
    pub fn values(&self) -> Vec<Value> {
        self.items.iter().map(Item::to_value).collect()
    }
}

/// Addressable single entities (`/{set}/{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// article
    Article,
    /// articleIndicator
    ArticleIndicator,
    /// intelligenceProfile
    IntelProfile,
    /// intelligenceProfileIndicator
    ProfileIndicator,
    /// host (hostname / ipAddress)
    Host,
    /// hostComponent
    HostComponent,
    /// hostCookie
    HostCookie,
    /// hostTracker
    HostTracker,
    /// hostPort
    HostPort,
    /// hostSslCertificate
    HostSslCertificate,
    /// hostPair
    HostPair,
    /// passiveDnsRecord (forward or reverse id)
    PassiveDnsRecord,
    /// subdomain
    Subdomain,
    /// sslCertificate
    SslCertificate,
    /// vulnerability
    Vulnerability,
    /// vulnerabilityComponent
    VulnerabilityComponent,
    /// whoisRecord
    WhoisRecord,
    /// whoisHistoryRecord
    WhoisHistoryRecord,
}

/// A batch of normalised observations from one input.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Identity of this batch within its input (`sha256-of-input:batch-size:index`), recorded in
    /// the same transaction as its rows so a repeated or resumed run skips it. `None` for
    /// observations that carry no replay identity (they are always applied).
    pub key: Option<String>,
    /// The observations (already normalised).
    pub observations: Vec<Observation>,
}

/// What happened to a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Applied: this many observations were merged.
    Applied(usize),
    /// Its key was already recorded: nothing was written.
    AlreadyApplied,
}

/// A stored API token (only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Token id (short, printable).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Permission, e.g. `ThreatIntelligence.Read.All`.
    pub permission: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// Expiry.
    pub expires: Option<DateTime<Utc>>,
    /// Revoked at.
    pub revoked: Option<DateTime<Utc>>,
}

/// One forward passive-DNS fact with its count (for exports such as COF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassiveDnsFact {
    /// Owner name (the host).
    pub name: String,
    /// RR type.
    pub rtype: String,
    /// Stored value.
    pub value: String,
    /// First seen.
    pub first: DateTime<Utc>,
    /// Last seen.
    pub last: DateTime<Utc>,
    /// Sightings.
    pub count: u64,
    /// Sensor that saw it, when the backend keeps one (SQLite does not yet).
    pub sensor: Option<String>,
}

/// Row counts per table (for summaries, health and tests).
pub type TableCounts = Vec<(String, u64)>;

/// The storage contract. Every backend implements it; one contract test suite runs against
/// every backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Merges a batch in one transaction (all or nothing), recording its key.
    async fn apply_batch(&self, batch: Batch) -> StoreResult<BatchOutcome>;

    /// One page of a collection.
    async fn list(&self, query: &ListQuery) -> StoreResult<Page>;

    /// One entity by id, rendered as Graph JSON; `None` if unknown. For `EntityKind::Host` the
    /// id is a host name or IP (normalised by the caller).
    async fn get(&self, kind: EntityKind, id: &str) -> StoreResult<Option<Value>>;

    /// The current WHOIS record of a host (`/hosts/{id}/whois`).
    async fn host_whois(&self, host: &str) -> StoreResult<Option<Value>>;

    /// Facts about one host for the reputation engine; `None` if the host is unknown.
    async fn host_evidence(&self, host: &str) -> StoreResult<Option<HostEvidence>>;

    /// Scores `set` with `scorer` and saves the results (score, rules, pivot keys) in one
    /// write transaction; scored hosts leave the dirty set, and the neighbours of a host whose
    /// own verdict flipped join it. `version` identifies the rule set.
    async fn rescore(
        &self,
        set: reputation::RescoreSet,
        scorer: reputation::Scorer,
        version: &str,
    ) -> StoreResult<reputation::RescoreStats>;

    /// The stored reputation of a host, if it was ever scored.
    async fn stored_reputation(
        &self,
        host: &str,
    ) -> StoreResult<Option<reputation::StoredReputation>>;

    /// Marks hosts dirty (`None`: every host); returns how many were newly marked.
    async fn mark_reputation_dirty(&self, hosts: Option<Vec<String>>) -> StoreResult<u64>;

    /// Replaces a block- or allow-list by name; returns how many hosts were marked dirty.
    async fn replace_reputation_list(
        &self,
        list: &openti_model::lists::ReputationList,
    ) -> StoreResult<u64>;

    /// The stored block- and allow-lists.
    async fn reputation_lists(&self) -> StoreResult<Vec<openti_model::lists::ListSummary>>;

    /// Stores a new token by the SHA-256 hex of its secret.
    async fn create_token(&self, record: &TokenRecord, secret_sha256: &str) -> StoreResult<()>;

    /// The token whose secret hashes to `secret_sha256`, if any (revoked/expired included).
    async fn find_token(&self, secret_sha256: &str) -> StoreResult<Option<TokenRecord>>;

    /// All tokens.
    async fn list_tokens(&self) -> StoreResult<Vec<TokenRecord>>;

    /// Marks a token revoked; false if unknown.
    async fn revoke_token(&self, id: &str) -> StoreResult<bool>;

    /// Row counts per table.
    async fn counts(&self) -> StoreResult<TableCounts>;

    /// The forward passive-DNS facts of a host (normalised name or IP) with their counts,
    /// ordered by type and value (for `openti export cof` and the COF route).
    async fn passive_dns_facts(&self, host: &str) -> StoreResult<Vec<PassiveDnsFact>> {
        let _ = host;
        Err(StoreError::InvalidQuery(
            "passive DNS facts are not available on this backend".into(),
        ))
    }

    /// Up to `limit` ids of `ipAddress` hosts whose id sorts after `after` (exclusive; `""`
    /// starts at the beginning), in id order — keyset paging for enrichment.
    async fn ip_host_ids(&self, after: &str, limit: u32) -> StoreResult<Vec<String>>;

    /// Up to `limit` ids of all hosts whose id sorts after `after` (exclusive), in id order —
    /// keyset paging for a full rescore.
    async fn host_ids(&self, after: &str, limit: u32) -> StoreResult<Vec<String>>;

    /// Whether the database answers (for `/readyz`): `Ok` when a trivial query succeeds.
    async fn health(&self) -> StoreResult<()> {
        Ok(())
    }
}
