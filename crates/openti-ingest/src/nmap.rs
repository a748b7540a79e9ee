//! nmap XML (`-oX`) → `port` observations (and `certificate` from the `ssl-cert` script).
//!
//! Per `<port>`: the state (`open`, `closed`, `filtered`, `open|filtered`… → filtered), the
//! `<service>` (name → `scan_protocol`, `ssl` tunnel → `https`/`ssl/NAME`; product, version →
//! `services`), and `<script>` outputs as the banner (`id: output` lines; the `banner` script
//! first). The time is the host's `endtime` (else `starttime`, else the run's `start`).

use chrono::{DateTime, Utc};
use openti_model::enums::{HostPortProtocol, HostPortStatus};
use openti_model::observation::{CertName, ComponentName, Seen};
use openti_model::Observation;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::Record;

/// Category shown for a well-known nmap service name.
pub fn category(service: &str) -> &'static str {
    match service {
        "ssh" | "telnet" | "ms-wbt-server" | "vnc" | "rdp" => "Remote Access",
        "http" | "https" | "http-proxy" | "http-alt" => "Web Server",
        "smtp" | "submission" | "smtps" | "pop3" | "pop3s" | "imap" | "imaps" => "Mail Server",
        "ftp" | "ftps" => "FTP Server",
        "mysql" | "postgresql" | "redis" | "mongodb" | "ms-sql-s" | "memcached" => "Database",
        "domain" => "DNS Server",
        _ => "Service",
    }
}

#[derive(Default)]
struct PortState {
    protocol: String,
    port: u16,
    state: String,
    service: String,
    tunnel: String,
    product: String,
    version: String,
    extrainfo: String,
    scripts: Vec<(String, String)>,
    in_ssl_cert: bool,
    table: Vec<String>,
    cert: CertDraft,
}

#[derive(Default)]
struct CertDraft {
    sha1: Option<String>,
    subject_cn: Option<String>,
    issuer_cn: Option<String>,
    issuer_o: Option<String>,
    not_before: Option<DateTime<Utc>>,
    not_after: Option<DateTime<Utc>>,
}

fn attr(e: &BytesStart<'_>, name: &str) -> String {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
        .unwrap_or_default()
}

fn unix(s: &str) -> Option<DateTime<Utc>> {
    s.parse::<i64>()
        .ok()
        .and_then(|t| DateTime::from_timestamp(t, 0))
}

fn nmap_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
}

