//! Composite-id literals → values of the key columns (the inverse of `openti_model::ids`),
//! so `id eq '…'` on a collection whose ids are base64 keys becomes key-column equality.

use openti_model::ids;

use super::Param;

fn parts(id: &str, n: usize, tag: Option<&str>) -> Option<Vec<String>> {
    let mut p = ids::decode_composite(id)?;
    if let Some(t) = tag {
        if p.len() != n + 1 || p.pop().as_deref() != Some(t) {
            return None;
        }
    }
    (p.len() == n).then_some(p)
}

fn texts(p: Vec<String>) -> Vec<Param> {
    p.into_iter().map(Param::Text).collect()
}

/// The SHA-1 a certificate id (base64 of the SHA-1 hex) or raw SHA-1 stands for.
pub fn cert_sha1(id: &str) -> Option<String> {
    let is_sha1 = |s: &str| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let t = id.trim();
    if is_sha1(t) {
        return Some(t.to_ascii_lowercase());
    }
    match parts(t, 1, None)?.as_slice() {
        [s] if is_sha1(s) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

pub(super) fn id_cert(id: &str) -> Option<Vec<Param>> {
    cert_sha1(id).map(|s| vec![Param::Text(s)])
}
pub(super) fn id_component(id: &str) -> Option<Vec<Param>> {
    parts(id, 4, None).map(texts)
}
pub(super) fn id_three(id: &str) -> Option<Vec<Param>> {
    parts(id, 3, None).map(texts)
}
pub(super) fn id_two(id: &str) -> Option<Vec<Param>> {
    parts(id, 2, None).map(texts)
}
pub(super) fn id_reverse(id: &str) -> Option<Vec<Param>> {
    parts(id, 3, Some("reverse")).map(texts)
}
pub(super) fn id_whois(id: &str) -> Option<Vec<Param>> {
    parts(id, 1, Some("whois")).map(texts)
}
pub(super) fn id_host_cert(id: &str) -> Option<Vec<Param>> {
    let mut p = parts(id, 2, None)?;
    p[1] = p[1].to_ascii_lowercase();
    Some(texts(p))
}
pub(super) fn id_vuln_component(id: &str) -> Option<Vec<Param>> {
    let p = parts(id, 2, None)?;
    Some(vec![
        Param::Text(ids::cve(&p[0])?),
        Param::Text(p[1].clone()),
    ])
}
pub(super) fn id_port(id: &str) -> Option<Vec<Param>> {
    let p = ids::decode_composite(id)?;
    let (host, port, proto) = match p.as_slice() {
        [h, p] => (h.clone(), p, "tcp".to_string()),
        [h, p, proto] => (h.clone(), p, proto.to_ascii_lowercase()),
        _ => return None,
    };
    let port: u16 = port.parse().ok()?;
    Some(vec![
        Param::Text(host),
        Param::Int(i64::from(port)),
        Param::Text(proto),
    ])
}
