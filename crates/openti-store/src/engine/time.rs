//! Time and value conversions shared by the store modules.
//!
//! Times are stored as RFC 3339 UTC text of fixed width (`%Y-%m-%dT%H:%M:%S%.3fZ`) so that
//! text comparison is time comparison.

use crate::db::Row;
use chrono::{DateTime, SecondsFormat, Utc};

/// Fixed-width text of a time.
pub fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Fixed-width text of an optional time.
pub fn opt_text(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(to_text)
}

/// Now, as stored text.
pub fn now_text() -> String {
    to_text(Utc::now())
}

/// Parses stored time text.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Reads an optional time column.
pub fn col(row: &Row, idx: usize) -> crate::db::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = row.get(idx)?;
    match text {
        None => Ok(None),
        Some(s) => parse(&s)
            .map(Some)
            .ok_or_else(|| crate::db::Error::conversion(idx, format!("bad stored time {s:?}"))),
    }
}

/// Reads a JSON text column into a value of type `T` (NULL → `T::default()`).
pub fn json_col<T: serde::de::DeserializeOwned + Default>(
    row: &Row,
    idx: usize,
) -> crate::db::Result<T> {
    let text: Option<String> = row.get(idx)?;
    match text {
        None => Ok(T::default()),
        Some(s) => serde_json::from_str(&s).map_err(|e| crate::db::Error::conversion(idx, e)),
    }
}

/// Reads an optional JSON text column.
pub fn json_opt<T: serde::de::DeserializeOwned>(
    row: &Row,
    idx: usize,
) -> crate::db::Result<Option<T>> {
    let text: Option<String> = row.get(idx)?;
    match text {
        None => Ok(None),
        Some(s) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| crate::db::Error::conversion(idx, e)),
    }
}

/// JSON text of a serialisable value.
pub fn to_json<T: serde::Serialize>(v: &T) -> crate::StoreResult<String> {
    serde_json::to_string(v)
        .map_err(|e| crate::StoreError::Database(format!("cannot encode JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_round_trip() {
        let t: DateTime<Utc> = "2024-01-02T03:04:05Z".parse().expect("time");
        assert_eq!(to_text(t), "2024-01-02T03:04:05.000Z");
        assert_eq!(parse(&to_text(t)), Some(t));
        let later: DateTime<Utc> = "2024-01-02T03:04:05.5Z".parse().expect("time");
        assert!(to_text(t) < to_text(later));
    }
}
