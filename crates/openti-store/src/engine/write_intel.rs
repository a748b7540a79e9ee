//! Batch aggregation of WHOIS snapshots and finished intelligence (articles, profiles,
//! indicators, vulnerabilities).

use crate::db::{params, Conn, OptionalExtension};
use chrono::{DateTime, Utc};
use openti_model::observation::{Contact, Cvss, IndicatorRef, Link, Text};
use openti_model::{
    ids, ArtifactRef, CvssSummary, Hyperlink, IndicatorSource, Observation, PhysicalAddress,
    VulnerabilitySeverity, WhoisContact,
};
use serde::{Deserialize, Serialize};

use super::time::{opt_text, to_json};
use super::write::{merge_window, touch_host, W};
use crate::StoreResult;

/// WHOIS contacts by role, in Graph's `whoisContact` shape (stored as the `contacts` JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct WhoisContacts {
    pub abuse: Option<WhoisContact>,
    pub admin: Option<WhoisContact>,
    pub billing: Option<WhoisContact>,
    pub noc: Option<WhoisContact>,
    pub registrant: Option<WhoisContact>,
    pub registrar: Option<WhoisContact>,
    pub technical: Option<WhoisContact>,
    pub zone: Option<WhoisContact>,
}

/// The content of a WHOIS record (everything but the times it was seen). Its canonical JSON
/// is hashed into the history key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct WhoisSnapshot {
    pub server: Option<String>,
    pub raw: Option<String>,
    pub registered: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub status: Vec<String>,
    pub contacts: WhoisContacts,
    pub nameservers: Vec<String>,
}

fn contact(c: &Option<Box<Contact>>) -> Option<WhoisContact> {
    let c = c.as_ref()?;
    let address = PhysicalAddress {
        city: c.city.clone(),
        country_or_region: c.country.clone(),
        postal_code: c.postal_code.clone(),
        state: c.state.clone(),
        street: c.street.clone(),
    };
    Some(WhoisContact {
        name: c.name.clone(),
        organization: c.organization.clone(),
        email: c.email.clone(),
        telephone: c.telephone.clone(),
        fax: c.fax.clone(),
        address: (!address.is_empty()).then_some(address),
    })
}

fn party(c: &Option<Box<Contact>>) -> Option<String> {
    c.as_ref()
        .and_then(|c| c.organization.clone().or_else(|| c.name.clone()))
}

/// Merges a WHOIS snapshot: history row per distinct content, current row = newest.
pub(crate) fn whois(tx: &Conn<'_>, o: &Observation) -> StoreResult<()> {
    let Observation::Whois {
        domain,
        server,
        raw,
        registered,
        expires,
        updated,
        status,
        registrar,
        registrant,
        admin,
        technical,
        billing,
        noc,
        zone,
        abuse,
        nameservers,
        seen,
    } = o
    else {
        return Ok(());
    };
    let w = W::of(seen);
    touch_host(tx, domain, &w)?;
    let snap = WhoisSnapshot {
        server: server.clone(),
        raw: raw.clone(),
        registered: *registered,
        expires: *expires,
        updated: *updated,
        status: status.clone(),
        contacts: WhoisContacts {
            abuse: contact(abuse),
            admin: contact(admin),
            billing: contact(billing),
            noc: contact(noc),
            registrant: contact(registrant),
            registrar: contact(registrar),
            technical: contact(technical),
            zone: contact(zone),
        },
        nameservers: nameservers.clone(),
    };
    let snapshot = to_json(&snap)?;
    let hash = ids::sha256_hex(&snapshot);
    tx.prepare_cached(concat!(
        "INSERT INTO whois_history (host, content_hash, snapshot, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (host, content_hash) DO UPDATE SET ",
        merge_window!()
    ))?
    .execute(params![domain, hash, snapshot, w.first, w.last])?;

    let stored: Option<Option<String>> = tx
        .prepare_cached("SELECT seen_time FROM whois WHERE host = ?1")?
        .query_row([domain], |r| r.get(0))
        .optional()?;
    let replace = match (&stored, &w.last) {
        (None, _) | (Some(None), _) => true,
        (Some(Some(old)), Some(new)) => new >= old,
        (Some(Some(_)), None) => false,
    };
    if replace {
        tx.prepare_cached(concat!(
            "INSERT INTO whois (host, content_hash, seen_time, first_seen, last_seen, registered, expires, updated, \
             server, contacts, nameservers, snapshot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT (host) DO UPDATE SET content_hash = excluded.content_hash, seen_time = excluded.seen_time, \
             registered = excluded.registered, expires = excluded.expires, updated = excluded.updated, \
             server = excluded.server, contacts = excluded.contacts, nameservers = excluded.nameservers, \
             snapshot = excluded.snapshot, ",
            merge_window!()
        ))?
        .execute(params![
            domain,
            hash,
            w.last,
            w.first,
            w.last,
            opt_text(*registered),
            opt_text(*expires),
            opt_text(*updated),
            server,
            to_json(&snap.contacts)?,
            to_json(&snap.nameservers)?,
            snapshot
        ])?;
        tx.prepare_cached("UPDATE hosts SET registrar = ?2, registrant = ?3 WHERE id = ?1")?
            .execute(params![domain, party(registrar), party(registrant)])?;
    } else {
        tx.prepare_cached(concat!(
            "UPDATE whois SET ",
            "first_seen = min(coalesce(first_seen, ?2), coalesce(?2, first_seen)), \
             last_seen = max(coalesce(last_seen, ?3), coalesce(?3, last_seen)) WHERE host = ?1"
        ))?
        .execute(params![domain, w.first, w.last])?;
    }
    Ok(())
}

