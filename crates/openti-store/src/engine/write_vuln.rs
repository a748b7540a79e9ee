//! Merging `vulnerability_update` observations: present scalars overwrite, absent ones keep the
//! stored value, list items are added (CWE ids, kept sorted; links by URL, a name filling a
//! nameless link; components, articles). An update
//! of an unknown CVE creates the row with the defaults of a bare vulnerability.

use crate::db::{params, Conn, OptionalExtension};
use openti_model::observation::VulnerabilityUpdate;
use openti_model::{Hyperlink, VulnerabilitySeverity};

use crate::engine::time::{opt_text, to_json};
use crate::engine::write_intel::{cvss, links, text_parts, v2_band};
use crate::{StoreError, StoreResult};

fn add_links(stored: &str, new: &[Hyperlink]) -> StoreResult<String> {
    let mut list: Vec<Hyperlink> = serde_json::from_str(stored).unwrap_or_default();
    for l in new {
        match list.iter_mut().find(|x| x.url == l.url) {
            // A name from any source fills a nameless link, so the result does not depend on
            // the order of the sources.
            Some(x) if x.name.is_none() => x.name = l.name.clone(),
            Some(_) => {}
            None => list.push(l.clone()),
        }
    }
    to_json(&list)
}

/// Merges one update into `vulnerabilities` and its component / article tables.
pub(crate) fn vulnerability_update(tx: &Conn<'_>, u: &VulnerabilityUpdate) -> StoreResult<()> {
    let id = u.id.to_ascii_uppercase();
    tx.prepare_cached(
        "INSERT INTO vulnerabilities (id, severity, cwe, exploits, refs, exploits_available, active_exploits, \
         has_chatter) VALUES (?1, 'none', '[]', '[]', '[]', 0, 0, 0) ON CONFLICT (id) DO NOTHING",
    )?
    .execute([&id])?;
    let (cwe, exploits, refs): (String, String, String) = tx
        .prepare_cached("SELECT cwe, exploits, refs FROM vulnerabilities WHERE id = ?1")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or_else(|| StoreError::Database(format!("vulnerability {id} vanished")))?;
    let mut cwes: Vec<String> = serde_json::from_str(&cwe).unwrap_or_default();
    for c in &u.cwe {
        if !cwes.contains(c) {
            cwes.push(c.clone());
        }
    }
    cwes.sort();
    let c2 = cvss(&u.cvss2, v2_band);
    let c3 = cvss(&u.cvss3, VulnerabilitySeverity::from_cvss3);
    let sev3 = c3.as_ref().and_then(|c| c.severity).map(|s| s.as_str());
    let sev2 = c2.as_ref().and_then(|c| c.severity).map(|s| s.as_str());
    let (description, description_format) = text_parts(&u.description);
    let (remediation, remediation_format) = text_parts(&u.remediation);
    tx.prepare_cached(
        "UPDATE vulnerabilities SET \
         severity = coalesce(?2, ?3, CASE WHEN cvss3 IS NULL THEN ?4 END, severity), \
         priority = coalesce(?5, priority), cvss2 = coalesce(?6, cvss2), cvss3 = coalesce(?7, cvss3), \
         cwe = ?8, description = coalesce(?9, description), \
         description_format = coalesce(?10, description_format), remediation = coalesce(?11, remediation), \
         remediation_format = coalesce(?12, remediation_format), exploits = ?13, refs = ?14, \
         exploits_available = coalesce(?15, exploits_available), active_exploits = coalesce(?16, active_exploits), \
         has_chatter = coalesce(?17, has_chatter), created = coalesce(?18, created), \
         modified = coalesce(?19, modified), published = coalesce(?20, published) WHERE id = ?1",
    )?
    .execute(params![
        id,
        u.severity.map(|s| s.as_str()),
        sev3,
        sev2,
        u.priority_score,
        c2.as_ref().map(to_json).transpose()?,
        c3.as_ref().map(to_json).transpose()?,
        to_json(&cwes)?,
        description,
        description_format,
        remediation,
        remediation_format,
        add_links(&exploits, &links(&u.exploits))?,
        add_links(&refs, &links(&u.references))?,
        u.exploits_available,
        u.active_exploits_observed,
        u.has_chatter,
        opt_text(u.created),
        opt_text(u.modified),
        opt_text(u.published)
    ])?;
    for c in &u.components {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO vulnerability_components (cve, name) VALUES (?1, ?2)",
        )?
        .execute(params![id, c])?;
    }
    for a in &u.articles {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO vulnerability_articles (cve, article_id) VALUES (?1, ?2)",
        )?
        .execute(params![id, a])?;
    }
    Ok(())
}