fn finish_port(p: PortState, host: &str, time: DateTime<Utc>) -> Vec<Observation> {
    let status = match p.state.as_str() {
        "open" => HostPortStatus::Open,
        "closed" => HostPortStatus::Closed,
        _ => HostPortStatus::Filtered,
    };
    let protocol = if p.protocol == "udp" {
        HostPortProtocol::Udp
    } else {
        HostPortProtocol::Tcp
    };
    let scan_protocol = match (p.service.as_str(), p.tunnel.as_str()) {
        ("", _) => None,
        ("http", "ssl") => Some("https".to_string()),
        (s, "ssl") => Some(format!("ssl/{s}")),
        (s, _) => Some(s.to_string()),
    };
    let mut services = Vec::new();
    if !p.product.is_empty() {
        services.push(ComponentName {
            name: p.product.clone(),
            version: p.version.clone(),
            category: category(&p.service).to_string(),
        });
    } else if !p.service.is_empty() && p.service != "unknown" {
        services.push(ComponentName {
            name: scan_protocol.clone().unwrap_or_default(),
            version: String::new(),
            category: "Service".into(),
        });
    }
    let mut scripts = p.scripts;
    scripts.sort_by_key(|(id, _)| id != "banner");
    // Script output is the banner; without it, nmap's own service description stands in so
    // the probe protocol is kept with the port.
    let described = [p.product.as_str(), p.version.as_str(), p.extrainfo.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let banner = if !scripts.is_empty() {
        Some(
            scripts
                .iter()
                .map(|(id, out)| format!("{id}: {}", out.trim()))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    } else if !described.is_empty() {
        Some(described)
    } else {
        scan_protocol.clone()
    };
    let seen = Seen {
        time: Some(time),
        ..Seen::default()
    };
    let mut out = vec![Observation::Port {
        host: host.to_string(),
        port: p.port,
        protocol: Some(protocol),
        status: Some(status),
        banner,
        scan_protocol,
        services,
        certificate_sha1: p.cert.sha1.clone(),
        seen: seen.clone(),
    }];
    if let Some(sha1) = p.cert.sha1 {
        out.push(Observation::Certificate {
            host: Some(host.to_string()),
            port: Some(p.port),
            sha1,
            fingerprint: None,
            serial_number: None,
            issued: p.cert.not_before,
            expires: p.cert.not_after,
            issuer: Box::new(CertName {
                common_name: p.cert.issuer_cn,
                organization_name: p.cert.issuer_o,
                ..CertName::default()
            }),
            subject: Box::new(CertName {
                common_name: p.cert.subject_cn,
                ..CertName::default()
            }),
            seen,
        });
    }
    out
}

/// Reads a whole nmap XML document into records: one per `<port>` (position = 1-based port
/// number in the file). A malformed document yields an error record where parsing stopped.
pub fn records(bytes: &[u8]) -> Vec<Result<Record, std::io::Error>> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut run_start: Option<DateTime<Utc>> = None;
    let mut host_time: Option<DateTime<Utc>> = None;
    let mut host = String::new();
    let mut ports: Vec<PortState> = Vec::new();
    let mut cur: Option<PortState> = None;
    let mut elem_key = String::new();
    let mut n = 0u64;
    loop {
        let consumed = reader.buffer_position();
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                out.push(Ok(Record {
                    position: n + 1,
                    consumed,
                    outcome: Some(Err(format!("nmap: invalid XML at byte {consumed}: {e}"))),
                }));
                break;
            }
        };
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"nmaprun" => run_start = unix(&attr(&e, "start")),
                b"host" => {
                    host.clear();
                    ports.clear();
                    host_time = unix(&attr(&e, "endtime")).or(unix(&attr(&e, "starttime")));
                }
                b"address" => {
                    let t = attr(&e, "addrtype");
                    if host.is_empty() && (t == "ipv4" || t == "ipv6") {
                        host = attr(&e, "addr");
                    }
                }
                b"port" => {
                    cur = Some(PortState {
                        protocol: attr(&e, "protocol"),
                        port: attr(&e, "portid").parse().unwrap_or(0),
                        ..PortState::default()
                    })
                }
                b"state" => {
                    if let Some(p) = cur.as_mut() {
                        p.state = attr(&e, "state");
                    }
                }
                b"service" => {
                    if let Some(p) = cur.as_mut() {
                        p.service = attr(&e, "name");
                        p.tunnel = attr(&e, "tunnel");
                        p.product = attr(&e, "product");
                        p.version = attr(&e, "version");
                        p.extrainfo = attr(&e, "extrainfo");
                    }
                }
                b"script" => {
                    if let Some(p) = cur.as_mut() {
                        let id = attr(&e, "id");
                        p.in_ssl_cert = id == "ssl-cert";
                        p.scripts.push((id, attr(&e, "output")));
                    }
                }
                b"table" => {
                    if let Some(p) = cur.as_mut() {
                        p.table.push(attr(&e, "key"));
                    }
                }
                b"elem" => elem_key = attr(&e, "key"),
                _ => {}
            },
            Event::Text(t) => {
                if let Some(p) = cur.as_mut().filter(|p| p.in_ssl_cert) {
                    let v = t.unescape().map(|c| c.into_owned()).unwrap_or_default();
                    let table = p.table.last().map(String::as_str).unwrap_or("");
                    match (table, elem_key.as_str()) {
                        ("", "sha1") => p.cert.sha1 = Some(v),
                        ("subject", "commonName") => p.cert.subject_cn = Some(v),
                        ("issuer", "commonName") => p.cert.issuer_cn = Some(v),
                        ("issuer", "organizationName") => p.cert.issuer_o = Some(v),
                        ("validity", "notBefore") => p.cert.not_before = nmap_time(&v),
                        ("validity", "notAfter") => p.cert.not_after = nmap_time(&v),
                        _ => {}
                    }
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"elem" => elem_key.clear(),
                b"table" => {
                    if let Some(p) = cur.as_mut() {
                        p.table.pop();
                    }
                }
                b"script" => {
                    if let Some(p) = cur.as_mut() {
                        p.in_ssl_cert = false;
                    }
                }
                b"port" => ports.extend(cur.take()),
                b"host" => {
                    let time = host_time.or(run_start).unwrap_or_else(Utc::now);
                    for p in ports.drain(..) {
                        n += 1;
                        let outcome = if host.is_empty() {
                            Err("nmap: host without an IP address".to_string())
                        } else if p.port == 0 {
                            Err("nmap: port without a valid portid".to_string())
                        } else {
                            finish_port(p, &host, time)
                                .into_iter()
                                .map(|o| o.normalize().map_err(|e| format!("nmap: {e}")))
                                .collect()
                        };
                        out.push(Ok(Record {
                            position: n,
                            consumed: reader.buffer_position(),
                            outcome: Some(outcome),
                        }));
                    }
                }
                _ => {}
            },
            _ => {}
        }
        buf.clear();
    }
    out
}
