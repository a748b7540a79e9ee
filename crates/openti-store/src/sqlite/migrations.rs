//! Versioned schema migrations.
//!
//! Migrations are an ordered list of SQL scripts. Each one is applied in its own transaction
//! and recorded in `schema_migrations(version, applied_at)`, so re-opening a database applies
//! nothing twice. Append new scripts; never edit an applied one.
//!
//! Every per-host table carries the host in its primary key (sharding-ready). Times are
//! RFC 3339 UTC text of fixed width (`%Y-%m-%dT%H:%M:%S%.3fZ`) so that text order is time
//! order; complex values are JSON text.

use rusqlite::{params, Connection};

use crate::engine::time::now_text;
use crate::StoreResult;

/// `(version, script)` in application order.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, V1_SCHEMA),
    (2, V2_FULL_TEXT),
    (3, V3_REPUTATION),
    (4, V4_LIST_INDEXES),
    (5, V5_PDNS_SENSOR),
    (6, V6_PDNS_PAGE_INDEXES),
    (7, V7_PAIR_TRACKER_PAGE_INDEXES),
    (8, V8_HOST_DIRTY_EXPLICIT),
];

/// Hosts written by a batch are marked for rescoring by the writer itself
/// (`engine::write::mark_host_dirty`, one `INSERT … ON CONFLICT DO NOTHING` per host written)
/// instead of by a trigger per row: the trigger program (a `NOT EXISTS` probe, an insert and a
/// statement journal for every host upsert) cost more than the upsert it followed (dnstap
/// bench, 61,635 hosts per window: 410 → 180 ms). The ASN and WHOIS triggers stay.
const V8_HOST_DIRTY_EXPLICIT: &str = r#"
DROP TRIGGER reputation_dirty_host_insert;
DROP TRIGGER reputation_dirty_host_update;
"#;

/// Host pair and tracker pages of popular hosts (thousands of rows each) from covering indexes
/// in page order: a tracker page reads its 100 rows in order instead of sorting all of the
/// host's, a host pair page (parent or child) sorts index entries without table lookups
/// (1 M-row bench data, hottest host: trackers 3 → 0.1 ms, host pairs 8 → 2.5 ms per query).
const V7_PAIR_TRACKER_PAGE_INDEXES: &str = r#"
CREATE INDEX host_pairs_parent_page
    ON host_pairs(parent, last_seen DESC, child, link_kind, first_seen);
CREATE INDEX host_pairs_child_page
    ON host_pairs(child, last_seen DESC, parent, link_kind, first_seen);
DROP INDEX host_pairs_child;
CREATE INDEX trackers_host_page ON trackers(host, last_seen DESC, kind, value, first_seen);
"#;

/// Per-host passive DNS pages read from covering indexes in exactly the page order
/// (`lastSeenDateTime` descending, then the key): no row lookups and no sort of the rows that
/// share a `last_seen` (hot host, 16 connections: 2,488 → 3,095 req/s, p99 18.7 → 13.5 ms).
const V6_PDNS_PAGE_INDEXES: &str = r#"
CREATE INDEX passive_dns_host_page
    ON passive_dns(host, last_seen DESC, rtype, value, first_seen, collected);
CREATE INDEX passive_dns_value_page
    ON passive_dns(value, last_seen DESC, host, rtype, first_seen, collected);
DROP INDEX passive_dns_host_last_seen;
DROP INDEX passive_dns_value_last_seen;
"#;

/// The sensor (dnstap `--sensor`, COF `sensor_id`) of the newest sighting of a passive DNS
/// fact, so that COF export carries it.
const V5_PDNS_SENSOR: &str = "ALTER TABLE passive_dns ADD COLUMN sensor TEXT;";

/// Migration 2: the FTS5 tables, their triggers and the initial index build.
const V2_FULL_TEXT: &str = r#"
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, tags,
    content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, summary, body, tags)
    VALUES (new.rowid, new.title, new.summary, new.body, new.tags);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, summary, body, tags)
    VALUES ('delete', old.rowid, old.title, old.summary, old.body, old.tags);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, summary, body, tags)
    VALUES ('delete', old.rowid, old.title, old.summary, old.body, old.tags);
    INSERT INTO articles_fts(rowid, title, summary, body, tags)
    VALUES (new.rowid, new.title, new.summary, new.body, new.tags);
