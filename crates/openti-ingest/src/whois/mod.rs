//! WHOIS and RDAP responses → `whois` observations.
//!
//! [`parse`] reads raw port-43 text in the ICANN gTLD format and the main ccTLD house styles
//! (Nominet .uk, DENIC .de, JPRS .jp, AFNIC .fr, registro.br, SIDN .nl, EURid .eu, SWITCH,
//! DNS Belgium, IIS .se, nic.at, RU-CENTER, CNNIC, auDA, CIRA, and RIR IP WHOIS from RIPE and
//! ARIN) with one tokenizer ([`lines`]) and one field mapper ([`fields`]); [`rdap`] reads RDAP
//! JSON. Both keep the raw response in the observation; the store adds a history row only
//! when the content changes.

pub mod dates;
pub mod fields;
pub mod lines;
pub mod rdap;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use openti_model::observation::Seen;
use openti_model::Observation;

pub use fields::{ParsedWhois, Role};

use crate::Record;

/// Parses raw WHOIS text.
pub fn parse(raw: &str) -> ParsedWhois {
    fields::fields(&lines::entries(raw))
}

/// Builds a normalised `whois` observation from a parsed response.
///
/// `domain` overrides the domain the response names (e.g. the name that was queried).
/// Errors name the field that failed validation.
pub fn observation(
    domain: Option<&str>,
    server: Option<&str>,
    raw: Option<&str>,
    parsed: &ParsedWhois,
    time: DateTime<Utc>,
) -> Result<Observation, String> {
    let domain = domain
        .map(str::to_string)
        .or_else(|| parsed.domain.clone())
        .ok_or_else(|| "whois: no domain name in the response; pass --domain".to_string())?;
    let c = |r: Role| parsed.contact(r).cloned().map(Box::new);
    let obs = Observation::Whois {
        domain,
        server: server.map(str::to_string),
        raw: raw.map(str::to_string),
        registered: parsed.registered,
        expires: parsed.expires,
        updated: parsed.updated,
        status: parsed.status.clone(),
        registrar: c(Role::Registrar),
        registrant: c(Role::Registrant),
        admin: c(Role::Admin),
        technical: c(Role::Technical),
        billing: c(Role::Billing),
        noc: c(Role::Noc),
        zone: c(Role::Zone),
        abuse: c(Role::Abuse),
        nameservers: parsed.nameservers.clone(),
        seen: Seen {
            time: Some(time),
            ..Seen::default()
        },
    };
    obs.normalize().map_err(|e| format!("whois: {e}"))
}

/// One raw WHOIS response file as a pipeline record (position 1).
pub fn text_records(
    bytes: &[u8],
    domain: Option<&str>,
    server: Option<&str>,
    time: DateTime<Utc>,
) -> Vec<Result<Record, std::io::Error>> {
    let raw = String::from_utf8_lossy(bytes);
    let parsed = parse(&raw);
    let outcome = observation(domain, server, Some(&raw), &parsed, time).map(|o| vec![o]);
    vec![Ok(Record {
        position: 1,
        consumed: bytes.len() as u64,
        outcome: Some(outcome),
    })]
}
