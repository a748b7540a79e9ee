//! Passive DNS Common Output Format (COF, draft-dulaunoy-dnsop-passive-dns-cof) and
//! DNSDB-style NDJSON: one JSON object per line with `rrname`, `rrtype`, `rdata` (a string or
//! an array of strings), `time_first`/`time_last` (Unix seconds; DNSDB's
//! `zone_time_first`/`zone_time_last` are used when those are absent), `count`, `bailiwick`
//! (read and ignored) and `sensor_id` (kept as the sensor).
//!
//! DNSDB's streaming wrapper is understood: `{"obj": {...}}` lines are unwrapped and
//! `{"cond": "begin"|"succeeded"|…}` lines are skipped. Each rdata element becomes one `dns`
//! observation. Export writes the same format ([`to_cof`]).

use std::io::BufRead;

use chrono::{DateTime, Utc};
use openti_model::{Observation, Seen};
use serde_json::{json, Map, Value};

use crate::Record;

fn time_field(o: &Map<String, Value>, key: &str) -> Result<Option<DateTime<Utc>>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let secs = v
                .as_i64()
                .or_else(|| v.as_f64().map(|f| f as i64))
                .ok_or_else(|| format!("field `{key}`: expected Unix seconds, got {v}"))?;
            DateTime::from_timestamp(secs, 0)
                .map(Some)
                .ok_or_else(|| format!("field `{key}`: time out of range"))
        }
    }
}

/// Parses one COF or DNSDB line into observations; `None` for blank lines, `#` comments and
/// DNSDB `cond` lines.
pub fn parse_line(text: &str) -> Option<Result<Vec<Observation>, String>> {
    let t = text.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let v: Value = match serde_json::from_str(t) {
        Ok(v) => v,
        Err(e) => return Some(Err(format!("invalid JSON: {e}"))),
    };
    let Value::Object(mut o) = v else {
        return Some(Err("expected a JSON object".into()));
    };
    if let Some(Value::Object(inner)) = o.remove("obj") {
        o = inner;
    } else if o.contains_key("cond") || o.contains_key("msg") && !o.contains_key("rrname") {
        return None;
    }
    Some(parse_object(&o))
}

fn parse_object(o: &Map<String, Value>) -> Result<Vec<Observation>, String> {
    let s = |k: &str| -> Result<String, String> {
        match o.get(k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(Value::Number(n)) if k == "rrtype" => Ok(n.to_string()),
            Some(_) => Err(format!("field `{k}` must be a non-empty string")),
            None => Err(format!("missing field `{k}`")),
        }
    };
    let rrname = s("rrname")?;
    let rrtype = s("rrtype")?;
    let rdata: Vec<String> = match o.get("rdata") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "field `rdata`: array of strings expected".to_string())
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("field `rdata` must be a string or an array of strings".into()),
        None => return Err("missing field `rdata`".into()),
    };
    if rdata.is_empty() {
        return Err("field `rdata` is empty".into());
    }
    let first = time_field(o, "time_first")?.or(time_field(o, "zone_time_first")?);
    let last = time_field(o, "time_last")?.or(time_field(o, "zone_time_last")?);
    if first.is_none() && last.is_none() {
        return Err("field `time_first`: a `time_first`/`time_last` is required".into());
    }
    let count =
        match o.get("count") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| {
                format!("field `count`: expected a non-negative integer, got {v}")
            })?),
        };
    let sensor = o.get("sensor_id").and_then(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    rdata
        .into_iter()
        .map(|value| {
            Observation::Dns {
                name: rrname.clone(),
                record_type: rrtype.clone(),
                value,
                sensor: sensor.clone(),
                seen: Seen {
                    time: None,
                    first_seen: first,
                    last_seen: last,
                    count,
                },
            }
            .normalize()
            .map_err(|e| format!("dns: {e}"))
        })
        .collect()
}

/// Line records of a COF/DNSDB input for [`ingest_records`](crate::ingest_records).
pub struct CofRecords<R> {
    reader: R,
    line: u64,
    consumed: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> CofRecords<R> {
    /// Reads lines from `reader`.
    pub fn new(reader: R) -> Self {
        CofRecords {
            reader,
            line: 0,
            consumed: 0,
            buf: Vec::new(),
        }
    }
}

impl<R: BufRead> Iterator for CofRecords<R> {
    type Item = std::io::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Err(e) => Some(Err(e)),
            Ok(0) => None,
            Ok(n) => {
                self.consumed += n as u64;
                self.line += 1;
                let outcome = match std::str::from_utf8(&self.buf) {
                    Err(_) => Some(Err("line is not valid UTF-8".to_string())),
                    Ok(text) => parse_line(text),
                };
                Some(Ok(Record {
                    position: self.line,
                    consumed: self.consumed,
                    outcome,
                }))
            }
        }
    }
}

