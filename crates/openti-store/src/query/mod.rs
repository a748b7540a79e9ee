//! Translation of the validated OData AST (`openti_odata`) into parameterised SQL.
//!
//! * [`Dialect`] abstracts the SQL that differs between backends (JSON access, array
//!   unnesting, null-safe equality, string functions, `NULLS FIRST/LAST`). [`Sqlite`] is the
//!   dialect of the SQLite backend, [`Postgres`] that of the PostgreSQL backend.
//! * [`fields`] maps, per [`crate::Scope`], the schema's property paths to SQL expressions over
//!   the store's tables.
//! * [`translate`] turns a `$filter` into a WHERE fragment and `$orderby` keys into sort keys.
//! * [`keyset`] builds the keyset (cursor) condition and the cursor fingerprint.
//!
//! Every value that comes from a request (literals, JSON paths derived from validated property
//! names, cursor values) is a bound parameter; the SQL text is assembled only from fixed
//! fragments chosen by the typed AST. Placeholders are anonymous `?` in text order; a backend
//! whose driver wants numbered placeholders renumbers them when it prepares the statement.

pub mod fields;
mod idmap;
pub mod keyset;
pub mod translate;

use chrono::{DateTime, SecondsFormat, Utc};

/// A bound parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// NULL
    Null,
    /// An integer.
    Int(i64),
    /// A real.
    Real(f64),
    /// Text.
    Text(String),
}

/// A piece of SQL and the parameters of its `?` placeholders, in text order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frag {
    /// SQL text.
    pub sql: String,
    /// Parameters.
    pub params: Vec<Param>,
}

