//! PostgreSQL schema migrations.
//!
//! Same rules as the SQLite migrations: an ordered list of scripts, each applied once in its
//! own transaction and recorded in `schema_migrations`. Processes that start together take a
//! session advisory lock first, so exactly one of them migrates.
//!
//! The tables match the SQLite schema column for column (times are fixed-width RFC 3339 UTC
//! text, so text order is time order; JSON values are text, cast to `jsonb` where queried), so
//! the shared engine runs unchanged. Differences:
//!
//! * integers are `bigint`, IP range keys `bytea`;
//! * full text is a stored generated `tsvector` column with a GIN index on `articles` and
//!   `intel_profiles` (SQLite: FTS5 tables kept by triggers); the text is split on every
//!   non-alphanumeric character first, as SQLite's `unicode61` tokenizer does, so both backends
//!   find the same words (PostgreSQL's parser alone reads `HERON-1` as `heron` and `-1`);
//! * `reputation_dirty` has a `seq` column giving the queue order (SQLite: `rowid`);
//! * dirty-marking triggers are PL/pgSQL functions.
//!
//! Sharding: every per-host table has the host in its primary key (`hosts.id`,
//! `passive_dns.host`, …), so it can be distributed by host; see `docs/scale-out.md`.

use crate::db::Conn;
use crate::engine::time::now_text;
use crate::StoreResult;

/// Key of the advisory lock held while migrating (`"openti-m"` as an integer).
const MIGRATION_LOCK: i64 = 0x6f70_656e_7469_2d6d;

/// `(version, script)` in application order.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, V1_SCHEMA),
    (2, V2_REPUTATION),
    (3, V3_PDNS_SENSOR),
    (4, V4_PDNS_PAGE_INDEXES),
    (5, V5_PAIR_TRACKER_PAGE_INDEXES),
    (6, V6_ASN_DIRTY_ROW_TRIGGER),
];

/// The names resolving to an IP are marked dirty when its ASN changes by a row trigger on
/// `UPDATE OF asn` (as SQLite's `reputation_dirty_ip_asn`), not by joining the statement's
/// old and new transition tables: the planner joined those (no statistics, no index) in a
/// nested loop, and one host upsert statement of a passive DNS window (61,635 hosts, a third
/// of them IPs) ran for over a minute and hit the statement timeout. Host upserts never set
/// `asn`, so the row trigger does not fire for them at all.
const V6_ASN_DIRTY_ROW_TRIGGER: &str = r#"
CREATE OR REPLACE FUNCTION openti_dirty_hosts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reputation_dirty (host) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE FUNCTION openti_dirty_ip_asn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT DISTINCT host FROM passive_dns WHERE value = NEW.id AND rtype IN ('A', 'AAAA')
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER reputation_dirty_ip_asn AFTER UPDATE OF asn ON hosts
    FOR EACH ROW WHEN (NEW.is_ip = 1 AND NEW.asn IS DISTINCT FROM OLD.asn)
    EXECUTE FUNCTION openti_dirty_ip_asn();
"#;

/// Host pair and tracker pages in index order (as SQLite migration 7).
const V5_PAIR_TRACKER_PAGE_INDEXES: &str = r#"
CREATE INDEX host_pairs_parent_page
    ON host_pairs(parent, last_seen DESC NULLS LAST, child, link_kind) INCLUDE (first_seen);
CREATE INDEX host_pairs_child_page
    ON host_pairs(child, last_seen DESC NULLS LAST, parent, link_kind) INCLUDE (first_seen);
DROP INDEX host_pairs_child;
CREATE INDEX trackers_host_page
    ON trackers(host, last_seen DESC NULLS LAST, kind, value) INCLUDE (first_seen);
"#;

