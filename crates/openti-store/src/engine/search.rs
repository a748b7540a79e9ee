//! `$search`: free text (SQLite FTS5, PostgreSQL tsvector) on articles and profiles,
//! `path:value` on certificates and WHOIS.
//!
//! Property paths are resolved through fixed whitelists; the JSON path handed to
//! `json_extract` (SQLite) or `#>>` (PostgreSQL) is taken from the whitelist (never from the
//! request) and bound as a parameter, as is the value.

use crate::db::{Backend, Value as SqlValue};

use super::read::Sel;
use crate::{Scope, Search, StoreError, StoreResult};

/// `sslCertificateEntity` fields: (Graph path below issuer/subject, JSON path).
const CERT_ENTITY_FIELDS: &[(&str, &str)] = &[
    ("commonName", "$.commonName"),
    ("email", "$.email"),
    ("givenName", "$.givenName"),
    ("surname", "$.surname"),
    ("organizationName", "$.organizationName"),
    ("organizationUnitName", "$.organizationUnitName"),
    ("serialNumber", "$.serialNumber"),
    ("address/city", "$.address.city"),
    ("address/state", "$.address.state"),
    ("address/countryOrRegion", "$.address.countryOrRegion"),
    ("address/postalCode", "$.address.postalCode"),
    ("address/street", "$.address.street"),
];

/// WHOIS contact roles.
const WHOIS_ROLES: &[&str] = &[
    "abuse",
    "admin",
    "billing",
    "noc",
    "registrant",
    "registrar",
    "technical",
    "zone",
];

/// `whoisContact` fields: (Graph path below the role, JSON path suffix).
const WHOIS_CONTACT_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("organization", "organization"),
    ("email", "email"),
    ("telephone", "telephone"),
    ("fax", "fax"),
    ("address/city", "address.city"),
    ("address/state", "address.state"),
    ("address/countryOrRegion", "address.countryOrRegion"),
    ("address/postalCode", "address.postalCode"),
    ("address/street", "address.street"),
];

/// Adds the conditions of `search` on `scope` to `sel`.
pub(crate) fn apply(db: Backend, scope: &Scope, search: &Search, sel: &mut Sel) -> StoreResult<()> {
    match (scope, search) {
        (Scope::Articles | Scope::VulnerabilityArticles { .. }, Search::Text(q)) => {
            // newest first along `articles_created`, each row checked against the matches,
            // instead of sorting every matching article with its body
            full_text(db, sel, "articles_fts", "+a", q);
            Ok(())
        }
        (Scope::IntelProfiles, Search::Text(q)) => {
            full_text(db, sel, "intel_profiles_fts", "p", q);
            Ok(())
        }
        (Scope::SslCertificates, Search::Property { path, value }) => {
            certificate(db, sel, path, value)
        }
        (Scope::WhoisRecords, Search::Property { path, value }) => whois(db, sel, path, value),
        (Scope::SslCertificates | Scope::WhoisRecords, Search::Text(_)) => {
            Err(StoreError::InvalidQuery(
                "$search on this collection must have the form \"property:value\"".into(),
            ))
        }
        _ => Err(StoreError::InvalidQuery(
            "$search is not supported on this collection".into(),
        )),
    }
}

/// Every word of `q` must occur (as a word prefix, case- and accent-insensitively) in the
/// indexed text of the row: a match against the FTS5 table `fts` (SQLite) or the row's
/// `fts` tsvector column (PostgreSQL), see [`super::fts`]. On SQLite an alias written `+a` keeps
/// the planner from looking the matches up by rowid, so that it reads the rows in the order of
/// the scope's index and stops at the page's end (common words); `a` looks them up (few
/// matches, no index in the scope's order).
fn full_text(db: Backend, sel: &mut Sel, fts: &'static str, alias: &'static str, q: &str) {
    let cond = match db {
        Backend::Sqlite => super::fts::match_query(q).map(|m| {
            (
                format!("{alias}.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)"),
                m,
            )
        }),
        Backend::Postgres => super::fts::tsquery(q).map(|m| {
            let alias = alias.trim_start_matches('+');
            (
                format!("{alias}.fts @@ to_tsquery('simple', openti_fold(?))"),
                m,
            )
        }),
    };
    match cond {
        Some((sql, m)) => sel.cond(sql, [SqlValue::Text(m)]),
        None => sel.cond("1 = 0", []),
    }
}

