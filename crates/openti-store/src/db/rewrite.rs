//! Rewrites the store's portable SQL text into PostgreSQL's spelling.
//!
//! The store writes one SQL text per statement in the common subset of SQLite and PostgreSQL,
//! plus a few SQLite spellings that are rewritten here at the token level (never inside string
//! literals or quoted identifiers):
//!
//! * `?` / `?N` placeholders → `$N` (bare `?` takes the next number, as in SQLite);
//! * `min(a, b)` / `max(a, b)` (scalar, two or more arguments) → `least` / `greatest`;
//! * `INSERT OR IGNORE INTO …` → `INSERT INTO … ON CONFLICT DO NOTHING`;
//! * `a IS b` / `a IS NOT b` (null-safe comparison) → `IS NOT DISTINCT FROM` / `IS DISTINCT FROM`;
//! * `instr(a, b)` → `strpos(a, b)`, `ifnull` → `coalesce`;
//! * `? IS [NOT] NULL` → `CAST($N AS text) IS [NOT] NULL` (nothing to infer its type from);
//! * in `INSERT INTO t … ON CONFLICT … DO UPDATE SET …`, bare references to `t`'s columns on
//!   the right-hand sides are qualified as `t.col` (PostgreSQL finds them ambiguous with
//!   `excluded.col`).

use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Quoted(String),
    Placeholder(Option<usize>),
    Punct(char),
    Space(String),
    Other(String),
}

