//! Keyset paging: the effective sort order, the "after this row" condition and the cursor
//! fingerprint.
//!
//! Sort keys are selected as `_k0.._kN` next to the entity's columns; the condition compares
//! those aliases with the cursor's values. Every backend orders NULL lowest (see
//! [`Dialect::order_term`]), so "after" is: ascending `k > v` (or `k IS NOT NULL` when `v` is
//! NULL), descending `k < v OR k IS NULL` (nothing when `v` is NULL).

use openti_odata::CursorValue;
use sha2::{Digest, Sha256};

use super::translate::SortKey;
use super::{Dialect, Frag, Param};

/// Parses a fixed default order (`"h.last_seen DESC, h.id"`) into sort keys.
pub fn default_keys(order: &str) -> Vec<SortKey> {
    order
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|term| match term.strip_suffix(" DESC") {
            Some(e) => SortKey {
                expr: Frag::raw(e.trim()),
                desc: true,
            },
            None => SortKey {
                expr: Frag::raw(term.strip_suffix(" ASC").unwrap_or(term).trim()),
                desc: false,
            },
        })
        .collect()
}

/// The alias of sort key `i`.
pub fn alias(i: usize) -> String {
    format!("_k{i}")
}

/// Fingerprint of an effective order on an endpoint (stored in the cursor so that a token is
/// only accepted by the query shape that issued it).
pub fn fingerprint(d: &dyn Dialect, endpoint: &str, keys: &[SortKey]) -> String {
    let mut h = Sha256::new();
    h.update(d.name());
    h.update([0]);
    h.update(endpoint);
    for k in keys {
        h.update([0]);
        h.update(&k.expr.sql);
        h.update(if k.desc { "-" } else { "+" });
        for p in &k.expr.params {
            h.update(format!("{p:?}"));
        }
    }
    hex::encode(&h.finalize()[..8])
}

fn param(v: &CursorValue) -> Param {
    match v {
        CursorValue::Null => Param::Null,
        CursorValue::Int(i) => Param::Int(*i),
        CursorValue::Real(r) => Param::Real(*r),
        CursorValue::Text(s) => Param::Text(s.clone()),
    }
}

/// The condition "the row sorts after the cursor" over the aliases `_k0..`.
pub fn after(keys: &[SortKey], values: &[CursorValue]) -> Frag {
    let mut out = Frag::raw("(");
    let mut first = true;
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        let a = alias(i);
        let step = match (k.desc, v) {
            (true, CursorValue::Null) => continue,
            (false, CursorValue::Null) => Frag::raw(format!("{a} IS NOT NULL")),
            (false, v) => Frag::template(&format!("{a} > {{}}"), &[&Frag::param(param(v))]),
            (true, v) => Frag::template(
                &format!("({a} < {{}} OR {a} IS NULL)"),
                &[&Frag::param(param(v))],
            ),
        };
        if !first {
            out.push(" OR ");
        }
        first = false;
        out.push("(");
        for (j, pv) in values.iter().enumerate().take(i) {
            let b = alias(j);
            match pv {
                CursorValue::Null => out.push(&format!("{b} IS NULL AND ")),
                v => out
                    .push(&format!("{b} = "))
                    .append(&Frag::param(param(v)))
                    .push(" AND "),
            };
        }
        out.append(&step).push(")");
    }
    if first {
        return Frag::raw("(1 = 0)");
    }
    out.push(")");
    out
}

/// ORDER BY over the aliases.
pub fn order_by(d: &dyn Dialect, keys: &[SortKey]) -> String {
    keys.iter()
        .enumerate()
        .map(|(i, k)| d.order_term(&alias(i), k.desc))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Sqlite;

    #[test]
    fn parses_default_orders() {
        let k = default_keys("max(hc.last_seen) DESC, hc.host, hc.sha1");
        assert_eq!(k.len(), 3);
        assert!(k[0].desc && !k[1].desc);
        assert_eq!(k[0].expr.sql, "max(hc.last_seen)");
        assert_eq!(order_by(&Sqlite, &k), "_k0 DESC, _k1, _k2");
    }

    #[test]
    fn after_condition() {
        let k = default_keys("a DESC, b");
        let f = after(&k, &[CursorValue::Text("t".into()), CursorValue::Int(3)]);
        assert_eq!(
            f.sql,
            "(((_k0 < ? OR _k0 IS NULL)) OR (_k0 = ? AND _k1 > ?))"
        );
        assert_eq!(f.params.len(), 3);
        let f = after(&k, &[CursorValue::Null, CursorValue::Int(3)]);
        assert_eq!(f.sql, "((_k0 IS NULL AND _k1 > ?))");
    }
}
