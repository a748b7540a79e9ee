//! Condition evaluation: each condition either does not fire or fires with the template
//! variables that explain it.

use chrono::{DateTime, Duration, Utc};
use openti_model::evidence::{CertEvidence, HostEvidence, ListHit};
use openti_model::ids;

use super::dga;
use super::rules::Condition;

/// Template variables of one firing condition.
pub type Vars = Vec<(&'static str, String)>;

fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn recent(
    t: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    lt_days: i64,
) -> Option<(DateTime<Utc>, i64)> {
    let t = t?;
    (t <= now && now - t < Duration::days(lt_days)).then(|| (t, (now - t).num_days()))
}

fn list_vars(hits: Vec<&ListHit>) -> Option<Vars> {
    let first = hits.first()?;
    let mut lists: Vec<&str> = hits.iter().map(|h| h.list.as_str()).collect();
    lists.dedup();
    Some(vec![
        ("lists", lists.join(", ")),
        ("list", first.list.clone()),
        ("entry", first.entry.clone()),
    ])
}

fn cert_vars(c: &CertEvidence) -> Vars {
    let days = match (c.issued, c.expires) {
        (Some(i), Some(e)) => (e - i).num_days().to_string(),
        _ => String::new(),
    };
    vec![
        ("cert", c.id.clone()),
        ("issued", c.issued.map(date).unwrap_or_default()),
        ("expires", c.expires.map(date).unwrap_or_default()),
        ("days", days),
    ]
}

/// The label a name condition inspects, if the host is a name long enough.
fn label(ev: &HostEvidence, min_length: usize) -> Option<&str> {
    if ev.is_ip {
        return None;
    }
    let l = dga::registrable_label(&ev.host);
    (l.chars().count() >= min_length).then_some(l)
}

/// Evaluates `c` over `ev` at `now`.
pub fn eval(c: &Condition, ev: &HostEvidence, now: DateTime<Utc>) -> Option<Vars> {
    match c {
        Condition::ListedIndicator { sources } => {
            let hits: Vec<_> = ev
                .listed_in
                .iter()
                .filter(|l| sources.is_empty() || sources.contains(&l.source_kind))
                .collect();
            let first = hits.first()?;
            let listings: Vec<String> = hits
                .iter()
                .map(|l| format!("{} \"{}\"", l.source_kind, l.title))
                .collect();
            let set = if first.source_kind == "article" {
                "articles"
            } else {
                "intelProfiles"
            };
            Some(vec![
                ("listings", listings.join(", ")),
                ("set", set.into()),
                ("id", first.id.clone()),
                ("title", first.title.clone()),
                ("count", hits.len().to_string()),
            ])
        }
        Condition::Blocklisted { lists } => list_vars(
            ev.blocklisted
                .iter()
                .filter(|h| lists.is_empty() || lists.contains(&h.list))
                .collect(),
        ),
        Condition::Allowlisted { sources, lists } => list_vars(
            ev.allowlisted
                .iter()
                .filter(|h| sources.is_empty() || sources.contains(&h.source))
                .filter(|h| lists.is_empty() || lists.contains(&h.list))
                .collect(),
        ),
        Condition::DomainAgeDays { lt } => {
            let (t, days) = recent(ev.registered, now, *lt)?;
            Some(vec![("registered", date(t)), ("days", days.to_string())])
        }
        Condition::FirstSeenDays { lt } => {
            let (t, days) = recent(ev.first_seen, now, *lt)?;
            Some(vec![("first_seen", date(t)), ("days", days.to_string())])
        }
        Condition::NameEntropy { gt, min_length } => {
            let l = label(ev, *min_length)?;
            let e = dga::entropy(l);
            (e > *gt).then(|| vec![("label", l.to_string()), ("entropy", format!("{e:.2}"))])
        }
        Condition::DgaScore { gt, min_length } => {
            let l = label(ev, *min_length)?;
            let s = dga::dga_score(l);
            (s > *gt).then(|| vec![("label", l.to_string()), ("dga", format!("{s:.2}"))])
        }
        Condition::TldIn { tlds } => {
            if ev.is_ip {
                return None;
            }
            let tld = ev.host.rsplit('.').next()?;
            tlds.iter()
                .any(|t| t.trim_start_matches('.').eq_ignore_ascii_case(tld))
                .then(|| vec![("tld", tld.to_string())])
        }
        Condition::CertSelfSigned {} => ev
            .certificates
            .iter()
            .find(|c| c.self_signed)
            .map(cert_vars),
        Condition::CertExpired {} => ev
            .certificates
            .iter()
            .find(|c| {
                c.expires
                    .is_some_and(|e| e < c.last_served.unwrap_or(now).min(now))
            })
            .map(cert_vars),
        Condition::CertLifetimeDays { lt } => ev
            .certificates
            .iter()
            .find(|c| match (c.issued, c.expires) {
                (Some(i), Some(e)) => e >= i && e - i < Duration::days(*lt),
                _ => false,
            })
            .map(cert_vars),
        Condition::FastFlux {
            distinct_a,
            window_hours,
            min_asns,
        } => {
            let short: Vec<&str> = ev
                .resolutions
                .iter()
                .filter(|r| match (r.first_seen, r.last_seen) {
                    (Some(f), Some(l)) => l - f <= Duration::hours(*window_hours),
                    _ => false,
                })
                .map(|r| r.ip.as_str())
                .collect();
            if short.len() < *distinct_a || (ev.asns.len() as u64) < *min_asns {
                return None;
            }
            Some(vec![
                ("count", short.len().to_string()),
                ("window_hours", window_hours.to_string()),
                ("asns", ev.asns.len().to_string()),
                (
                    "addresses",
                    short.iter().take(5).copied().collect::<Vec<_>>().join(", "),
                ),
            ])
        }
        Condition::Shares {
            pivot,
            min_malicious,
            min_ratio,
        } => {
            let p = ev.pivots.iter().find(|p| {
                p.kind == pivot.key()
                    && p.malicious >= *min_malicious
                    && p.malicious as f64 >= *min_ratio * p.hosts.max(1) as f64
            })?;
            let value_id = if p.kind == "certificate" {
                ids::ssl_certificate(&p.value)
            } else {
                p.value.clone()
            };
            Some(vec![
                ("pivot", p.kind.clone()),
                ("value", p.value.clone()),
                ("value_id", value_id),
                ("malicious", p.malicious.to_string()),
                ("total", p.hosts.to_string()),
                ("hosts", p.examples.join(", ")),
            ])
        }
        Condition::OpenPortIn { ports } => {
            let open: Vec<String> = ev
                .open_ports
                .iter()
                .filter(|p| ports.contains(p))
                .map(i32::to_string)
                .collect();
            (!open.is_empty()).then(|| vec![("ports", open.join(", "))])
        }
    }
}