/// `EXISTS` over the text elements of the JSON array at `array_sql` compared with `?`.
fn any_element(db: Backend, column: &str, key: Option<&str>) -> String {
    match (db, key) {
        (Backend::Sqlite, Some(k)) => format!(
            "EXISTS (SELECT 1 FROM json_each({column}, '$.{k}') AS j WHERE lower(j.value) = lower(?))"
        ),
        (Backend::Sqlite, None) => format!(
            "EXISTS (SELECT 1 FROM json_each({column}) AS j WHERE lower(j.value) = lower(?))"
        ),
        (Backend::Postgres, Some(k)) => format!(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(({column})::jsonb -> '{k}') AS j(value) \
             WHERE lower(j.value) = lower(?))"
        ),
        (Backend::Postgres, None) => format!(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(({column})::jsonb) AS j(value) \
             WHERE lower(j.value) = lower(?))"
        ),
    }
}

/// The scalar at the whitelisted JSON path `path` (`$.a.b`) of `column`, compared
/// case-insensitively with a parameter; returns the SQL and the path parameter.
fn json_equals(db: Backend, column: &str, path: &str) -> (String, SqlValue) {
    match db {
        Backend::Sqlite => (
            format!("lower(json_extract({column}, ?)) = lower(?)"),
            t(path),
        ),
        Backend::Postgres => (
            format!("lower(({column})::jsonb #>> CAST(? AS text)::text[]) = lower(?)"),
            t(format!(
                "{{{}}}",
                path.trim_start_matches("$.").replace('.', ",")
            )),
        ),
    }
}

fn unknown(path: &str, set: &str) -> StoreError {
    StoreError::InvalidQuery(format!(
        "The $search property '{path}' is not searchable on {set}."
    ))
}

fn t(s: impl Into<String>) -> SqlValue {
    SqlValue::Text(s.into())
}

fn certificate(db: Backend, sel: &mut Sel, path: &str, value: &str) -> StoreResult<()> {
    let value = value.trim();
    let (root, rest) = path.split_once('/').unwrap_or((path, ""));
    if rest.is_empty() {
        if root.eq_ignore_ascii_case("sha1") {
            sel.cond(
                "c.sha1 = ?",
                [t(value.replace(':', "").to_ascii_lowercase())],
            );
        } else if root.eq_ignore_ascii_case("fingerprint") {
            sel.cond(
                "replace(lower(c.fingerprint), ':', '') = ?",
                [t(value.replace(':', "").to_ascii_lowercase())],
            );
        } else if root.eq_ignore_ascii_case("serialNumber") {
            sel.cond("lower(c.serial) = lower(?)", [t(value)]);
        } else {
            return Err(unknown(path, "sslCertificates"));
        }
        return Ok(());
    }
    let column = if root.eq_ignore_ascii_case("issuer") {
        "c.issuer"
    } else if root.eq_ignore_ascii_case("subject") {
        "c.subject"
    } else {
        return Err(unknown(path, "sslCertificates"));
    };
    if rest.eq_ignore_ascii_case("alternateNames") {
        sel.cond(any_element(db, column, Some("alternateNames")), [t(value)]);
        return Ok(());
    }
    let Some((_, json_path)) = CERT_ENTITY_FIELDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(rest))
    else {
        return Err(unknown(path, "sslCertificates"));
    };
    let (sql, p) = json_equals(db, column, json_path);
    sel.cond(sql, [p, t(value)]);
    Ok(())
}

fn whois(db: Backend, sel: &mut Sel, path: &str, value: &str) -> StoreResult<()> {
    let value = value.trim();
    if path.eq_ignore_ascii_case("nameservers/host/id") {
        sel.cond(
            any_element(db, "whois.nameservers", None),
            [t(value.trim_end_matches('.'))],
        );
        return Ok(());
    }
    let (root, rest) = path.split_once('/').unwrap_or((path, ""));
    let Some(role) = WHOIS_ROLES.iter().find(|r| r.eq_ignore_ascii_case(root)) else {
        return Err(unknown(path, "whoisRecords"));
    };
    let Some((_, field)) = WHOIS_CONTACT_FIELDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(rest))
    else {
        return Err(unknown(path, "whoisRecords"));
    };
    let (sql, p) = json_equals(db, "whois.contacts", &format!("$.{role}.{field}"));
    sel.cond(sql, [p, t(value)]);
    Ok(())
}
