//! masscan output → `port` observations.
//!
//! * JSON (`-oJ`, and `-oD` NDJSON): one object per line, possibly wrapped in `[` … `]` with
//!   commas before or after objects; `{"ip", "timestamp", "ports": [{"port", "proto",
//!   "status"}]}` for a port state and `{"ports": [{"port", "proto", "service": {"name",
//!   "banner"}}]}` for a banner.
//! * List (`-oL`): `open tcp 80 192.0.2.1 1700000000` and
//!   `banner tcp 80 192.0.2.1 1700000000 http HTTP/1.0 200 OK…`; `#` lines are comments.
//!
//! Detected by the first non-blank character of the input (`[` or `{` → JSON).

use chrono::{DateTime, Utc};
use openti_model::enums::{HostPortProtocol, HostPortStatus};
use openti_model::observation::{ComponentName, Seen};
use openti_model::Observation;
use serde_json::Value;

use crate::Record;

fn port_obs(
    ip: &str,
    port: u64,
    proto: &str,
    status: &str,
    service: Option<(&str, &str)>,
    time: DateTime<Utc>,
) -> Result<Observation, String> {
    let port = u16::try_from(port)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("masscan: invalid port {port}"))?;
    let status = match status {
        "closed" => HostPortStatus::Closed,
        "filtered" => HostPortStatus::Filtered,
        _ => HostPortStatus::Open,
    };
    let (scan_protocol, banner, services) = match service {
        Some((name, banner)) => {
            let name = name.trim();
            let services =
                if name.is_empty() || name == "title" || name.eq_ignore_ascii_case("x509") {
                    Vec::new()
                } else {
                    vec![ComponentName {
                        name: name.to_string(),
                        version: String::new(),
                        category: "Service".into(),
                    }]
                };
            (
                (!name.is_empty()).then(|| name.to_string()),
                (!banner.trim().is_empty()).then(|| banner.trim().to_string()),
                services,
            )
        }
        None => (None, None, Vec::new()),
    };
    let o = Observation::Port {
        host: ip.to_string(),
        port,
        protocol: Some(if proto == "udp" {
            HostPortProtocol::Udp
        } else {
            HostPortProtocol::Tcp
        }),
        status: Some(status),
        banner,
        scan_protocol,
        services,
        certificate_sha1: None,
        seen: Seen {
            time: Some(time),
            ..Seen::default()
        },
    };
    o.normalize().map_err(|e| format!("masscan: {e}"))
}

fn timestamp(v: Option<&Value>) -> DateTime<Utc> {
    let secs = match v {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or_else(Utc::now)
}

fn json_line(t: &str) -> Option<Result<Vec<Observation>, String>> {
    let t = t
        .trim()
        .trim_matches(|c| c == ',' || c == '[' || c == ']')
        .trim();
    if t.is_empty() {
        return None;
    }
    let v: Value = match serde_json::from_str(t) {
        Ok(v) => v,
        Err(e) => return Some(Err(format!("masscan: invalid JSON: {e}"))),
    };
    if v.get("finished").is_some() {
        return None;
    }
    let Some(ip) = v.get("ip").and_then(Value::as_str) else {
        return Some(Err("masscan: object without \"ip\"".into()));
    };
    let time = timestamp(v.get("timestamp"));
    let mut obs = Vec::new();
    for p in v
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let port = p.get("port").and_then(Value::as_u64).unwrap_or(0);
        let proto = p.get("proto").and_then(Value::as_str).unwrap_or("tcp");
        let status = p.get("status").and_then(Value::as_str).unwrap_or("open");
        let service = p.get("service").map(|s| {
            (
                s.get("name").and_then(Value::as_str).unwrap_or(""),
                s.get("banner").and_then(Value::as_str).unwrap_or(""),
            )
        });
        match port_obs(ip, port, proto, status, service, time) {
            Ok(o) => obs.push(o),
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(obs))
}

fn list_line(t: &str) -> Option<Result<Vec<Observation>, String>> {
    let t = t.trim_end_matches(['\r', '\n']);
    if t.trim().is_empty() || t.trim_start().starts_with('#') {
        return None;
    }
    let mut parts = t.splitn(7, ' ');
    let (kind, proto, port, ip, ts) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let Ok(port) = port.parse::<u64>() else {
        return Some(Err(format!("masscan: invalid list line {t:?}")));
    };
    let time = timestamp(Some(&Value::String(ts.to_string())));
    let r = match kind {
        "open" | "closed" | "filtered" => port_obs(ip, port, proto, kind, None, time),
        "banner" => {
            let name = parts.next().unwrap_or("");
            let banner = parts.next().unwrap_or("");
            port_obs(ip, port, proto, "open", Some((name, banner)), time)
        }
        other => Err(format!("masscan: unknown list record {other:?}")),
    };
    Some(r.map(|o| vec![o]))
}

/// Reads masscan JSON or list output into records, one per line.
pub fn records(bytes: &[u8]) -> Vec<Result<Record, std::io::Error>> {
    let text = String::from_utf8_lossy(bytes);
    let json = text.trim_start().starts_with(['[', '{']);
    let mut consumed = 0u64;
    let mut out = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        consumed += line.len() as u64;
        let outcome = if json {
            json_line(line)
        } else {
            list_line(line)
        };
        out.push(Ok(Record {
            position: i as u64 + 1,
            consumed,
            outcome,
        }));
    }
    out
}