END;
INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE intel_profiles_fts USING fts5(
    title, aliases, targets, summary, description, tradecraft,
    content='intel_profiles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER intel_profiles_fts_insert AFTER INSERT ON intel_profiles BEGIN
    INSERT INTO intel_profiles_fts(rowid, title, aliases, targets, summary, description, tradecraft)
    VALUES (new.rowid, new.title, new.aliases, new.targets, new.summary, new.description, new.tradecraft);
END;
CREATE TRIGGER intel_profiles_fts_delete AFTER DELETE ON intel_profiles BEGIN
    INSERT INTO intel_profiles_fts(intel_profiles_fts, rowid, title, aliases, targets, summary, description, tradecraft)
    VALUES ('delete', old.rowid, old.title, old.aliases, old.targets, old.summary, old.description, old.tradecraft);
END;
CREATE TRIGGER intel_profiles_fts_update AFTER UPDATE ON intel_profiles BEGIN
    INSERT INTO intel_profiles_fts(intel_profiles_fts, rowid, title, aliases, targets, summary, description, tradecraft)
    VALUES ('delete', old.rowid, old.title, old.aliases, old.targets, old.summary, old.description, old.tradecraft);
    INSERT INTO intel_profiles_fts(rowid, title, aliases, targets, summary, description, tradecraft)
    VALUES (new.rowid, new.title, new.aliases, new.targets, new.summary, new.description, new.tradecraft);
END;
INSERT INTO intel_profiles_fts(intel_profiles_fts) VALUES ('rebuild');
"#;

/// Migration 3: reputation tables and dirty-marking triggers (see `engine::reputation`).
const V3_REPUTATION: &str = r#"
CREATE TABLE host_reputation (
    host TEXT PRIMARY KEY,
    score INTEGER NOT NULL,
    base_malicious INTEGER NOT NULL,
    rules TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    computed_at TEXT NOT NULL
);

CREATE TABLE reputation_pivots (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    host TEXT NOT NULL,
    malicious INTEGER NOT NULL,
    PRIMARY KEY (kind, value, host)
) WITHOUT ROWID;
CREATE INDEX reputation_pivots_host ON reputation_pivots(host);
CREATE INDEX reputation_pivots_malicious ON reputation_pivots(kind, value, malicious);

CREATE TABLE reputation_dirty (host TEXT PRIMARY KEY);

CREATE TABLE reputation_lists (
    list TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('block', 'allow')),
    source TEXT NOT NULL,
    entry TEXT NOT NULL,
    match TEXT NOT NULL CHECK (match IN ('suffix', 'exact', 'cidr')),
    lo BLOB,
    hi BLOB,
    PRIMARY KEY (list, entry)
);
CREATE INDEX reputation_lists_entry ON reputation_lists(entry);
CREATE INDEX reputation_lists_lo ON reputation_lists(lo) WHERE lo IS NOT NULL;

CREATE TRIGGER reputation_dirty_host_insert AFTER INSERT ON hosts BEGIN
    INSERT INTO reputation_dirty (host) SELECT NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM reputation_dirty WHERE host = NEW.id);
END;
CREATE TRIGGER reputation_dirty_host_update AFTER UPDATE ON hosts BEGIN
    INSERT INTO reputation_dirty (host) SELECT NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM reputation_dirty WHERE host = NEW.id);
END;
CREATE TRIGGER reputation_dirty_ip_asn AFTER UPDATE OF asn ON hosts
WHEN NEW.is_ip AND NEW.asn IS NOT OLD.asn BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT DISTINCT host FROM passive_dns WHERE value = NEW.id AND rtype IN ('A', 'AAAA')
        AND NOT EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = passive_dns.host);
END;
CREATE TRIGGER reputation_dirty_whois_insert AFTER INSERT ON whois BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT id FROM hosts WHERE (id = NEW.host OR registered_domain = NEW.host)
        AND NOT EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = hosts.id);
END;
CREATE TRIGGER reputation_dirty_whois_update AFTER UPDATE ON whois BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT id FROM hosts WHERE (id = NEW.host OR registered_domain = NEW.host)
        AND NOT EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = hosts.id);
END;
CREATE TRIGGER reputation_dirty_certificate AFTER UPDATE ON certificates BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT DISTINCT host FROM host_certificates WHERE sha1 = NEW.sha1
        AND NOT EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = host_certificates.host);
