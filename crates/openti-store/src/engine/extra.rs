//! Host evidence for the reputation engine, API tokens and table counts.

use crate::db::{params, Conn, OptionalExtension, Row};
use openti_model::evidence::{CertEvidence, HostEvidence, IntelListing};
use openti_model::ids;
use openti_model::normalize::{is_ip_text, registered_domain};

use super::time::{col, opt_text, to_text};
use crate::{StoreResult, TableCounts, TokenRecord};

/// Tables reported by [`counts`], in this order.
pub const COUNTED_TABLES: &[&str] = &[
    "hosts",
    "passive_dns",
    "subdomains",
    "components",
    "cookies",
    "trackers",
    "host_pairs",
    "certificates",
    "host_certificates",
    "ports",
    "port_banners",
    "port_services",
    "whois",
    "whois_history",
    "articles",
    "article_indicators",
    "intel_profiles",
    "profile_indicators",
    "vulnerabilities",
    "vulnerability_components",
    "ingest_batches",
    "api_tokens",
];

/// Row counts per table.
pub fn counts(conn: &Conn<'_>) -> StoreResult<TableCounts> {
    let mut out = Vec::with_capacity(COUNTED_TABLES.len());
    for table in COUNTED_TABLES {
        // table names come from the fixed list above
        let n: i64 = conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM {table}"))?
            .query_row((), |r| r.get(0))?;
        out.push((table.to_string(), u64::try_from(n).unwrap_or(0)));
    }
    Ok(out)
}

