//! The NDJSON observation reader: one JSON object per line with a `kind` field.

use openti_model::Observation;
use serde::Serialize;

/// A rejected input line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number in the input.
    pub line: u64,
    /// What is wrong with it.
    pub message: String,
}

/// Parses and normalises one line. Blank lines (and lines starting with `#`) yield `None`.
pub fn parse_line(text: &str) -> Option<Result<Observation, String>> {
    let t = text.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let parsed: Result<Observation, String> = match serde_json::from_str::<serde_json::Value>(t) {
        Err(e) => Err(format!("invalid JSON: {e}")),
        Ok(v) if !v.is_object() => Err("expected a JSON object".to_string()),
        Ok(v) => {
            if v.get("kind").and_then(|k| k.as_str()).is_none() {
                Err("missing string field `kind`".to_string())
            } else if let Some(e) = check_times(&v) {
                Err(e)
            } else {
                serde_json::from_value::<Observation>(v).map_err(|e| describe(&e.to_string()))
            }
        }
    };
    Some(parsed.and_then(|o| {
        let kind = o.kind_name();
        o.normalize().map_err(|e| format!("{kind}: {e}"))
    }))
}

/// Top-level fields that hold RFC 3339 times in some observation kind.
const TIME_FIELDS: &[&str] = &[
    "time",
    "first_seen",
    "last_seen",
    "issued",
    "expires",
    "registered",
    "updated",
    "created",
    "modified",
    "published",
    "first_active",
];

/// Names the first time field that is not RFC 3339 (serde's own message loses the field name
/// inside flattened structs).
fn check_times(v: &serde_json::Value) -> Option<String> {
    TIME_FIELDS.iter().find_map(|f| match v.get(*f) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => None,
        Some(other) => Some(format!(
            "field `{f}`: invalid date-time {other}, expected RFC 3339 such as \"2024-01-31T12:00:00Z\""
        )),
    })
}

fn describe(serde_msg: &str) -> String {
    if serde_msg.starts_with("unknown variant") {
        // "unknown variant `x`, expected one of ..."
        format!("unknown kind: {serde_msg}")
    } else {
        serde_msg.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified() {
        assert!(parse_line("   ").is_none());
        assert!(parse_line("# comment").is_none());
        assert!(parse_line("{")
            .unwrap()
            .unwrap_err()
            .starts_with("invalid JSON"));
        assert_eq!(
            parse_line("[1]").unwrap().unwrap_err(),
            "expected a JSON object"
        );
        assert!(parse_line(r#"{"kind":"bogus"}"#)
            .unwrap()
            .unwrap_err()
            .starts_with("unknown kind"));
        let bad_time = parse_line(
            r#"{"kind":"dns","name":"a.test","type":"A","value":"192.0.2.1","time":"yesterday"}"#,
        );
        assert!(bad_time.unwrap().unwrap_err().contains("field `time`"));
        assert!(parse_line(r#"{"x":1}"#)
            .unwrap()
            .unwrap_err()
            .contains("kind"));
        let bad_ip = parse_line(
            r#"{"kind":"dns","name":"a.test","type":"A","value":"1.2.3","time":"2024-01-01T00:00:00Z"}"#,
        );
        assert!(bad_ip.unwrap().unwrap_err().contains("invalid IP"));
        let ok = parse_line(
            r#"{"kind":"cookie","host":"a.test","name":"sid","domain":".a.test","time":"2024-01-01T00:00:00Z"}"#,
        );
        assert!(ok.unwrap().is_ok());
    }
}