END;
CREATE TRIGGER reputation_dirty_profile_indicator_insert AFTER INSERT ON profile_indicators BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT id FROM hosts WHERE (id = NEW.artifact_value OR registered_domain = NEW.artifact_value)
        AND NOT EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = hosts.id);
END;
CREATE TRIGGER reputation_dirty_profile_indicator_delete AFTER DELETE ON profile_indicators BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT id FROM hosts WHERE (id = OLD.artifact_value OR registered_domain = OLD.artifact_value)
        AND NOT EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = hosts.id);
END;
CREATE TRIGGER reputation_dirty_article_indicator_insert AFTER INSERT ON article_indicators BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT id FROM hosts WHERE (id = NEW.artifact_value OR registered_domain = NEW.artifact_value)
        AND NOT EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = hosts.id);
END;
CREATE TRIGGER reputation_dirty_article_indicator_delete AFTER DELETE ON article_indicators BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT id FROM hosts WHERE (id = OLD.artifact_value OR registered_domain = OLD.artifact_value)
        AND NOT EXISTS (SELECT 1 FROM reputation_dirty d WHERE d.host = hosts.id);
END;
"#;

/// Per-host passive DNS pages (`/hosts/{id}/passiveDns`, `…/passiveDnsReverse`) are ordered
/// newest first: with the time in the index a page reads its rows in order instead of sorting
/// every record of the host (58 ms → 0.1 ms for a host with 10 000 records, scripts/bench).
const V4_LIST_INDEXES: &str = r#"
CREATE INDEX passive_dns_host_last_seen ON passive_dns(host, last_seen DESC);
CREATE INDEX passive_dns_value_last_seen ON passive_dns(value, last_seen DESC);
DROP INDEX passive_dns_value;
"#;

const V1_SCHEMA: &str = r#"
CREATE TABLE hosts (
    id TEXT PRIMARY KEY,
    is_ip INTEGER NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    registered_domain TEXT,
    registrar TEXT,
    registrant TEXT,
    asn INTEGER,
    as_name TEXT,
    as_org TEXT,
    netblock TEXT,
    country TEXT,
    hosting_provider TEXT,
    enriched_at TEXT
);
CREATE INDEX hosts_registered_domain ON hosts(registered_domain);
CREATE INDEX hosts_last_seen ON hosts(last_seen DESC, id);

CREATE TABLE passive_dns (
    host TEXT NOT NULL,
    rtype TEXT NOT NULL,
    value TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER NOT NULL DEFAULT 0,
    collected TEXT,
    PRIMARY KEY (host, rtype, value)
);
CREATE INDEX passive_dns_value ON passive_dns(value);

CREATE TABLE subdomains (
    domain TEXT NOT NULL,
    sub TEXT NOT NULL,
    first_seen TEXT,
    PRIMARY KEY (domain, sub)
);

CREATE TABLE components (
    host TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    category TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (host, name, version, category)
);

CREATE TABLE cookies (
    host TEXT NOT NULL,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (host, name, domain)
);

CREATE TABLE trackers (
    host TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (host, kind, value)
);
CREATE INDEX trackers_kind_value ON trackers(kind, value);

CREATE TABLE host_pairs (
    parent TEXT NOT NULL,
    child TEXT NOT NULL,
    link_kind TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (parent, child, link_kind)
);
CREATE INDEX host_pairs_child ON host_pairs(child);

