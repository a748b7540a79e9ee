//! Write-behind of upserts inside a PostgreSQL transaction.
//!
//! The engine writes most facts with one `INSERT … VALUES (…) ON CONFLICT (…) DO UPDATE …` per
//! row. On SQLite that is an in-process call; on PostgreSQL it is a network round trip. Inside
//! a transaction, [`Pending`] holds such upserts back and sends each statement's rows as one
//! multi-row `VALUES (…), (…), …` statement when anything else must run: a query, another
//! kind of statement, the commit. The result is the same as running them one by one:
//!
//! * a statement's held rows never repeat a conflict key (a repeat flushes everything first,
//!   because `ON CONFLICT DO UPDATE` cannot touch one row twice in one statement), so each row
//!   merges into the table exactly as its own statement would;
//! * statements are flushed in the order they first appeared, so a row is written after the
//!   rows it references (certificates before host certificates, ports before banners);
//! * reads see every earlier write (queries flush first);
//! * a failure surfaces at the flush, inside the same transaction, which then rolls back whole.
//!
//! Only upserts whose conflict key columns are bare placeholders and whose `DO UPDATE` part
//! has no placeholders and no `RETURNING` are held; the executor reports one changed row for
//! each (the engine never reads the count of an upsert).

use std::collections::{HashMap, HashSet};

use super::Value;

/// Most rows per flushed statement.
const MAX_ROWS: usize = 500;
/// Most parameters per statement (PostgreSQL allows 65 535).
const MAX_PARAMS: usize = 30_000;

/// The shape of a bufferable upsert.
#[derive(Debug, Clone)]
pub struct Upsert {
    /// Text before the row tuple (`INSERT INTO t (…) VALUES `).
    head: String,
    /// The row tuple with `$1…$n`.
    tuple: String,
    /// Text after the tuple (`ON CONFLICT (…) DO UPDATE …`).
    tail: String,
    /// Placeholders in the tuple.
    params: usize,
    /// 0-based parameter indexes of the conflict key columns.
    keys: Vec<usize>,
}