/// The artifact an indicator names.
pub(crate) fn artifact(kind: &str, value: &str) -> ArtifactRef {
    match kind {
        "hostname" | "ip" => ArtifactRef::Host(value.to_string()),
        _ => ArtifactRef::Unclassified {
            kind: kind.to_string(),
            value: value.to_string(),
        },
    }
}

fn source(r: &IndicatorRef) -> &'static str {
    r.source.unwrap_or(IndicatorSource::Osint).as_str()
}

pub(crate) fn text_parts(t: &Option<Text>) -> (Option<String>, Option<&'static str>) {
    match t.as_ref().map(Text::to_formatted) {
        Some(f) => (Some(f.content), Some(f.format.as_str())),
        None => (None, None),
    }
}

/// Upserts an article, replacing its embedded indicators and CVE links.
pub(crate) fn article(tx: &Conn<'_>, o: &Observation) -> StoreResult<()> {
    let Observation::Article {
        id,
        title,
        summary,
        body,
        tags,
        featured,
        image_url,
        created,
        updated,
        indicators,
        cves,
    } = o
    else {
        return Ok(());
    };
    let id = id.clone().unwrap_or_else(|| ids::article(title));
    let (summary, summary_format) = text_parts(summary);
    let (body, body_format) = text_parts(body);
    tx.prepare_cached(
        "INSERT INTO articles (id, title, summary, summary_format, body, body_format, tags, featured, image_url, \
         created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, summary = excluded.summary, \
         summary_format = excluded.summary_format, body = excluded.body, body_format = excluded.body_format, \
         tags = excluded.tags, featured = excluded.featured, image_url = excluded.image_url, \
         created = excluded.created, updated = excluded.updated",
    )?
    .execute(params![
        id,
        title,
        summary,
        summary_format,
        body,
        body_format,
        to_json(tags)?,
        featured,
        image_url,
        opt_text(*created),
        opt_text(*updated)
    ])?;
    tx.prepare_cached(
        "UPDATE article_indicators SET embedded = 0 WHERE article_id = ?1 AND linked = 1",
    )?
    .execute([&id])?;
    tx.prepare_cached("DELETE FROM article_indicators WHERE article_id = ?1 AND linked = 0")?
        .execute([&id])?;
    for r in indicators {
        article_indicator(tx, &id, r, true, &W::none())?;
    }
    tx.prepare_cached("DELETE FROM article_cves WHERE article_id = ?1")?
        .execute([&id])?;
    for c in cves {
        tx.prepare_cached("INSERT OR IGNORE INTO article_cves (article_id, cve) VALUES (?1, ?2)")?
            .execute(params![id, c])?;
    }
    Ok(())
}

