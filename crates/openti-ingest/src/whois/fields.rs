//! Entries → WHOIS fields: dates, status, name servers, referral, and the eight contacts.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use openti_model::observation::Contact;

use super::dates::parse_date;
use super::lines::Entry;

/// The contact roles of a WHOIS record, in [`ParsedWhois::contacts`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Registrar.
    Registrar = 0,
    /// Registrant / holder / owner.
    Registrant = 1,
    /// Administrative contact.
    Admin = 2,
    /// Technical contact.
    Technical = 3,
    /// Billing contact.
    Billing = 4,
    /// Network operations contact.
    Noc = 5,
    /// Zone contact.
    Zone = 6,
    /// Abuse contact.
    Abuse = 7,
}

/// Key prefixes naming a contact role, longest first within each role family.
const ROLE_PREFIXES: &[(&str, Role)] = &[
    ("registrar abuse contact", Role::Abuse),
    ("abuse contact", Role::Abuse),
    ("org abuse", Role::Abuse),
    ("abuse c", Role::Abuse),
    ("abuse", Role::Abuse),
    ("registrant contact", Role::Registrant),
    ("holder of domain name", Role::Registrant),
    ("contact information", Role::Registrant),
    ("registrant", Role::Registrant),
    ("holder c", Role::Registrant),
    ("holder", Role::Registrant),
    ("owner c", Role::Registrant),
    ("owner", Role::Registrant),
    ("administrative contact", Role::Admin),
    ("admin contact", Role::Admin),
    ("admin c", Role::Admin),
    ("administrative", Role::Admin),
    ("admin", Role::Admin),
    ("technical contact", Role::Technical),
    ("tech contact", Role::Technical),
    ("org tech", Role::Technical),
    ("tech c", Role::Technical),
    ("technical", Role::Technical),
    ("tech", Role::Technical),
    ("billing contact", Role::Billing),
    ("billing c", Role::Billing),
    ("billing", Role::Billing),
    ("zone contact", Role::Zone),
    ("zone c", Role::Zone),
    ("org noc", Role::Noc),
    ("noc", Role::Noc),
    ("sponsoring registrar", Role::Registrar),
    ("registrar", Role::Registrar),
];

const CREATED: &[&str] = &[
    "creation date",
    "created",
    "created on",
    "created date",
    "registered",
    "registered on",
    "registration date",
    "registration time",
    "registered date",
    "domain registration date",
    "record created",
    "reg date",
    "first registration date",
    "登録年月日",
    "created at",
];
const EXPIRES: &[&str] = &[
    "registry expiry date",
    "registrar registration expiration date",
    "expiry date",
    "expiration date",
    "expires",
    "expires on",
    "expire date",
    "paid till",
    "expiration time",
    "renewal date",
    "valid until",
    "有効期限",
    "domain expiration date",
    "expiry",
    "expire",
];
const UPDATED: &[&str] = &[
    "updated date",
    "last updated",
    "last update",
    "changed",
    "last modified",
    "modified",
    "updated",
    "last updated on",
    "最終更新",
    "domain record last updated",
    "last updated date",
];
const STATUS: &[&str] = &[
    "domain status",
    "status",
    "state",
    "registration status",
    "状態",
    "flags",
];
const NAMESERVERS: &[&str] = &[
    "name server",
    "nameserver",
    "nameservers",
    "name servers",
    "nserver",
    "domain nameservers",
    "domain servers in listed order",
    "ネームサーバ",
    "dns",
    "hostname",
];
const DOMAIN: &[&str] = &["domain name", "domain", "domainname", "ドメイン名"];
const REFERRAL: &[&str] = &[
    "refer",
    "whois",
    "registrar whois server",
    "referral server",
    "whois server",
    "referralserver",
];
const HANDLE: &[&str] = &["nic hdl", "nic hdl br", "organisation"];

/// Fields parsed out of one WHOIS response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedWhois {
    /// The domain the response is about, when it says so.
    pub domain: Option<String>,
    /// Creation date.
    pub registered: Option<DateTime<Utc>>,
    /// Expiry date.
    pub expires: Option<DateTime<Utc>>,
    /// Last update.
    pub updated: Option<DateTime<Utc>>,
    /// Status flags (EPP codes without their URLs, or the registry's words).
    pub status: Vec<String>,
    /// Registrar, registrant, admin, technical, billing, noc, zone, abuse (see [`Role`]).
    pub contacts: [Option<Contact>; 8],
    /// Name servers (normalised host names).
    pub nameservers: Vec<String>,
    /// The next WHOIS server to ask (`refer:`, `Registrar WHOIS Server:`…), as written.
    pub referral: Option<String>,
}

