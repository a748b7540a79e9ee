//! Finished-intelligence operations shared by the CLI and the HTTP API: adding a Markdown
//! article, and recomputing vulnerabilities' `priorityScore` after their facts changed.

use chrono::{DateTime, Utc};
use openti_analyze::priority::{input_from_graph, priority_score};
use openti_model::observation::VulnerabilityUpdate;
use openti_model::Observation;
use openti_store::{Batch, BatchOutcome, EntityKind, ListQuery, Scope, Store, StoreError};
use serde::Serialize;

use crate::markdown::article_from_markdown;

pub use openti_analyze::ioc::Allowlist;

/// Why an article was refused or could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    /// The Markdown is unusable (no title, bad front matter, …).
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What adding an article did.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleSummary {
    /// Article id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Indicators extracted (`type`, `value`).
    pub indicators: Vec<(String, String)>,
    /// CVE ids linked.
    pub cves: Vec<String>,
    /// Whether this exact text had been added before (nothing was written).
    pub unchanged: bool,
}

/// Parses and stores a Markdown article (idempotent: the batch key is the SHA-256 of the text),
/// then refreshes the priority of the CVEs it names.
pub async fn add_markdown_article(
    store: &dyn Store,
    text: &str,
    allow: &Allowlist,
    as_of: DateTime<Utc>,
) -> Result<ArticleSummary, ArticleError> {
    let (obs, extracted) = article_from_markdown(text, allow).map_err(ArticleError::Invalid)?;
    let Observation::Article { id, title, .. } = &obs else {
        return Err(ArticleError::Invalid("not an article".into()));
    };
    let summary = ArticleSummary {
        id: id.clone().unwrap_or_default(),
        title: title.clone(),
        indicators: extracted
            .indicators
            .iter()
            .map(|i| (i.kind.clone(), i.value.clone()))
            .collect(),
        cves: extracted.cves.clone(),
        unchanged: false,
    };
    let key = format!("markdown-article:{}", openti_model::ids::sha256_hex(text));
    let outcome = store
        .apply_batch(Batch {
            key: Some(key),
            observations: crate::stix::map::with_cve_links(obs),
        })
        .await?;
    refresh_priorities(store, &extracted.cves, as_of).await?;
    Ok(ArticleSummary {
        unchanged: outcome == BatchOutcome::AlreadyApplied,
        ..summary
    })
}

/// Recomputes `priorityScore` (see [`openti_analyze::priority`]) of the given CVEs from their
/// stored facts and linked articles; unknown CVEs are skipped. Returns how many were updated.
pub async fn refresh_priorities(
    store: &dyn Store,
    cves: &[String],
    as_of: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut updates = Vec::new();
    let mut total = 0;
    for cve in cves {
        let Some(v) = store.get(EntityKind::Vulnerability, cve).await? else {
            continue;
        };
        let articles = store
            .list(&ListQuery {
                count: true,
                top: 1,
                ..ListQuery::new(Scope::VulnerabilityArticles { cve: cve.clone() })
            })
            .await?
            .total
            .unwrap_or(0);
        let score = priority_score(&input_from_graph(&v, articles), as_of);
        if v.get("priorityScore").and_then(|p| p.as_i64()) != Some(i64::from(score)) {
            let mut u = VulnerabilityUpdate::new(cve.clone());
            u.priority_score = Some(score);
            updates.push(Observation::VulnerabilityUpdate(Box::new(u)));
        }
        if updates.len() >= 1000 {
            total += updates.len();
            store
                .apply_batch(Batch {
                    key: None,
                    observations: std::mem::take(&mut updates),
                })
                .await?;
        }
    }
    let n = updates.len();
    total += n;
    if n > 0 {
        store
            .apply_batch(Batch {
                key: None,
                observations: updates,
            })
            .await?;
    }
    Ok(total)
}