fn indicator_host(tx: &Conn<'_>, r: &IndicatorRef, w: &W) -> StoreResult<()> {
    if r.kind == "hostname" || r.kind == "ip" {
        touch_host(tx, &r.value, w)?;
    }
    Ok(())
}

fn article_indicator(
    tx: &Conn<'_>,
    article_id: &str,
    r: &IndicatorRef,
    embedded: bool,
    w: &W,
) -> StoreResult<()> {
    indicator_host(tx, r, w)?;
    let id = ids::article_indicator(article_id, &artifact(&r.kind, &r.value).id());
    tx.prepare_cached(
        "INSERT INTO article_indicators (article_id, artifact_kind, artifact_value, source, id, embedded, linked) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (article_id, artifact_kind, artifact_value) DO UPDATE SET \
         source = excluded.source, embedded = max(embedded, excluded.embedded), linked = max(linked, excluded.linked)",
    )?
    .execute(params![article_id, r.kind, r.value, source(r), id, embedded, !embedded])?;
    Ok(())
}

fn profile_indicator(
    tx: &Conn<'_>,
    profile_id: &str,
    r: &IndicatorRef,
    embedded: bool,
    w: &W,
) -> StoreResult<()> {
    indicator_host(tx, r, w)?;
    let id = ids::profile_indicator(profile_id, &artifact(&r.kind, &r.value).id());
    tx.prepare_cached(concat!(
        "INSERT INTO profile_indicators (profile_id, artifact_kind, artifact_value, source, first_seen, last_seen, \
         id, embedded, linked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (profile_id, artifact_kind, artifact_value) DO UPDATE SET source = excluded.source, \
         embedded = max(embedded, excluded.embedded), linked = max(linked, excluded.linked), ",
        merge_window!()
    ))?
    .execute(params![profile_id, r.kind, r.value, source(r), w.first, w.last, id, embedded, !embedded])?;
    Ok(())
}

/// Upserts an intelligence profile, replacing its embedded indicators.
pub(crate) fn profile(tx: &Conn<'_>, o: &Observation) -> StoreResult<()> {
    let Observation::IntelProfile {
        id,
        profile_kind,
        title,
        aliases,
        targets,
        countries,
        first_active,
        summary,
        description,
        tradecraft,
        indicators,
    } = o
    else {
        return Ok(());
    };
    let id = id
        .clone()
        .unwrap_or_else(|| ids::intelligence_profile(profile_kind.as_str(), title));
    let (summary, summary_format) = text_parts(summary);
    let (description, description_format) = text_parts(description);
    let (tradecraft, tradecraft_format) = text_parts(tradecraft);
    tx.prepare_cached(
        "INSERT INTO intel_profiles (id, kind, title, aliases, targets, countries, first_active, summary, \
         summary_format, description, description_format, tradecraft, tradecraft_format) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title, aliases = excluded.aliases, \
         targets = excluded.targets, countries = excluded.countries, first_active = excluded.first_active, \
         summary = excluded.summary, summary_format = excluded.summary_format, description = excluded.description, \
         description_format = excluded.description_format, tradecraft = excluded.tradecraft, \
         tradecraft_format = excluded.tradecraft_format",
    )?
    .execute(params![
        id,
        profile_kind.as_str(),
        title,
        to_json(aliases)?,
        to_json(targets)?,
        to_json(countries)?,
        opt_text(*first_active),
        summary,
        summary_format,
        description,
        description_format,
        tradecraft,
        tradecraft_format
    ])?;
    tx.prepare_cached(
        "UPDATE profile_indicators SET embedded = 0 WHERE profile_id = ?1 AND linked = 1",
    )?
    .execute([&id])?;
    tx.prepare_cached("DELETE FROM profile_indicators WHERE profile_id = ?1 AND linked = 0")?
        .execute([&id])?;
    for r in indicators {
        profile_indicator(tx, &id, r, true, &W::none())?;
    }
    Ok(())
}

/// Adds one indicator link to a profile or an article (merging its window).
pub(crate) fn indicator(tx: &Conn<'_>, o: &Observation) -> StoreResult<()> {
    let Observation::Indicator {
        profile,
        article,
        artifact,
        seen,
    } = o
    else {
        return Ok(());
    };
    let w = if seen.window().is_some() {
        W::of(seen)
    } else {
        W::none()
    };
    if let Some(p) = profile {
        profile_indicator(tx, p, artifact, false, &w)?;
    }
    if let Some(a) = article {
        article_indicator(tx, a, artifact, false, &w)?;
    }
    Ok(())
}

