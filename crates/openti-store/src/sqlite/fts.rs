//! Full-text search (FTS5) over articles and intelligence profiles.
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

/// Migration 2: the FTS5 tables, their triggers and the initial index build.
pub const V2_FULL_TEXT: &str = r#"
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