fn top_level_list(s: &str) -> Option<(Vec<String>, usize)> {
    // `s` starts at '('; returns the comma-separated items and the index after ')'
    let mut depth = 0;
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quote = false;
    for (i, c) in s.char_indices() {
        if quote {
            cur.push(c);
            if c == '\'' {
                quote = false;
            }
            continue;
        }
        match c {
            '\'' => {
                quote = true;
                cur.push(c);
            }
            '(' => {
                depth += 1;
                if depth > 1 {
                    cur.push(c);
                }
            }
            ')' => {
                depth -= 1;
                if depth == 0 {
                    items.push(cur.trim().to_string());
                    return Some((items, i + 1));
                }
                cur.push(c);
            }
            ',' if depth == 1 => {
                items.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    None
}

fn placeholder(s: &str) -> Option<usize> {
    s.strip_prefix('$')?.parse().ok()
}

impl Upsert {
    /// The shape of `sql` (PostgreSQL text) if it is a bufferable upsert.
    pub fn parse(sql: &str) -> Option<Upsert> {
        let upper = sql.to_ascii_uppercase();
        if !upper.trim_start().starts_with("INSERT INTO") || upper.contains("RETURNING") {
            return None;
        }
        let values = upper.find(" VALUES")?;
        let open_cols = sql[..values].find('(')?;
        let (cols, _) = top_level_list(&sql[open_cols..values])?;
        let tuple_start = values + sql[values..].find('(')?;
        let (items, len) = top_level_list(&sql[tuple_start..])?;
        let tuple_end = tuple_start + len;
        let tail = &sql[tuple_end..];
        let tail_upper = tail.trim_start().to_ascii_uppercase();
        if !tail_upper.starts_with("ON CONFLICT (") || !tail_upper.contains("DO UPDATE") {
            return None;
        }
        if tail.contains('$') || items.len() != cols.len() {
            return None;
        }
        let conflict_open = tuple_end + tail.find('(')?;
        let (conflict, _) = top_level_list(&sql[conflict_open..])?;
        let mut keys = Vec::new();
        for k in &conflict {
            let pos = cols.iter().position(|c| c.eq_ignore_ascii_case(k))?;
            keys.push(placeholder(&items[pos])?.checked_sub(1)?);
        }
        let tuple = &sql[tuple_start..tuple_end];
        let params = tuple
            .split('$')
            .skip(1)
            .filter_map(|p| {
                p.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|d| d.parse::<usize>().ok())
            })
            .max()?;
        Some(Upsert {
            head: sql[..tuple_start].to_string(),
            tuple: tuple.to_string(),
            tail: tail.to_string(),
            params,
            keys,
        })
    }

    /// The tuple with placeholders shifted by `offset`.
    fn shifted(&self, offset: usize) -> String {
        let mut out = String::with_capacity(self.tuple.len() + 8);
        let mut chars = self.tuple.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                match n.parse::<usize>() {
                    Ok(k) => out.push_str(&format!("${}", k + offset)),
                    Err(_) => out.push('$'),
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The multi-row statement for `rows` rows.
    fn statement(&self, rows: usize) -> String {
        let mut sql = self.head.clone();
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&self.shifted(r * self.params));
        }
        sql.push_str(&self.tail);
        sql
    }
}

/// Upserts held back in the current transaction.
#[derive(Debug, Default)]
pub struct Pending {
    /// Statements in first-use order: shape and held parameter rows.
    stmts: Vec<(Upsert, Vec<Vec<Value>>)>,
    /// Portable SQL text → index in `stmts`.
    index: HashMap<String, usize>,
    /// (statement, conflict key) of every held row.
    keys: HashSet<(usize, String)>,
}

/// What [`Pending::hold`] decided.
pub enum Hold {
    /// The row is held.
    Held,
    /// The key repeats: flush the first `n` statements ([`Pending::drain_first`]), then call
    /// again.
    FlushFirst(usize),
}

impl Pending {
    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.stmts.iter().all(|(_, rows)| rows.is_empty())
    }

    /// Holds a row of the upsert `shape` (from portable text `sql`).
    pub fn hold(&mut self, sql: &str, shape: &Upsert, params: &[Value]) -> Hold {
        let i = match self.index.get(sql) {
            Some(i) => *i,
            None => {
                self.stmts.push((shape.clone(), Vec::new()));
                self.index.insert(sql.to_string(), self.stmts.len() - 1);
                self.stmts.len() - 1
            }
        };
        let key = format!(
            "{:?}",
            shape
                .keys
                .iter()
                .map(|k| params.get(*k))
                .collect::<Vec<_>>()
        );
        if !self.keys.insert((i, key)) {
            // this statement and every one that appeared before it (which its rows may
            // reference)
            return Hold::FlushFirst(i + 1);
        }
        self.stmts[i].1.push(params.to_vec());
        Hold::Held
    }

    /// Takes every held statement as (multi-row SQL, parameters) chunks, in order.
    pub fn drain(&mut self) -> Vec<(String, Vec<Value>)> {
        self.drain_first(self.stmts.len())
    }

    /// Takes the rows of the first `n` statements (in first-use order) as (multi-row SQL,
    /// parameters) chunks; later statements stay held with their rows.
    pub fn drain_first(&mut self, n: usize) -> Vec<(String, Vec<Value>)> {
        let n = n.min(self.stmts.len());
        let mut out = Vec::new();
        for (shape, rows) in self.stmts.iter_mut().take(n) {
            let rows = std::mem::take(rows);
            let per = (MAX_PARAMS / shape.params.max(1)).clamp(1, MAX_ROWS);
            for chunk in rows.chunks(per) {
                out.push((
                    shape.statement(chunk.len()),
                    chunk.iter().flatten().cloned().collect(),
                ));
            }
        }
        self.keys.retain(|(i, _)| *i >= n);
        // The statement order stays the transaction's first-use order (never reset before the
        // transaction ends): a referencing statement is always first used after the one it
        // references, so flushing a prefix never sends a row before the row it references.
        out
    }

    /// Forgets everything (the transaction ended).
    pub fn clear(&mut self) {
        self.stmts.clear();
        self.index.clear();
        self.keys.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQL: &str = "INSERT INTO trackers (host, kind, value, first_seen, last_seen, count) \
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (host, kind, value) DO UPDATE SET \
        count = trackers.count + excluded.count";

    #[test]
    fn upserts_become_multi_row_statements() {
        let u = Upsert::parse(SQL).expect("bufferable");
        assert_eq!(u.keys, vec![0, 1, 2]);
        assert_eq!(u.params, 6);
        let s = u.statement(2);
        assert!(
            s.contains("VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12) ON CONFLICT"),
            "{s}"
        );
    }

    #[test]
    fn other_statements_are_not_held() {
        assert!(Upsert::parse("INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING").is_none());
        assert!(Upsert::parse("UPDATE hosts SET asn = $2 WHERE id = $1").is_none());
        assert!(Upsert::parse(
            "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET b = $2"
        )
        .is_none());
        assert!(Upsert::parse(
            "INSERT INTO t (a, b) VALUES (lower($1), $2) ON CONFLICT (a) DO UPDATE SET b = excluded.b"
        )
        .is_none());
    }

    #[test]
    fn a_repeated_key_asks_for_a_flush() {
        let u = Upsert::parse(SQL).expect("bufferable");
        let mut p = Pending::default();
        let row = |v: &str| -> Vec<Value> {
            ["h", "k", v, "t1", "t2"]
                .iter()
                .map(|s| Value::Text(s.to_string()))
                .chain([Value::Int(1)])
                .collect()
        };
        assert!(matches!(p.hold(SQL, &u, &row("a")), Hold::Held));
        assert!(matches!(p.hold(SQL, &u, &row("b")), Hold::Held));
        assert!(matches!(p.hold(SQL, &u, &row("a")), Hold::FlushFirst(1)));
        let chunks = p.drain();
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].1.len(), 12);
        assert!(p.is_empty());
        assert!(matches!(p.hold(SQL, &u, &row("a")), Hold::Held));
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    const PORTS: &str = "INSERT INTO ports (host, port) VALUES ($1, $2) ON CONFLICT (host, port) DO UPDATE SET host = excluded.host";
    const BANNERS: &str = "INSERT INTO port_banners (host, port, banner) VALUES ($1, $2, $3) ON CONFLICT (host, port, banner) DO UPDATE SET host = excluded.host";

    fn texts(v: &[&str]) -> Vec<Value> {
        v.iter().map(|s| Value::Text(s.to_string())).collect()
    }

    /// A prefix flush never sends a referencing row before the row it references, even after
    /// every held row was flushed in between.
    #[test]
    fn statement_order_survives_flushes() {
        let (p_shape, b_shape) = (
            Upsert::parse(PORTS).unwrap(),
            Upsert::parse(BANNERS).unwrap(),
        );
        let mut p = Pending::default();
        assert!(matches!(
            p.hold(PORTS, &p_shape, &texts(&["h", "1"])),
            Hold::Held
        ));
        assert!(matches!(
            p.hold(BANNERS, &b_shape, &texts(&["h", "1", "x"])),
            Hold::Held
        ));
        let _ = p.drain();
        // banners first now, then ports: ports must still be flushed before banners
        assert!(matches!(
            p.hold(BANNERS, &b_shape, &texts(&["h", "2", "x"])),
            Hold::Held
        ));
        assert!(matches!(
            p.hold(PORTS, &p_shape, &texts(&["h", "2"])),
            Hold::Held
        ));
        let n = match p.hold(BANNERS, &b_shape, &texts(&["h", "2", "x"])) {
            Hold::FlushFirst(n) => n,
            Hold::Held => panic!("repeated key must flush"),
        };
        let sent = p.drain_first(n);
        assert!(sent[0].0.starts_with("INSERT INTO ports"), "{sent:?}");
        assert!(
            sent[1].0.starts_with("INSERT INTO port_banners"),
            "{sent:?}"
        );
    }
}
