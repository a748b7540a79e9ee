//! The opaque `$skiptoken`: a keyset cursor.
//!
//! A cursor holds the values of the active sort keys of the last row served (the last keys
//! always identify the row uniquely) plus a fingerprint of the sort order it belongs to. On
//! the wire it is `1` (format version) followed by URL-safe base64 (no padding) of
//! `checksum(8 bytes) || JSON payload`, where the checksum is the first 8 bytes of
//! SHA-256("openti-skiptoken" || payload). Anything that does not decode, has the wrong
//! version, fails the checksum or has a malformed payload is refused with a 400. The cursor only
//! positions a page in a query the client is allowed to run anyway, and its values are bound
//! as SQL parameters, so a forged cursor cannot reveal anything a request without it could
//! not; the checksum is there to reject garbage early and clearly.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{ODataError, QueryOption};

/// Current token format version.
pub const VERSION: char = '1';
/// Longest token accepted.
pub const MAX_TOKEN: usize = 4096;

/// One sort-key value, as the store read it.
#[derive(Debug, Clone, PartialEq)]
pub enum CursorValue {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A finite real.
    Real(f64),
    /// Text.
    Text(String),
}

// Reals are finite (checked on decode), so equality is total.
impl Eq for CursorValue {}

/// A decoded keyset cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Fingerprint of the sort order (scope and keys) the values belong to.
    pub order: String,
    /// Sort-key values of the last row served, in sort-key order.
    pub values: Vec<CursorValue>,
}

fn checksum(payload: &[u8]) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(b"openti-skiptoken");
    h.update(payload);
    let d = h.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

impl Cursor {
    /// The `$skiptoken` text.
    pub fn encode(&self) -> String {
        let values: Vec<Value> = self
            .values
            .iter()
            .map(|v| match v {
                CursorValue::Null => Value::Null,
                CursorValue::Int(i) => json!({ "i": i }),
                CursorValue::Real(r) => json!({ "r": r }),
                CursorValue::Text(s) => json!({ "s": s }),
            })
            .collect();
        let payload = json!({ "o": self.order, "v": values }).to_string();
        let mut bytes = checksum(payload.as_bytes()).to_vec();
        bytes.extend_from_slice(payload.as_bytes());
        format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Parses and checks a `$skiptoken`.
    pub fn decode(token: &str) -> Result<Cursor, ODataError> {
        let bad = |m: &str| ODataError::new(QueryOption::SkipToken, format!("the token is {m}"));
        if token.len() > MAX_TOKEN {
            return Err(bad("too long"));
        }
        let rest = token
            .strip_prefix(VERSION)
            .ok_or_else(|| bad("not a token issued by this server (unknown version)"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(rest)
            .map_err(|_| bad("not valid base64"))?;
        if bytes.len() < 9 {
            return Err(bad("truncated"));
        }
        let (sum, payload) = bytes.split_at(8);
        if sum != checksum(payload) {
            return Err(bad("corrupted (checksum mismatch)"));
        }
        let v: Value = serde_json::from_slice(payload).map_err(|_| bad("malformed"))?;
        let order = v
            .get("o")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("malformed"))?
            .to_string();
        let values = v
            .get("v")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("malformed"))?
            .iter()
            .map(|x| match x {
                Value::Null => Some(CursorValue::Null),
                Value::Object(o) if o.len() == 1 => {
                    if let Some(i) = o.get("i") {
                        i.as_i64().map(CursorValue::Int)
                    } else if let Some(r) = o.get("r") {
                        r.as_f64().filter(|f| f.is_finite()).map(CursorValue::Real)
                    } else {
                        o.get("s")
                            .and_then(Value::as_str)
                            .map(|s| CursorValue::Text(s.into()))
                    }
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("malformed"))?;
        if values.is_empty() {
            return Err(bad("malformed"));
        }
        Ok(Cursor { order, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let c = Cursor {
            order: "abc".into(),
            values: vec![
                CursorValue::Null,
                CursorValue::Int(-5),
                CursorValue::Real(2.5),
                CursorValue::Text("a'b\"c$$".into()),
            ],
        };
        let t = c.encode();
        assert!(t.starts_with('1'));
        assert_eq!(Cursor::decode(&t).unwrap(), c);
        // Flip one character of the body: the checksum catches it.
        let mut chars: Vec<char> = t.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let flipped: String = chars.into_iter().collect();
        assert!(Cursor::decode(&flipped).is_err());
        for bad in [
            "",
            "1",
            "2abc",
            "1!!!!",
            "1AAAAAAAAAAAA",
            "' OR 1=1 --",
            &"1".repeat(5000),
        ] {
            let e = Cursor::decode(bad).unwrap_err();
            assert_eq!(e.option, QueryOption::SkipToken, "{bad}");
        }
    }
}