impl ParsedWhois {
    /// The contact for a role.
    pub fn contact(&self, role: Role) -> Option<&Contact> {
        self.contacts[role as usize].as_ref()
    }
}

fn hidden(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    l.contains("redacted")
        || l.contains("not disclosed")
        || l.contains("data protected")
        || l.starts_with("visit ")
        || l.starts_with("please query")
        || l.contains("non-public data")
        || l.starts_with("not shown")
        || l.starts_with("http")
}

fn set(slot: &mut Option<String>, v: &str) {
    if slot.is_none() && !v.is_empty() && !hidden(v) {
        *slot = Some(v.to_string());
    }
}

fn append(slot: &mut Option<String>, v: &str) {
    if v.is_empty() || hidden(v) {
        return;
    }
    match slot {
        Some(s) => {
            s.push_str(", ");
            s.push_str(v);
        }
        None => *slot = Some(v.to_string()),
    }
}

/// Applies a contact attribute; false if the attribute is not a contact field.
fn apply_attr(c: &mut Contact, attr: &str, v: &str) -> bool {
    match attr {
        "" | "name" | "contact name" | "contact" | "person" | "personname" | "role" => {
            set(&mut c.name, v)
        }
        "organization"
        | "organisation"
        | "org"
        | "org name"
        | "company"
        | "organization name"
        | "contact organization"
        | "organisation name" => set(&mut c.organization, v),
        "email" | "e mail" | "contact email" | "mail" | "email address" | "abuse mailbox" => {
            set(&mut c.email, v)
        }
        "phone" | "telephone" | "tel" | "contact phone" | "phone number" | "voice" => {
            set(&mut c.telephone, v)
        }
        "fax" | "fax no" | "fax number" | "facsimile" | "contact fax" => set(&mut c.fax, v),
        "street" | "address" | "street address" | "postal address" | "street1" | "street2"
        | "street3" | "address1" | "address2" => append(&mut c.street, v),
        "city" | "locality" => set(&mut c.city, v),
        "state" | "state province" | "province" | "state prov" => set(&mut c.state, v),
        "postal code" | "postcode" | "zip" | "zip code" | "postalcode" => {
            set(&mut c.postal_code, v)
        }
        "country" | "country code" | "countrycode" => set(&mut c.country, v),
        _ => return false,
    }
    true
}

/// A value line of a bare role section: e-mail and phone by shape, first line the name,
/// further lines the address.
fn apply_line(c: &mut Contact, v: &str, first: bool) {
    let v = v.split(" [Tag =").next().unwrap_or(v).trim();
    if v.contains('@') && !v.contains(' ') {
        set(&mut c.email, v);
    } else if v.starts_with('+') && v[1..].chars().all(|ch| ch.is_ascii_digit() || ch == '.') {
        set(&mut c.telephone, v);
    } else if first && c.name.is_none() {
        set(&mut c.name, v);
    } else if let Some(rest) = v.strip_prefix("URL: ") {
        let _ = rest;
    } else {
        append(&mut c.street, v);
    }
}

fn role_of(key: &str) -> Option<(Role, &str)> {
    for (p, role) in ROLE_PREFIXES {
        if key == *p {
            return Some((*role, ""));
        }
        if let Some(rest) = key.strip_prefix(p).and_then(|r| r.strip_prefix(' ')) {
            return Some((*role, rest));
        }
    }
    None
}

fn clean_status(v: &str) -> String {
    let v = v.split(" http").next().unwrap_or(v);
    let v = v.split(" (").next().unwrap_or(v);
    v.trim().trim_end_matches('.').to_string()
}

fn nameserver(v: &str) -> Option<String> {
    let first = v.split_whitespace().next()?.trim_end_matches('.');
    if !first.contains('.') || first.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    openti_model::observation::hostname_only(first).ok()
}

/// Contacts of RPSL-style handle blocks (`nic-hdl:` AFNIC, registro.br, RIPE, nic.at).
fn handle_contacts(entries: &[Entry]) -> (HashMap<String, Contact>, HashSet<usize>) {
    let mut blocks: HashMap<usize, String> = HashMap::new();
    for e in entries {
        if HANDLE.contains(&e.key.as_str()) && e.section.is_none() {
            blocks
                .entry(e.block)
                .or_insert_with(|| e.value.to_ascii_uppercase());
        }
    }
    let mut contacts: HashMap<String, Contact> = HashMap::new();
    for e in entries {
        if let Some(h) = blocks
            .get(&e.block)
            .filter(|_| !HANDLE.contains(&e.key.as_str()))
        {
            let c = contacts.entry(h.clone()).or_default();
            let attr = match e.key.as_str() {
                "org name" | "organization" | "organisation" | "org" => "organization",
                "e mail" | "email" => "email",
                "fax no" => "fax",
                k => k,
            };
            apply_attr(c, attr, &e.value);
        }
    }
    (contacts, blocks.keys().copied().collect())
}