/// Per-host passive DNS pages in index order with the page's columns in the index (as SQLite
/// migration 6): index-only scans once the visibility map is set, no sort of equal times.
const V4_PDNS_PAGE_INDEXES: &str = r#"
CREATE INDEX passive_dns_host_page
    ON passive_dns(host, last_seen DESC NULLS LAST, rtype, value) INCLUDE (first_seen, collected);
CREATE INDEX passive_dns_value_page
    ON passive_dns(value, last_seen DESC NULLS LAST, host, rtype) INCLUDE (first_seen, collected);
DROP INDEX passive_dns_host_last_seen;
DROP INDEX passive_dns_value_last_seen;
"#;

/// The sensor of the newest sighting of a passive DNS fact (as SQLite migration 5).
const V3_PDNS_SENSOR: &str = "ALTER TABLE passive_dns ADD COLUMN sensor TEXT;";

const V1_SCHEMA: &str = r#"
-- Accent folding for full text (SQLite: unicode61 remove_diacritics). `unaccent` ships with
-- PostgreSQL's contrib package and is a trusted extension; without it, folding is lower().
DO $$ BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'unaccent not available: full text is not accent-insensitive';
    END;
    -- schema-qualified, so the function works under any search_path (pg_restore uses an
    -- empty one)
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
        EXECUTE format(
            'CREATE FUNCTION openti_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE '
            'AS $f$ SELECT %I.unaccent(%L::regdictionary, lower(t)) $f$',
            (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
             WHERE e.extname = 'unaccent'),
            (SELECT quote_ident(n.nspname) || '.unaccent' FROM pg_extension e
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'));
    ELSE
        EXECUTE 'CREATE FUNCTION openti_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE '
            'AS $f$ SELECT lower(t) $f$';
    END IF;
END $$;

CREATE TABLE hosts (
    id TEXT PRIMARY KEY,
    is_ip BIGINT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    registered_domain TEXT,
    registrar TEXT,
    registrant TEXT,
    asn BIGINT,
    as_name TEXT,
    as_org TEXT,
    netblock TEXT,
    country TEXT,
    hosting_provider TEXT,
    enriched_at TEXT
);
CREATE INDEX hosts_registered_domain ON hosts(registered_domain);
CREATE INDEX hosts_last_seen ON hosts(last_seen DESC NULLS LAST, id);

CREATE TABLE passive_dns (
    host TEXT NOT NULL,
    rtype TEXT NOT NULL,
    value TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count BIGINT NOT NULL DEFAULT 0,
    collected TEXT,
    PRIMARY KEY (host, rtype, value)
);
CREATE INDEX passive_dns_host_last_seen ON passive_dns(host, last_seen DESC NULLS LAST);
CREATE INDEX passive_dns_value_last_seen ON passive_dns(value, last_seen DESC NULLS LAST);

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
    count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (host, name, version, category)
);

CREATE TABLE cookies (
    host TEXT NOT NULL,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (host, name, domain)
);

CREATE TABLE trackers (
    host TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (host, kind, value)
);
CREATE INDEX trackers_kind_value ON trackers(kind, value);

CREATE TABLE host_pairs (
    parent TEXT NOT NULL,
    child TEXT NOT NULL,
    link_kind TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count BIGINT NOT NULL DEFAULT 0,
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
    count BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE host_certificates (
    host TEXT NOT NULL,
    sha1 TEXT NOT NULL REFERENCES certificates(sha1),
    port BIGINT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (host, sha1, port)
);
CREATE INDEX host_certificates_sha1 ON host_certificates(sha1);

CREATE TABLE ports (
    host TEXT NOT NULL,
    port BIGINT NOT NULL CHECK (port BETWEEN 1 AND 65535),
    protocol TEXT NOT NULL,
    status TEXT NOT NULL,
    status_time TEXT,
    times_observed BIGINT NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    last_scan TEXT,
    recent_cert_sha1 TEXT,
    recent_cert_time TEXT,
    PRIMARY KEY (host, port, protocol)
);

CREATE TABLE port_banners (
    host TEXT NOT NULL,
    port BIGINT NOT NULL,
    protocol TEXT NOT NULL,
    banner TEXT NOT NULL,
    scan_protocol TEXT,
    times BIGINT NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    PRIMARY KEY (host, port, protocol, banner),
    FOREIGN KEY (host, port, protocol) REFERENCES ports(host, port, protocol) ON DELETE CASCADE
);

CREATE TABLE port_services (
    host TEXT NOT NULL,
    port BIGINT NOT NULL,
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
    featured BIGINT NOT NULL,
    image_url TEXT,
    created TEXT,
    updated TEXT,
    fts tsvector GENERATED ALWAYS AS (to_tsvector('simple', openti_fold(regexp_replace(
        coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(body, '') || ' ' || coalesce(tags, ''),
        '[^[:alnum:]]+', ' ', 'g'
    )))) STORED
);
CREATE INDEX articles_created ON articles(created DESC NULLS LAST, id);
CREATE INDEX articles_fts ON articles USING gin(fts);

CREATE TABLE article_indicators (
    article_id TEXT NOT NULL,
    artifact_kind TEXT NOT NULL,
    artifact_value TEXT NOT NULL,
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    embedded BIGINT NOT NULL DEFAULT 0,
    linked BIGINT NOT NULL DEFAULT 0,
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
    tradecraft_format TEXT,
    fts tsvector GENERATED ALWAYS AS (to_tsvector('simple', openti_fold(regexp_replace(
        coalesce(title, '') || ' ' || coalesce(aliases, '') || ' ' || coalesce(targets, '') || ' ' ||
        coalesce(summary, '') || ' ' || coalesce(description, '') || ' ' || coalesce(tradecraft, ''),
        '[^[:alnum:]]+', ' ', 'g'
    )))) STORED
);
CREATE INDEX intel_profiles_title ON intel_profiles(title, id);
CREATE INDEX intel_profiles_fts ON intel_profiles USING gin(fts);

CREATE TABLE profile_indicators (
    profile_id TEXT NOT NULL,
    artifact_kind TEXT NOT NULL,
    artifact_value TEXT NOT NULL,
    source TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    id TEXT NOT NULL,
    embedded BIGINT NOT NULL DEFAULT 0,
    linked BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (profile_id, artifact_kind, artifact_value)
);
CREATE UNIQUE INDEX profile_indicators_id ON profile_indicators(id);
CREATE INDEX profile_indicators_value ON profile_indicators(artifact_value);

CREATE TABLE vulnerabilities (
    id TEXT PRIMARY KEY,
    severity TEXT NOT NULL,
    priority BIGINT,
    cvss2 TEXT,
    cvss3 TEXT,
    cwe TEXT NOT NULL,
    description TEXT,
    description_format TEXT,
    remediation TEXT,
    remediation_format TEXT,
    exploits TEXT NOT NULL,
    refs TEXT NOT NULL,
    exploits_available BIGINT NOT NULL,
    active_exploits BIGINT NOT NULL,
    has_chatter BIGINT NOT NULL,
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
    observations BIGINT NOT NULL
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

const V2_REPUTATION: &str = r#"
CREATE TABLE host_reputation (
    host TEXT PRIMARY KEY,
    score BIGINT NOT NULL,
    base_malicious BIGINT NOT NULL,
    rules TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    computed_at TEXT NOT NULL
);

CREATE TABLE reputation_pivots (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    host TEXT NOT NULL,
    malicious BIGINT NOT NULL,
    PRIMARY KEY (kind, value, host)
);
CREATE INDEX reputation_pivots_host ON reputation_pivots(host);
CREATE INDEX reputation_pivots_malicious ON reputation_pivots(kind, value, malicious);

CREATE TABLE reputation_dirty (host TEXT PRIMARY KEY, seq BIGSERIAL NOT NULL);
CREATE INDEX reputation_dirty_seq ON reputation_dirty(seq);

CREATE TABLE reputation_lists (
    list TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('block', 'allow')),
    source TEXT NOT NULL,
    entry TEXT NOT NULL,
    match TEXT NOT NULL CHECK (match IN ('suffix', 'exact', 'cidr')),
    lo BYTEA,
    hi BYTEA,
    PRIMARY KEY (list, entry)
);
CREATE INDEX reputation_lists_entry ON reputation_lists(entry);
CREATE INDEX reputation_lists_lo ON reputation_lists(lo) WHERE lo IS NOT NULL;

-- hosts: statement-level triggers over the transition tables (one INSERT … SELECT per
-- statement instead of one per row; bulk upserts write thousands of hosts at once)
CREATE FUNCTION openti_dirty_hosts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reputation_dirty (host) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER reputation_dirty_host_insert AFTER INSERT ON hosts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION openti_dirty_hosts_inserted();

CREATE FUNCTION openti_dirty_hosts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reputation_dirty (host) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
    -- an IP's ASN changed: the names resolving to it
    INSERT INTO reputation_dirty (host)
        SELECT DISTINCT p.host FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN passive_dns p ON p.value = n.id AND p.rtype IN ('A', 'AAAA')
        WHERE n.is_ip = 1 AND n.asn IS DISTINCT FROM o.asn
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER reputation_dirty_host_update AFTER UPDATE ON hosts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION openti_dirty_hosts_updated();

CREATE FUNCTION openti_dirty_whois() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- two index lookups (an OR of both columns would scan every host)
    INSERT INTO reputation_dirty (host)
        SELECT id FROM hosts WHERE id = NEW.host
        UNION SELECT id FROM hosts WHERE registered_domain = NEW.host
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER reputation_dirty_whois AFTER INSERT OR UPDATE ON whois
    FOR EACH ROW EXECUTE FUNCTION openti_dirty_whois();

CREATE FUNCTION openti_dirty_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reputation_dirty (host)
        SELECT DISTINCT host FROM host_certificates WHERE sha1 = NEW.sha1
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER reputation_dirty_certificate AFTER UPDATE ON certificates
    FOR EACH ROW EXECUTE FUNCTION openti_dirty_certificate();

CREATE FUNCTION openti_dirty_indicator() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN v := OLD.artifact_value; ELSE v := NEW.artifact_value; END IF;
    INSERT INTO reputation_dirty (host)
        SELECT id FROM hosts WHERE id = v
        UNION SELECT id FROM hosts WHERE registered_domain = v
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER reputation_dirty_profile_indicator AFTER INSERT OR DELETE ON profile_indicators
    FOR EACH ROW EXECUTE FUNCTION openti_dirty_indicator();
CREATE TRIGGER reputation_dirty_article_indicator AFTER INSERT OR DELETE ON article_indicators
    FOR EACH ROW EXECUTE FUNCTION openti_dirty_indicator();
"#;

/// Applies every migration not yet recorded; returns how many were applied.
pub fn migrate(conn: &Conn<'_>) -> StoreResult<usize> {
    conn.execute_batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    let result = migrate_locked(conn);
    let unlock = conn.execute_batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
    let n = result?;
    unlock?;
    Ok(n)
}

fn migrate_locked(conn: &Conn<'_>) -> StoreResult<usize> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let mut applied = 0;
    for (version, script) in MIGRATIONS {
        let tx = conn.transaction(true)?;
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(script)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                crate::db::params![version, now_text()],
            )?;
            applied += 1;
        }
        tx.commit()?;
    }
    Ok(applied)
}

/// Versions recorded in `schema_migrations`, ascending.
pub fn applied_versions(conn: &Conn<'_>) -> StoreResult<Vec<i64>> {
    let exists: bool = conn.query_row(
        "SELECT to_regclass('schema_migrations') IS NOT NULL",
        (),
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")?
        .query_map((), |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?)
}
