//! RDAP JSON (RFC 9083) domain, IP network and autnum objects → `whois` observations.

use chrono::{DateTime, Utc};
use openti_model::observation::{Contact, Seen};
use openti_model::Observation;
use serde_json::Value;

use crate::Record;

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(text).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        _ => None,
    }
}

/// A jCard (`vcardArray`) → contact.
pub fn vcard_contact(vcard: &Value) -> Contact {
    let mut c = Contact::default();
    let props = vcard.get(1).and_then(Value::as_array);
    let mut is_org = false;
    let mut fn_name = None;
    for p in props.into_iter().flatten() {
        let Some(name) = p.get(0).and_then(Value::as_str) else {
            continue;
        };
        let params = p.get(1).cloned().unwrap_or(Value::Null);
        let value = p.get(3).cloned().unwrap_or(Value::Null);
        match name {
            "fn" => fn_name = text(&value),
            "kind" => is_org = value.as_str() == Some("org"),
            "org" => c.organization = c.organization.take().or_else(|| text(&value)),
            "email" => c.email = c.email.take().or_else(|| text(&value)),
            "tel" => {
                let ty = params
                    .get("type")
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                let v = text(&value).map(|t| t.trim_start_matches("tel:").to_string());
                if ty.contains("fax") {
                    c.fax = c.fax.take().or(v);
                } else {
                    c.telephone = c.telephone.take().or(v);
                }
            }
            "adr" => {
                if let Some(parts) = value.as_array() {
                    let at = |i: usize| parts.get(i).and_then(text);
                    c.street = at(2).or_else(|| at(0));
                    c.city = at(3);
                    c.state = at(4);
                    c.postal_code = at(5);
                    c.country = at(6);
                }
                if c.street.is_none() {
                    c.street = params.get("label").and_then(text);
                }
                if let Some(cc) = params.get("cc").and_then(text) {
                    c.country = Some(cc);
                }
            }
            _ => {}
        }
    }
    if is_org && c.organization.is_none() {
        c.organization = fn_name;
    } else {
        c.name = fn_name;
    }
    c
}

fn merge(slot: &mut Option<Contact>, c: Contact) {
    if c != Contact::default() && slot.is_none() {
        *slot = Some(c);
    }
}

fn event(obj: &Value, action: &str) -> Option<DateTime<Utc>> {
    obj.get("events")?
        .as_array()?
        .iter()
        .find(|e| e.get("eventAction").and_then(Value::as_str) == Some(action))
        .and_then(|e| e.get("eventDate")?.as_str())
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Converts one RDAP object; `raw` is kept as the raw text and `server` as the source URL.
pub fn observation(
    obj: &Value,
    raw: Option<&str>,
    server: Option<&str>,
    time: DateTime<Utc>,
) -> Result<Observation, String> {
    let class = obj
        .get("objectClassName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let domain = match class {
        "domain" => obj
            .get("ldhName")
            .or_else(|| obj.get("unicodeName"))
            .and_then(Value::as_str)
            .map(|s| s.to_string()),
        "ip network" => obj
            .get("startAddress")
            .and_then(Value::as_str)
            .map(str::to_string),
        "autnum" => obj
            .get("handle")
            .and_then(Value::as_str)
            .map(str::to_string),
        other => return Err(format!("rdap: unsupported objectClassName {other:?}")),
    }
    .ok_or_else(|| format!("rdap: {class} object without a name"))?;
    let mut contacts: [Option<Contact>; 8] = Default::default();
    let mut stack: Vec<&Value> = obj
        .get("entities")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut guard = 0;
    while let Some(ent) = stack.pop() {
        guard += 1;
        if guard > 256 {
            break;
        }
        if let Some(sub) = ent.get("entities").and_then(Value::as_array) {
            stack.extend(sub.iter());
        }
        let c = ent.get("vcardArray").map(vcard_contact).unwrap_or_default();
        for role in ent
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let i = match role {
                "registrar" => 0,
                "registrant" => 1,
                "administrative" => 2,
                "technical" => 3,
                "billing" => 4,
                "noc" => 5,
                "zone" => 6,
                "abuse" => 7,
                _ => continue,
            };
            merge(&mut contacts[i], c.clone());
        }
    }
    let [registrar, registrant, admin, technical, billing, noc, zone, abuse] = contacts;
    let nameservers = obj
        .get("nameservers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| n.get("ldhName").and_then(Value::as_str))
        .map(|s| s.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let status = obj
        .get("status")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let server = server.map(str::to_string).or_else(|| {
        obj.get("port43")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let o = Observation::Whois {
        domain,
        server,
        raw: raw.map(str::to_string),
        registered: event(obj, "registration"),
        expires: event(obj, "expiration"),
        updated: event(obj, "last changed"),
        status,
        registrar: registrar.map(Box::new),
        registrant: registrant.map(Box::new),
        admin: admin.map(Box::new),
        technical: technical.map(Box::new),
        billing: billing.map(Box::new),
        noc: noc.map(Box::new),
        zone: zone.map(Box::new),
        abuse: abuse.map(Box::new),
        nameservers,
        seen: Seen {
            time: Some(time),
            ..Seen::default()
        },
    };
    o.normalize().map_err(|e| format!("rdap: {e}"))
}

/// An RDAP JSON file (one object, or an array of objects, or a search result with
/// `domainSearchResults`/`ipSearchResults`) → one record per object.
pub fn json_records(
    bytes: &[u8],
    server: Option<&str>,
    time: DateTime<Utc>,
) -> Vec<Result<Record, std::io::Error>> {
    let consumed = bytes.len() as u64;
    let one = |position, outcome| {
        Ok(Record {
            position,
            consumed,
            outcome: Some(outcome),
        })
    };
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return vec![one(1, Err(format!("rdap: invalid JSON: {e}")))],
    };
    let objects: Vec<&Value> = match &v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => {
            match [
                "domainSearchResults",
                "ipSearchResults",
                "autnumSearchResults",
            ]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_array))
            {
                Some(list) => list.iter().collect(),
                None => vec![&v],
            }
        }
        _ => vec![&v],
    };
    let single = objects.len() == 1;
    objects
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            let raw = if single {
                String::from_utf8_lossy(bytes).into_owned()
            } else {
                o.to_string()
            };
            one(
                i as u64 + 1,
                observation(o, Some(&raw), server, time).map(|x| vec![x]),
            )
        })
        .collect()
}