fn lex(sql: &str) -> Vec<Tok> {
    let b: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            let s = i;
            while i < b.len() && b[i].is_whitespace() {
                i += 1;
            }
            out.push(Tok::Space(b[s..i].iter().collect()));
        } else if c == '-' && b.get(i + 1) == Some(&'-') {
            let s = i;
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            out.push(Tok::Space(b[s..i].iter().collect()));
        } else if c == '\'' || c == '"' {
            let s = i;
            i += 1;
            while i < b.len() {
                if b[i] == c {
                    if b.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            out.push(Tok::Quoted(b[s..i].iter().collect()));
        } else if c == '?' {
            i += 1;
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n = (i > s).then(|| b[s..i].iter().collect::<String>().parse().unwrap_or(0));
            out.push(Tok::Placeholder(n));
        } else if c.is_alphabetic() || c == '_' {
            let s = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(b[s..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '.') {
                i += 1;
            }
            out.push(Tok::Other(b[s..i].iter().collect()));
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
}

/// Index of the next non-space token at or after `i`.
fn next_sig(toks: &[Tok], mut i: usize) -> Option<usize> {
    while i < toks.len() {
        if !matches!(toks[i], Tok::Space(_)) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Index of the previous non-space token before `i`.
fn prev_sig(toks: &[Tok], i: usize) -> Option<usize> {
    (0..i).rev().find(|&j| !matches!(toks[j], Tok::Space(_)))
}

/// Whether the parenthesised list opening at `open` has a comma at its top level.
fn has_top_level_comma(toks: &[Tok], open: usize) -> bool {
    let mut depth = 0;
    for t in &toks[open..] {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    return false;
                }
            }
            Tok::Punct(',') if depth == 1 => return true,
            _ => {}
        }
    }
    false
}

/// Table name → column names, used to qualify upsert right-hand sides.
pub type Columns = HashMap<String, HashSet<String>>;

/// Rewrites one statement (see the module docs).
pub fn to_postgres(sql: &str, columns: &Columns) -> String {
    let mut toks = lex(sql);
    let mut next_param = 0usize;
    let mut or_ignore = false;
    // The upsert target and where its DO UPDATE SET clause starts.
    let mut insert_table: Option<String> = None;
    let mut set_start: Option<usize> = None;
    let n = toks.len();
    let mut i = 0;
    while i < n {
        match toks[i].clone() {
            Tok::Placeholder(p) => {
                let k = p.unwrap_or(next_param + 1);
                next_param = next_param.max(k);
                // `? IS [NOT] NULL` gives the server nothing to infer the type from
                let tested = next_sig(&toks, i + 1).is_some_and(|j| is_kw(&toks[j], "is"));
                toks[i] = Tok::Other(if tested {
                    format!("CAST(${k} AS text)")
                } else {
                    format!("${k}")
                });
            }
            Tok::Ident(id) => {
                let lower = id.to_ascii_lowercase();
                let next = next_sig(&toks, i + 1);
                let before = prev_sig(&toks, i);
                let after_dot = before.is_some_and(|j| toks[j] == Tok::Punct('.'));
                match lower.as_str() {
                    "min" | "max"
                        if !after_dot
                            && next.is_some_and(|j| toks[j] == Tok::Punct('('))
                            && has_top_level_comma(&toks, next.unwrap_or(0)) =>
                    {
                        toks[i] =
                            Tok::Ident(if lower == "min" { "least" } else { "greatest" }.into());
                    }
                    "instr" if next.is_some_and(|j| toks[j] == Tok::Punct('(')) => {
                        toks[i] = Tok::Ident("strpos".into());
                    }
                    "ifnull" if next.is_some_and(|j| toks[j] == Tok::Punct('(')) => {
                        toks[i] = Tok::Ident("coalesce".into());
                    }
                    "or" if before.is_some_and(|j| is_kw(&toks[j], "insert"))
                        && next.is_some_and(|j| is_kw(&toks[j], "ignore")) =>
                    {
                        // `INSERT OR IGNORE` → `INSERT`
                        let j = next.unwrap_or(i);
                        for t in toks.iter_mut().take(j + 1).skip(i) {
                            *t = Tok::Space(String::new());
                        }
                        or_ignore = true;
                    }
                    "into"
                        if before.is_some_and(|j| {
                            is_kw(&toks[j], "insert") || is_kw(&toks[j], "ignore")
                        }) =>
                    {
                        if let Some(j) = next {
                            if let Tok::Ident(t) = &toks[j] {
                                insert_table = Some(t.to_ascii_lowercase());
                            }
                        }
                    }
                    "is" => {
                        if let Some(j) = next {
                            let (neg, k) = if is_kw(&toks[j], "not") {
                                (true, next_sig(&toks, j + 1))
                            } else {
                                (false, Some(j))
                            };
                            let plain = k.is_some_and(|k| {
                                !["null", "true", "false", "distinct", "not"]
                                    .iter()
                                    .any(|kw| is_kw(&toks[k], kw))
                            });
                            if plain {
                                toks[i] = Tok::Other(
                                    if neg {
                                        "IS DISTINCT FROM"
                                    } else {
                                        "IS NOT DISTINCT FROM"
                                    }
                                    .into(),
                                );
                                if neg {
                                    toks[j] = Tok::Space(String::new());
                                }
                            }
                        }
                    }
                    "set"
                        if before.is_some_and(|j| is_kw(&toks[j], "update"))
                            && before
                                .and_then(|j| prev_sig(&toks, j))
                                .is_some_and(|j| is_kw(&toks[j], "do")) =>
                    {
                        set_start = Some(i + 1);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let (Some(table), Some(start)) = (&insert_table, set_start) {
        if let Some(cols) = columns.get(table) {
            qualify(&mut toks, start, table, cols);
        }
    }
    let mut out: String = toks.iter().map(render).collect();
    if or_ignore {
        let trimmed = out.trim_end().trim_end_matches(';').to_string();
        out = match find_returning(&trimmed) {
            Some(pos) => format!(
                "{} ON CONFLICT DO NOTHING {}",
                &trimmed[..pos],
                &trimmed[pos..]
            ),
            None => format!("{trimmed} ON CONFLICT DO NOTHING"),
        };
    }
    out
}

fn find_returning(sql: &str) -> Option<usize> {
    let upper = sql.to_ascii_uppercase();
    upper.rfind(" RETURNING ").map(|p| p + 1)
}

/// Qualifies bare column references of `table` after `start` (see the module docs).
fn qualify(toks: &mut [Tok], start: usize, table: &str, cols: &HashSet<String>) {
    let mut depth = 0i32;
    for i in start..toks.len() {
        match &toks[i] {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth -= 1,
            Tok::Ident(id) => {
                if depth == 0 && is_kw(&toks[i], "returning") {
                    return;
                }
                let lower = id.to_ascii_lowercase();
                if !cols.contains(&lower) {
                    continue;
                }
                let before = prev_sig(toks, i);
                let next = next_sig(toks, i + 1);
                if before.is_some_and(|j| toks[j] == Tok::Punct('.')) {
                    continue;
                }
                if next.is_some_and(|j| toks[j] == Tok::Punct('(') || toks[j] == Tok::Punct('.')) {
                    continue;
                }
                let lhs = depth == 0
                    && next.is_some_and(|j| toks[j] == Tok::Punct('='))
                    && before.is_some_and(|j| toks[j] == Tok::Punct(',') || is_kw(&toks[j], "set"));
                if !lhs {
                    toks[i] = Tok::Other(format!("{table}.{id}"));
                }
            }
            _ => {}
        }
    }
}

fn render(t: &Tok) -> String {
    match t {
        Tok::Ident(s) | Tok::Quoted(s) | Tok::Space(s) | Tok::Other(s) => s.clone(),
        Tok::Punct(c) => c.to_string(),
        Tok::Placeholder(_) => unreachable!("placeholders are rewritten"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Columns {
        let mut m = Columns::new();
        m.insert(
            "trackers".into(),
            ["host", "kind", "value", "first_seen", "last_seen", "count"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
        m
    }

    #[test]
    fn placeholders_number_like_sqlite() {
        assert_eq!(
            to_postgres("a = ? AND b = ?3 AND c = ? AND d = '?'", &cols()),
            "a = $1 AND b = $3 AND c = $4 AND d = '?'"
        );
    }

    #[test]
    fn upsert_right_hand_sides_are_qualified() {
        let sql = "INSERT INTO trackers (host, kind, value, first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                   ON CONFLICT (host, kind, value) DO UPDATE SET first_seen = min(coalesce(first_seen, excluded.first_seen), \
                   coalesce(excluded.first_seen, first_seen)), count = count + excluded.count";
        let pg = to_postgres(sql, &cols());
        assert!(pg.contains("first_seen = least(coalesce(trackers.first_seen, excluded.first_seen), coalesce(excluded.first_seen, trackers.first_seen))"), "{pg}");
        assert!(
            pg.contains("count = trackers.count + excluded.count"),
            "{pg}"
        );
        assert!(pg.contains("ON CONFLICT (host, kind, value)"), "{pg}");
    }

    #[test]
    fn sqlite_spellings() {
        let c = cols();
        assert_eq!(
            to_postgres("SELECT max(x) FROM t", &c),
            "SELECT max(x) FROM t"
        );
        assert_eq!(
            to_postgres("INSERT OR IGNORE INTO t (a) VALUES (?)", &c)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            to_postgres("a IS ? AND b IS NOT c AND d IS NOT NULL", &c)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            "a IS NOT DISTINCT FROM $1 AND b IS DISTINCT FROM c AND d IS NOT NULL"
        );
        assert_eq!(to_postgres("instr(a, ?) > 0", &c), "strpos(a, $1) > 0");
    }
}
