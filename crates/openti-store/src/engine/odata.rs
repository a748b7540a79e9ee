//! Glue between the read path and the dialect-neutral OData translation ([`crate::query`]):
//! `$filter` conditions on a [`Sel`], and the keyset-paged SELECT.
//!
//! The page query is
//! `SELECT * FROM (SELECT <cols>, <k0> AS _k0, … FROM … WHERE … [GROUP BY …]) AS _q
//!  [WHERE <after cursor>] ORDER BY _k0 …, _kN LIMIT ? OFFSET ?`
//! where the keys are the `$orderby` keys followed by the scope's default order (which always
//! ends on the primary key, so the order is total and a cursor names one position).

use crate::db::Row;
use crate::db::Value as SqlValue;
use openti_odata::CursorValue;

use super::read::Sel;
use crate::query::keyset::{self, default_keys};
use crate::query::translate::{SortKey, Translator};
use crate::query::{Dialect, Frag, Param, Sqlite};
use crate::{ListQuery, StoreError, StoreResult};

/// A bound parameter as a SQLite value.
pub(crate) fn value(p: &Param) -> SqlValue {
    match p {
        Param::Null => SqlValue::Null,
        Param::Int(i) => SqlValue::Int(*i),
        Param::Real(r) => SqlValue::Real(*r),
        Param::Text(s) => SqlValue::Text(s.clone()),
    }
}

/// Adds the query's `$filter` to `sel`.
pub(crate) fn apply_filter(d: &dyn Dialect, q: &ListQuery, sel: &mut Sel) -> StoreResult<()> {
    if let Some(f) = &q.filter {
        let frag = Translator::new(d, &q.scope).filter(f)?;
        sel.cond(frag.sql, frag.params.iter().map(value));
    }
    Ok(())
}

/// The effective sort keys and the cursor condition of a query.
pub(crate) struct Plan {
    dialect: &'static dyn Dialect,
    keys: Vec<SortKey>,
    after: Option<Frag>,
    fingerprint: String,
}

impl Plan {
    /// Builds the plan for `q` over a scope whose default order is `default_order`.
    pub(crate) fn new(
        dialect: &'static dyn Dialect,
        q: &ListQuery,
        default_order: &str,
    ) -> StoreResult<Plan> {
        let mut keys = match &q.orderby {
            Some(o) => Translator::new(dialect, &q.scope).order(o)?,
            None => Vec::new(),
        };
        keys.extend(default_keys(default_order));
        let fingerprint = keyset::fingerprint(dialect, q.scope.endpoint(), &keys);
        let after = match &q.cursor {
            None => None,
            Some(c) => {
                if c.order != fingerprint || c.values.len() != keys.len() {
                    return Err(StoreError::InvalidQuery(
                        "Invalid $skiptoken: it does not belong to this query (its $orderby or collection differs)."
                            .into(),
                    ));
                }
                Some(keyset::after(&keys, &c.values))
            }
        };
        Ok(Plan {
            dialect,
            keys,
            after,
            fingerprint,
        })
    }

    /// Number of sort keys.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The cursor for a row whose key values are `values`.
    pub(crate) fn cursor(&self, values: Vec<CursorValue>) -> openti_odata::Cursor {
        openti_odata::Cursor {
            order: self.fingerprint.clone(),
            values,
        }
    }

    /// The page SELECT and its parameters (`cols` and `body` from the [`Sel`]).
    pub(crate) fn page_sql(
        &self,
        cols: &str,
        body: &str,
        body_params: &[SqlValue],
        top: u32,
        skip: u64,
    ) -> (String, Vec<SqlValue>) {
        let mut params: Vec<SqlValue> = Vec::new();
        let mut inner = format!("SELECT {cols}");
        for (i, k) in self.keys.iter().enumerate() {
            inner.push_str(&format!(", {} AS {}", k.expr.sql, keyset::alias(i)));
            params.extend(k.expr.params.iter().map(value));
        }
        params.extend(body_params.iter().cloned());
        let mut sql = format!("SELECT * FROM ({inner} {body}) AS _q");
        if let Some(a) = &self.after {
            sql.push_str(" WHERE ");
            sql.push_str(&a.sql);
            params.extend(a.params.iter().map(value));
        }
        sql.push_str(" ORDER BY ");
        sql.push_str(&keyset::order_by(self.dialect, &self.keys));
        sql.push_str(" LIMIT ? OFFSET ?");
        params.push(SqlValue::Int(i64::from(top) + 1));
        params.push(SqlValue::Int(i64::try_from(skip).unwrap_or(i64::MAX)));
        (sql, params)
    }
}

/// Number of top-level comma-separated columns in a column list.
pub(crate) fn column_count(cols: &str) -> usize {
    let mut depth = 0i32;
    let mut n = 1;
    for c in cols.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => n += 1,
            _ => {}
        }
    }
    n
}

/// Reads the sort-key values at `start..start + n` of a row.
pub(crate) fn key_values(row: &Row, start: usize, n: usize) -> crate::db::Result<Vec<CursorValue>> {
    (start..start + n)
        .map(|i| {
            Ok(match row.value(i)? {
                SqlValue::Null => CursorValue::Null,
                SqlValue::Int(v) => CursorValue::Int(*v),
                SqlValue::Real(v) => CursorValue::Real(*v),
                SqlValue::Text(t) => CursorValue::Text(t.clone()),
                SqlValue::Blob(b) => CursorValue::Text(String::from_utf8_lossy(b).into_owned()),
            })
        })
        .collect()
}

/// The SQL (with `?` placeholders) and parameter count of a list query, without running it:
/// what the read path would prepare. For diagnostics and benchmarks.
pub fn explain(q: &ListQuery) -> StoreResult<(String, usize)> {
    let mut sel = Sel::new("x.id", "x", "x.id");
    apply_filter(&Sqlite, q, &mut sel)?;
    let plan = Plan::new(&Sqlite, q, "x.id")?;
    let (sql, params) = plan.page_sql("x.id", &sel.body(), sel.params_slice(), q.top, q.skip);
    Ok((sql, params.len()))
}