impl Frag {
    /// A fragment without parameters.
    pub fn raw(sql: impl Into<String>) -> Self {
        Frag {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// A single placeholder.
    pub fn param(p: Param) -> Self {
        Frag {
            sql: "?".into(),
            params: vec![p],
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends another fragment (text and parameters).
    pub fn append(&mut self, other: &Frag) -> &mut Self {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params.iter().cloned());
        self
    }

    /// Builds a fragment from a template whose `{}` markers are replaced by `parts` in order.
    pub fn template(template: &str, parts: &[&Frag]) -> Frag {
        let mut out = Frag::default();
        let mut it = parts.iter();
        let mut pieces = template.split("{}").peekable();
        while let Some(piece) = pieces.next() {
            out.push(piece);
            if pieces.peek().is_some() {
                if let Some(p) = it.next() {
                    out.append(p);
                }
            }
        }
        out
    }
}

/// The SQL that differs between backends. Fragments returned here may contain `?`
/// placeholders whose parameters travel in the [`Frag`].
pub trait Dialect: Send + Sync {
    /// Backend name (for cursor fingerprints and diagnostics).
    fn name(&self) -> &'static str;
    /// The scalar at `path` (Graph property names) inside the JSON text/document `json`.
    fn json_value(&self, json: &Frag, path: &[&str]) -> Frag;
    /// A FROM item that unnests the JSON array `array` as rows aliased `alias`.
    fn json_elements(&self, array: &Frag, alias: &str) -> Frag;
    /// The value of the current element of [`Dialect::json_elements`] (scalar elements).
    fn element(&self, alias: &str) -> Frag;
    /// The JSON document of the current element (object elements), for [`Dialect::json_value`].
    fn element_json(&self, alias: &str) -> Frag;
    /// Null-safe equality (`negate` for inequality).
    fn null_safe_eq(&self, a: &Frag, b: &Frag, negate: bool) -> Frag;
    /// `part` occurs in `text`.
    fn contains(&self, text: &Frag, part: &Frag) -> Frag;
    /// `text` starts with `part`.
    fn starts_with(&self, text: &Frag, part: &Frag) -> Frag;
    /// `text` ends with `part`.
    fn ends_with(&self, text: &Frag, part: &Frag) -> Frag;
    /// A boolean-valued expression as a condition.
    fn truthy(&self, e: &Frag) -> Frag;
    /// `coalesce(cond, false)` — two-valued logic under `NOT`.
    fn definitely(&self, cond: &Frag) -> Frag;
    /// One ORDER BY term with NULLs sorting lowest (first ascending, last descending) on
    /// every backend, which the keyset condition relies on.
    fn order_term(&self, expr: &str, desc: bool) -> String;
    /// A numeric property's value as a number (JSON documents hold numbers as text on
    /// PostgreSQL; SQLite's `json_extract` already returns numbers).
    fn number(&self, e: &Frag) -> Frag {
        e.clone()
    }
    /// A boolean property's value as 0/1 (JSON `true`/`false` on PostgreSQL).
    fn flag(&self, e: &Frag) -> Frag {
        e.clone()
    }
    /// A date-time parameter in the stored representation.
    fn time(&self, t: DateTime<Utc>) -> Param;
    /// A boolean parameter in the stored representation.
    fn boolean(&self, b: bool) -> Param;
}

/// SQLite (JSON1 functions; times stored as fixed-width RFC 3339 text; booleans as 0/1).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

/// PostgreSQL (JSON documents stored as text and read through `jsonb`; times as fixed-width
/// RFC 3339 text and booleans as 0/1, as on SQLite; `IS [NOT] DISTINCT FROM`; explicit
/// `NULLS FIRST/LAST`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

fn json_path(path: &[&str]) -> String {
    let mut s = String::from("$");
    for p in path {
        s.push('.');
        s.push_str(p);
    }
    s
}

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn json_value(&self, json: &Frag, path: &[&str]) -> Frag {
        if path.is_empty() {
            return json.clone();
        }
        let p = Frag::param(Param::Text(json_path(path)));
        Frag::template("json_extract({}, {})", &[json, &p])
    }
    fn json_elements(&self, array: &Frag, alias: &str) -> Frag {
        Frag::template(&format!("json_each({{}}) AS {alias}"), &[array])
    }
    fn element(&self, alias: &str) -> Frag {
        Frag::raw(format!("{alias}.value"))
    }
    fn element_json(&self, alias: &str) -> Frag {
        Frag::raw(format!("{alias}.value"))
    }
    fn null_safe_eq(&self, a: &Frag, b: &Frag, negate: bool) -> Frag {
        let t = if negate {
            "({} IS NOT {})"
        } else {
            "({} IS {})"
        };
        Frag::template(t, &[a, b])
    }
    fn contains(&self, text: &Frag, part: &Frag) -> Frag {
        Frag::template("(instr({}, {}) > 0)", &[text, part])
    }
    fn starts_with(&self, text: &Frag, part: &Frag) -> Frag {
        Frag::template("(substr({}, 1, length({})) = {})", &[text, part, part])
    }
    fn ends_with(&self, text: &Frag, part: &Frag) -> Frag {
        Frag::template(
            "(CASE WHEN length({}) = 0 THEN {} IS NOT NULL ELSE substr({}, -length({})) = {} END)",
            &[part, text, text, part, part],
        )
    }
    fn truthy(&self, e: &Frag) -> Frag {
        Frag::template("({} = 1)", &[e])
    }
    fn definitely(&self, cond: &Frag) -> Frag {
        Frag::template("coalesce({}, 0)", &[cond])
    }
    fn order_term(&self, expr: &str, desc: bool) -> String {
        if desc {
            format!("{expr} DESC")
        } else {
            expr.to_string()
        }
    }
    fn time(&self, t: DateTime<Utc>) -> Param {
        Param::Text(t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
    fn boolean(&self, b: bool) -> Param {
        Param::Int(i64::from(b))
    }
}

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn json_value(&self, json: &Frag, path: &[&str]) -> Frag {
        if path.is_empty() {
            return json.clone();
        }
        let p = Frag::param(Param::Text(format!("{{{}}}", path.join(","))));
        Frag::template("(({})::jsonb #>> CAST({} AS text)::text[])", &[json, &p])
    }
    fn json_elements(&self, array: &Frag, alias: &str) -> Frag {
        Frag::template(
            &format!("jsonb_array_elements(({{}})::jsonb) WITH ORDINALITY AS {alias}(value, n)"),
            &[array],
        )
    }
    fn element(&self, alias: &str) -> Frag {
        Frag::raw(format!("({alias}.value #>> '{{}}')"))
    }
    fn element_json(&self, alias: &str) -> Frag {
        Frag::raw(format!("{alias}.value"))
    }
    fn null_safe_eq(&self, a: &Frag, b: &Frag, negate: bool) -> Frag {
        let t = if negate {
            "({} IS DISTINCT FROM {})"
        } else {
            "({} IS NOT DISTINCT FROM {})"
        };
        Frag::template(t, &[a, b])
    }
    fn contains(&self, text: &Frag, part: &Frag) -> Frag {
        Frag::template("(strpos({}, {}) > 0)", &[text, part])
    }
    fn starts_with(&self, text: &Frag, part: &Frag) -> Frag {
        Frag::template("starts_with({}, {})", &[text, part])
    }
    fn ends_with(&self, text: &Frag, part: &Frag) -> Frag {
        Frag::template("(right({}, length({})) = {})", &[text, part, part])
    }
    fn truthy(&self, e: &Frag) -> Frag {
        Frag::template("({} = 1)", &[e])
    }
    fn definitely(&self, cond: &Frag) -> Frag {
        Frag::template("coalesce({}, false)", &[cond])
    }
    fn order_term(&self, expr: &str, desc: bool) -> String {
        if desc {
            format!("{expr} DESC NULLS LAST")
        } else {
            format!("{expr} ASC NULLS FIRST")
        }
    }
    fn number(&self, e: &Frag) -> Frag {
        Frag::template("CAST(CAST({} AS text) AS double precision)", &[e])
    }
    fn flag(&self, e: &Frag) -> Frag {
        Frag::template(
            "(CASE CAST({} AS text) WHEN 'true' THEN 1 WHEN '1' THEN 1 WHEN 'false' THEN 0 WHEN '0' THEN 0 END)",
            &[e],
        )
    }
    fn time(&self, t: DateTime<Utc>) -> Param {
        Param::Text(t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
    fn boolean(&self, b: bool) -> Param {
        Param::Int(i64::from(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_keep_parameter_order() {
        let a = Frag::param(Param::Int(1));
        let b = Frag::param(Param::Int(2));
        let f = Frag::template("f({}, {}, {})", &[&a, &b, &a]);
        assert_eq!(f.sql, "f(?, ?, ?)");
        assert_eq!(f.params, vec![Param::Int(1), Param::Int(2), Param::Int(1)]);
        let s = Sqlite.ends_with(&Frag::raw("t"), &b);
        assert_eq!(s.sql.matches('?').count(), s.params.len());
        let p = Postgres.json_value(&Frag::raw("c.issuer"), &["address", "city"]);
        assert_eq!(p.params, vec![Param::Text("{address,city}".into())]);
    }
}