/// One passive-DNS fact as COF exports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CofFact<'a> {
    /// Owner name.
    pub rrname: &'a str,
    /// Type mnemonic.
    pub rrtype: &'a str,
    /// Stored value.
    pub rdata: &'a str,
    /// First seen.
    pub first: DateTime<Utc>,
    /// Last seen.
    pub last: DateTime<Utc>,
    /// Sightings.
    pub count: u64,
    /// Sensor, if one was recorded.
    pub sensor: Option<&'a str>,
}

/// One COF line (no trailing newline). Host-valued rdata gets its trailing dot back, as in DNS
/// presentation format; MX and SRV rdata is the target name only (what OpenTI stores).
pub fn to_cof(f: &CofFact<'_>) -> String {
    let dotted = |s: &str| {
        if s.contains(':') || s.parse::<std::net::Ipv4Addr>().is_ok() || s.ends_with('.') {
            s.to_string()
        } else {
            format!("{s}.")
        }
    };
    let rdata = if openti_model::observation::record_value_is_host(f.rrtype)
        && !matches!(f.rrtype, "A" | "AAAA")
    {
        dotted(f.rdata)
    } else {
        f.rdata.to_string()
    };
    let mut o = json!({
        "count": f.count,
        "time_first": f.first.timestamp(),
        "time_last": f.last.timestamp(),
        "rrtype": f.rrtype,
        "rrname": dotted(f.rrname),
        "rdata": rdata,
    });
    if let (Some(s), Value::Object(m)) = (f.sensor, &mut o) {
        m.insert("sensor_id".into(), Value::String(s.to_string()));
    }
    o.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(o: &Observation) -> (String, String, String, Option<u64>, Option<String>) {
        match o {
            Observation::Dns {
                name,
                record_type,
                value,
                seen,
                sensor,
            } => (
                name.clone(),
                record_type.clone(),
                value.clone(),
                seen.count,
                sensor.clone(),
            ),
            _ => panic!(),
        }
    }

    #[test]
    fn cof_and_dnsdb_lines() {
        let cof = r#"{"count":97167,"time_first":1298880000,"rrtype":"A","rrname":"WWW.Example.COM.","rdata":"192.0.2.1","time_last":1375401600,"bailiwick":"example.com.","sensor_id":"s7"}"#;
        let o = parse_line(cof).unwrap().unwrap();
        assert_eq!(
            dns(&o[0]),
            (
                "www.example.com".into(),
                "A".into(),
                "192.0.2.1".into(),
                Some(97167),
                Some("s7".into())
            )
        );
        let dnsdb = r#"{"obj":{"count":5,"zone_time_first":1300000000,"zone_time_last":1300086400,"rrname":"example.com.","rrtype":"MX","bailiwick":"com.","rdata":["10 mx1.example.com.","20 mx2.example.com."]}}"#;
        let o = parse_line(dnsdb).unwrap().unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(dns(&o[1]).2, "mx2.example.com");
        assert!(parse_line(r#"{"cond":"begin"}"#).is_none());
        assert!(parse_line("").is_none());
        for bad in [
            r#"{"rrname":"a.test","rrtype":"A","rdata":"192.0.2.1"}"#,
            r#"{"rrname":"a.test","rrtype":"A","rdata":"nope","time_first":1}"#,
            r#"{"rrname":"a.test","rrtype":"A","time_first":1}"#,
            r#"{"rrname":"a.test","rrtype":"A","rdata":[1],"time_first":1}"#,
            r#"{"rrname":"a.test","rrtype":"A","rdata":"192.0.2.1","time_first":"yesterday"}"#,
            "[1]",
            "{",
        ] {
            assert!(parse_line(bad).unwrap().is_err(), "{bad}");
        }
    }

    #[test]
    fn export_round_trips() {
        let t = |s| DateTime::from_timestamp(s, 0).unwrap();
        let line = to_cof(&CofFact {
            rrname: "example.com",
            rrtype: "MX",
            rdata: "mail.example.com",
            first: t(100),
            last: t(200),
            count: 3,
            sensor: Some("s1"),
        });
        assert_eq!(
            line,
            r#"{"count":3,"time_first":100,"time_last":200,"rrtype":"MX","rrname":"example.com.","rdata":"mail.example.com.","sensor_id":"s1"}"#
        );
        let o = parse_line(&line).unwrap().unwrap();
        assert_eq!(
            dns(&o[0]),
            (
                "example.com".into(),
                "MX".into(),
                "mail.example.com".into(),
                Some(3),
                Some("s1".into())
            )
        );
    }
}