/// Facts about one host; `None` if the host is unknown.
pub fn host_evidence(conn: &Conn<'_>, host: &str) -> StoreResult<Option<HostEvidence>> {
    let row = conn
        .prepare_cached(
            "SELECT first_seen, last_seen, registrar, registered_domain FROM hosts WHERE id = ?1",
        )?
        .query_row([host], |r| {
            Ok((
                col(r, 0)?,
                col(r, 1)?,
                r.get::<Option<String>>(2)?,
                r.get::<Option<String>>(3)?,
            ))
        })
        .optional()?;
    let Some((first_seen, last_seen, registrar, reg_domain)) = row else {
        return Ok(None);
    };
    let is_ip = is_ip_text(host);
    let domain = reg_domain.or_else(|| if is_ip { None } else { registered_domain(host) });
    // the host itself, and (for a hostname) its registered domain
    let names: [&str; 2] = [host, domain.as_deref().unwrap_or(host)];

    let mut listed_in = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT p.id, p.title FROM profile_indicators i JOIN intel_profiles p ON p.id = i.profile_id \
         WHERE i.artifact_kind IN ('hostname', 'ip') AND i.artifact_value IN (?1, ?2) ORDER BY p.title, p.id",
    )?;
    for r in stmt.query_map(names, |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))? {
        let (id, title) = r?;
        listed_in.push(IntelListing {
            source_kind: "intelProfile".into(),
            id,
            title,
        });
    }
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT a.id, a.title FROM article_indicators i JOIN articles a ON a.id = i.article_id \
         WHERE i.artifact_kind IN ('hostname', 'ip') AND i.artifact_value IN (?1, ?2) ORDER BY a.title, a.id",
    )?;
    for r in stmt.query_map(names, |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))? {
        let (id, title) = r?;
        listed_in.push(IntelListing {
            source_kind: "article".into(),
            id,
            title,
        });
    }

    let whois = conn
        .prepare_cached(
            "SELECT w.registered, h.registrar FROM whois w LEFT JOIN hosts h ON h.id = w.host \
             WHERE w.host IN (?1, ?2) ORDER BY (w.host = ?1) DESC LIMIT 1",
        )?
        .query_row(names, |r| Ok((col(r, 0)?, r.get::<Option<String>>(1)?)))
        .optional()?;
    let (registered, whois_registrar) = whois.unwrap_or((None, None));

    let mut stmt = conn.prepare_cached(
        "SELECT c.sha1, c.issued, c.expires, (c.issuer IS NOT NULL AND c.issuer = c.subject), \
         (SELECT max(hc.last_seen) FROM host_certificates hc WHERE hc.host = ?1 AND hc.sha1 = c.sha1) FROM certificates c \
         WHERE c.sha1 IN (SELECT sha1 FROM host_certificates WHERE host = ?1) ORDER BY c.last_seen DESC, c.sha1",
    )?;
    let certificates = stmt
        .query_map([host], |r: &Row| {
            Ok(CertEvidence {
                id: ids::ssl_certificate(&r.get::<String>(0)?),
                issued: col(r, 1)?,
                expires: col(r, 2)?,
                self_signed: r.get(3)?,
                last_served: col(r, 4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT value FROM passive_dns WHERE host = ?1 AND rtype IN ('A', 'AAAA') ORDER BY value",
    )?;
    let resolved_ips = stmt
        .query_map([host], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;

    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT port FROM ports WHERE host = ?1 AND status = 'open' ORDER BY port",
    )?;
    let open_ports = stmt
        .query_map([host], |r| r.get(0))?
        .collect::<Result<Vec<i32>, _>>()?;

    let mut stmt = conn.prepare_cached(
        "WITH ips(ip) AS (SELECT value FROM passive_dns WHERE host = ?1 AND rtype IN ('A', 'AAAA') \
                          UNION SELECT ?1 WHERE ?2), \
              neighbours(h) AS (SELECT DISTINCT d.host FROM passive_dns d JOIN ips ON d.value = ips.ip \
                                WHERE d.rtype IN ('A', 'AAAA') AND d.host <> ?1) \
         SELECT n.h FROM neighbours n LEFT JOIN hosts x ON x.id = n.h \
         WHERE EXISTS (SELECT 1 FROM profile_indicators p WHERE p.artifact_value IN (n.h, x.registered_domain) \
                       AND p.artifact_kind IN ('hostname', 'ip')) \
            OR EXISTS (SELECT 1 FROM article_indicators a WHERE a.artifact_value IN (n.h, x.registered_domain) \
                       AND a.artifact_kind IN ('hostname', 'ip')) \
         ORDER BY n.h LIMIT 20",
    )?;
    let listed_neighbours = stmt
        .query_map(params![host, is_ip], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;

    let mut ev = HostEvidence {
        host: host.to_string(),
        first_seen,
        last_seen,
        listed_in,
        registered,
        registrar: registrar.or(whois_registrar),
        certificates,
        resolved_ips,
        open_ports,
        listed_neighbours,
        registered_domain: domain,
        ..HostEvidence::default()
    };
    super::reputation::extend_evidence(conn, &mut ev)?;
    Ok(Some(ev))
}

const TOKEN_COLS: &str = "id, name, permission, created, expires, revoked";

fn token(r: &Row) -> crate::db::Result<TokenRecord> {
    let created =
        col(r, 3)?.ok_or_else(|| crate::db::Error::conversion(3, "token without creation time"))?;
    Ok(TokenRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        permission: r.get(2)?,
        created,
        expires: col(r, 4)?,
        revoked: col(r, 5)?,
    })
}

/// Stores a token by the SHA-256 hex of its secret.
pub fn create_token(conn: &Conn<'_>, t: &TokenRecord, secret_sha256: &str) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO api_tokens (id, name, secret_sha256, permission, created, expires, revoked) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        t.id,
        t.name,
        secret_sha256.to_ascii_lowercase(),
        t.permission,
        to_text(t.created),
        opt_text(t.expires),
        opt_text(t.revoked)
    ])?;
    Ok(())
}

/// The token whose secret hashes to `secret_sha256`.
pub fn find_token(conn: &Conn<'_>, secret_sha256: &str) -> StoreResult<Option<TokenRecord>> {
    let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE secret_sha256 = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([secret_sha256.to_ascii_lowercase()], token)
        .optional()?)
}

/// All tokens, oldest first.
pub fn list_tokens(conn: &Conn<'_>) -> StoreResult<Vec<TokenRecord>> {
    let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY created, id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map((), token)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Marks a token revoked (keeping the first revocation time); false if unknown.
pub fn revoke_token(conn: &Conn<'_>, id: &str) -> StoreResult<bool> {
    let n = conn
        .prepare_cached("UPDATE api_tokens SET revoked = coalesce(revoked, ?2) WHERE id = ?1")?
        .execute(params![id, super::time::now_text()])?;
    Ok(n > 0)
}