pub(crate) fn v2_band(score: f64) -> VulnerabilitySeverity {
    if score < 4.0 {
        VulnerabilitySeverity::Low
    } else if score < 7.0 {
        VulnerabilitySeverity::Medium
    } else {
        VulnerabilitySeverity::High
    }
}

pub(crate) fn cvss(
    c: &Option<Cvss>,
    band: fn(f64) -> VulnerabilitySeverity,
) -> Option<CvssSummary> {
    c.as_ref().map(|c| CvssSummary {
        score: c.score,
        severity: c.severity.or(c.score.map(band)),
        vector_string: c.vector.clone(),
    })
}

pub(crate) fn links(l: &[Link]) -> Vec<Hyperlink> {
    l.iter()
        .map(|l| Hyperlink {
            name: l.name.clone(),
            url: Some(l.url.clone()),
        })
        .collect()
}

/// Upserts a vulnerability, replacing its components and article links.
pub(crate) fn vulnerability(tx: &Conn<'_>, o: &Observation) -> StoreResult<()> {
    let Observation::Vulnerability {
        id,
        severity,
        priority_score,
        cvss2,
        cvss3,
        cwe,
        description,
        remediation,
        exploits,
        references,
        exploits_available,
        active_exploits_observed,
        has_chatter,
        created,
        modified,
        published,
        components,
        articles,
    } = o
    else {
        return Ok(());
    };
    let id = ids::cve(id).unwrap_or_else(|| id.to_ascii_uppercase());
    let c2 = cvss(cvss2, v2_band);
    let c3 = cvss(cvss3, VulnerabilitySeverity::from_cvss3);
    let sev = severity
        .or(c3.as_ref().and_then(|c| c.severity))
        .or(c2.as_ref().and_then(|c| c.severity))
        .unwrap_or(VulnerabilitySeverity::None);
    let (description, description_format) = text_parts(description);
    let (remediation, remediation_format) = text_parts(remediation);
    let c2 = c2.as_ref().map(to_json).transpose()?;
    let c3 = c3.as_ref().map(to_json).transpose()?;
    tx.prepare_cached(
        "INSERT INTO vulnerabilities (id, severity, priority, cvss2, cvss3, cwe, description, description_format, \
         remediation, remediation_format, exploits, refs, exploits_available, active_exploits, has_chatter, \
         created, modified, published) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
         ?16, ?17, ?18) ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, priority = excluded.priority, \
         cvss2 = excluded.cvss2, cvss3 = excluded.cvss3, cwe = excluded.cwe, description = excluded.description, \
         description_format = excluded.description_format, remediation = excluded.remediation, \
         remediation_format = excluded.remediation_format, exploits = excluded.exploits, refs = excluded.refs, \
         exploits_available = excluded.exploits_available, active_exploits = excluded.active_exploits, \
         has_chatter = excluded.has_chatter, created = excluded.created, modified = excluded.modified, \
         published = excluded.published",
    )?
    .execute(params![
        id,
        sev.as_str(),
        priority_score,
        c2,
        c3,
        to_json(cwe)?,
        description,
        description_format,
        remediation,
        remediation_format,
        to_json(&links(exploits))?,
        to_json(&links(references))?,
        exploits_available,
        active_exploits_observed,
        has_chatter,
        opt_text(*created),
        opt_text(*modified),
        opt_text(*published)
    ])?;
    tx.prepare_cached("DELETE FROM vulnerability_components WHERE cve = ?1")?
        .execute([&id])?;
    for c in components {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO vulnerability_components (cve, name) VALUES (?1, ?2)",
        )?
        .execute(params![id, c])?;
    }
    tx.prepare_cached("DELETE FROM vulnerability_articles WHERE cve = ?1")?
        .execute([&id])?;
    for a in articles {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO vulnerability_articles (cve, article_id) VALUES (?1, ?2)",
        )?
        .execute(params![id, a])?;
    }
    Ok(())
}