/// Maps tokenized entries to fields.
pub fn fields(entries: &[Entry]) -> ParsedWhois {
    let mut p = ParsedWhois::default();
    let (handles, handle_blocks) = handle_contacts(entries);
    let mut contacts: [Contact; 8] = Default::default();
    let mut seen_ns = HashSet::new();
    let mut status_date = None;
    let mut org_block = None;
    for e in entries {
        if handle_blocks.contains(&e.block) {
            continue;
        }
        let key = match (&e.section, e.line_in_section) {
            (Some(s), None) if s != &e.key => format!("{s} {}", e.key),
            _ => e.key.clone(),
        };
        let k = key.as_str();
        let v = e.value.as_str();
        // The section header alone (Nominet "Relevant dates:") scopes plain keys.
        let plain = e.key.as_str();
        if DOMAIN.contains(&plain) {
            if p.domain.is_none() && !v.contains(' ') {
                p.domain = Some(v.trim_end_matches('.').to_ascii_lowercase());
            }
            continue;
        }
        if CREATED.contains(&plain) || CREATED.contains(&k) {
            if p.registered.is_none() {
                p.registered = parse_date(v);
            }
            continue;
        }
        if EXPIRES.contains(&plain) || EXPIRES.contains(&k) {
            if p.expires.is_none() {
                p.expires = parse_date(v);
            }
            continue;
        }
        if UPDATED.contains(&plain) || UPDATED.contains(&k) {
            if p.updated.is_none() {
                p.updated = parse_date(v);
            }
            continue;
        }
        if STATUS.contains(&plain) {
            if let Some((_, rest)) = v.split_once('(') {
                status_date = status_date.or_else(|| parse_date(rest.trim_end_matches(')')));
            }
            for part in v.split(',') {
                let s = clean_status(part);
                if !s.is_empty() && !p.status.contains(&s) {
                    p.status.push(s);
                }
            }
            continue;
        }
        if NAMESERVERS.contains(&k) || NAMESERVERS.contains(&plain) {
            if let Some(ns) = nameserver(v) {
                if seen_ns.insert(ns.clone()) {
                    p.nameservers.push(ns);
                }
            }
            continue;
        }
        if REFERRAL.contains(&k) {
            if p.referral.is_none() && !v.is_empty() {
                p.referral = Some(v.to_string());
            }
            continue;
        }
        if matches!(plain, "org name" | "org" | "organization") && role_of(k).is_none() {
            let reg = &mut contacts[Role::Registrant as usize];
            match handles.get(&v.to_ascii_uppercase()) {
                Some(h) if reg.organization.is_none() => {
                    reg.organization = h.organization.clone().or_else(|| h.name.clone());
                    reg.country = reg.country.take().or_else(|| h.country.clone());
                    reg.street = reg.street.take().or_else(|| h.street.clone());
                }
                _ => {
                    let v = match v.rsplit_once(" (") {
                        Some((name, h)) if h.ends_with(')') && !h.contains(' ') => name,
                        _ => v,
                    };
                    set(&mut reg.organization, v)
                }
            }
            if plain == "org name" {
                org_block = Some(e.block);
            }
            continue;
        }
        let Some((role, attr)) = role_of(k) else {
            if org_block == Some(e.block) {
                apply_attr(&mut contacts[Role::Registrant as usize], plain, v);
            }
            continue;
        };
        let c = &mut contacts[role as usize];
        if attr.is_empty() {
            if let Some(h) = handles.get(&v.to_ascii_uppercase()) {
                if c.name.is_none() && c.organization.is_none() {
                    *c = h.clone();
                }
                continue;
            }
            match e.line_in_section {
                Some(n) => apply_line(c, v, n == 0),
                None => set(&mut c.name, v.split(" [Tag =").next().unwrap_or(v).trim()),
            }
        } else if attr == "iana id" || attr == "url" || attr.ends_with("server") {
            continue;
        } else {
            apply_attr(c, attr, v);
        }
    }
    if p.expires.is_none() {
        p.expires = status_date;
    }
    for (slot, c) in p.contacts.iter_mut().zip(contacts) {
        if c != Contact::default() {
            *slot = Some(c);
        }
    }
    p
}