CREATE TABLE certificates (
    sha1 TEXT PRIMARY KEY CHECK (length(sha1) = 40),
    fingerprint TEXT,
    serial TEXT,
    issued TEXT,
    expires TEXT,
    issuer TEXT,
    subject TEXT,
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE host_certificates (
    host TEXT NOT NULL,
    sha1 TEXT NOT NULL REFERENCES certificates(sha1),
    port INTEGER NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (host, sha1, port)
);
CREATE INDEX host_certificates_sha1 ON host_certificates(sha1);

CREATE TABLE ports (
    host TEXT NOT NULL,
    port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    protocol TEXT NOT NULL,
    status TEXT NOT NULL,
    status_time TEXT,
    times_observed INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    last_scan TEXT,
    recent_cert_sha1 TEXT,
    recent_cert_time TEXT,
    PRIMARY KEY (host, port, protocol)
);

CREATE TABLE port_banners (
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    banner TEXT NOT NULL,
    scan_protocol TEXT,
    times INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    PRIMARY KEY (host, port, protocol, banner),
    FOREIGN KEY (host, port, protocol) REFERENCES ports(host, port, protocol) ON DELETE CASCADE
);

CREATE TABLE port_services (
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    category TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    PRIMARY KEY (host, port, protocol, name, version, category),
    FOREIGN KEY (host, port, protocol) REFERENCES ports(host, port, protocol) ON DELETE CASCADE
);

CREATE TABLE whois (
    host TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    seen_time TEXT,
    first_seen TEXT,
    last_seen TEXT,
    registered TEXT,
    expires TEXT,
    updated TEXT,
    server TEXT,
    contacts TEXT NOT NULL,
    nameservers TEXT NOT NULL,
    snapshot TEXT NOT NULL
);

CREATE TABLE whois_history (
    host TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    PRIMARY KEY (host, content_hash)
);

CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    summary TEXT,
    summary_format TEXT,
    body TEXT,
    body_format TEXT,
    tags TEXT NOT NULL,
    featured INTEGER NOT NULL,
    image_url TEXT,
    created TEXT,
    updated TEXT
);
CREATE INDEX articles_created ON articles(created DESC, id);

CREATE TABLE article_indicators (
    article_id TEXT NOT NULL,
    artifact_kind TEXT NOT NULL,
    artifact_value TEXT NOT NULL,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    embedded INTEGER NOT NULL DEFAULT 0,
    linked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, artifact_kind, artifact_value)
);
CREATE UNIQUE INDEX article_indicators_id ON article_indicators(id);
CREATE INDEX article_indicators_value ON article_indicators(artifact_value);

CREATE TABLE article_cves (
    article_id TEXT NOT NULL,
    cve TEXT NOT NULL,
    PRIMARY KEY (article_id, cve)
);

CREATE TABLE intel_profiles (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    aliases TEXT NOT NULL,
    targets TEXT NOT NULL,
    countries TEXT NOT NULL,
    first_active TEXT,
    summary TEXT,
    summary_format TEXT,
    description TEXT,
    description_format TEXT,
    tradecraft TEXT,
    tradecraft_format TEXT
);
CREATE INDEX intel_profiles_title ON intel_profiles(title, id);

CREATE TABLE profile_indicators (
    profile_id TEXT NOT NULL,
    artifact_kind TEXT NOT NULL,
    artifact_value TEXT NOT NULL,
    source TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    id TEXT NOT NULL,
    embedded INTEGER NOT NULL DEFAULT 0,
    linked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (profile_id, artifact_kind, artifact_value)
);
CREATE UNIQUE INDEX profile_indicators_id ON profile_indicators(id);
CREATE INDEX profile_indicators_value ON profile_indicators(artifact_value);

CREATE TABLE vulnerabilities (
    id TEXT PRIMARY KEY,
    severity TEXT NOT NULL,
    priority INTEGER,
    cvss2 TEXT,
    cvss3 TEXT,
    cwe TEXT NOT NULL,
    description TEXT,
    description_format TEXT,
    remediation TEXT,
    remediation_format TEXT,
    exploits TEXT NOT NULL,
    refs TEXT NOT NULL,
    exploits_available INTEGER NOT NULL,
    active_exploits INTEGER NOT NULL,
    has_chatter INTEGER NOT NULL,
    created TEXT,
    modified TEXT,
    published TEXT
);

CREATE TABLE vulnerability_components (
    cve TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (cve, name)
);

CREATE TABLE vulnerability_articles (
    cve TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (cve, article_id)
);

CREATE TABLE ingest_batches (
    key TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL,
    observations INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    permission TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT,
    revoked TEXT
);
"#;

/// Applies every migration not yet recorded; returns how many were applied.
pub fn migrate(conn: &mut Connection) -> StoreResult<usize> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let mut applied = 0;
    for (version, script) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            params![version],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(script)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, now_text()],
            )?;
            applied += 1;
        }
        tx.commit()?;
    }
    Ok(applied)
}

/// Versions recorded in `schema_migrations`, ascending.
pub fn applied_versions(conn: &Connection) -> StoreResult<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT version FROM schema_migrations ORDER BY version")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<i64>, _>>()?)
}
