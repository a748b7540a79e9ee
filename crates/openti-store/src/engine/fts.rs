//! Full-text search over articles and intelligence profiles (SQLite FTS5, PostgreSQL tsvector).
//!
//! Two external-content FTS5 tables index the text columns of `articles` (title, summary,
//! body, tags) and `intel_profiles` (title, aliases, targets, summary, description,
//! tradecraft). Triggers keep them in step with every insert, upsert and delete, so the store
//! maintains the index inside the same transaction as the rows.
//!
//! A `$search` text is turned into an FTS5 query by the store, never passed through: it is
//! split into words (letters and digits), each word becomes a quoted prefix term
//! (`"heron"*`), and all terms must match. FTS5 operators or quotes in the request are
//! therefore plain text, and the query string is a bound parameter.

/// Longest number of words used from one `$search`.
const MAX_TERMS: usize = 32;

/// The FTS5 query for a free-text `$search`: every word as a quoted prefix term, all required.
/// `None` when the text has no words (nothing can match).
pub fn match_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The PostgreSQL `tsquery` for a free-text `$search`: the same words as [`match_query`],
/// each a quoted prefix term (`'heron':*`), all required. Words are letters and digits only,
/// so no tsquery operator can come from the request.
pub fn tsquery(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .map(|w| format!("'{}':*", w.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_prefix_terms() {
        assert_eq!(
            match_query("Velvet HERON-1").as_deref(),
            Some("\"velvet\"* \"heron\"* \"1\"*")
        );
        assert_eq!(
            match_query("a\" OR x NEAR(").as_deref(),
            Some("\"a\"* \"or\"* \"x\"* \"near\"*")
        );
        assert_eq!(match_query("%_*\"'"), None);
    }
}
