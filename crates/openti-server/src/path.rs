//! Graph path resolution: the segments after `/v1.0/security/threatIntelligence` become a
//! [`Target`] — a collection (with its [`Scope`]), a single entity (optionally within a scope
//! that it must belong to), a navigation followed from an entity, or a `/$count`.
//!
//! Segments are split on the raw (still percent-encoded) path and decoded one by one, so ids
//! containing `=`, `%3D`, `+` or an escaped `/` round-trip. OData key syntax `set('key')` is
//! accepted as well as `set/key`.

use openti_model::normalize::HostName;
use openti_store::{EntityKind, PairRole, Scope};
use percent_encoding::percent_decode_str;

use crate::error::ApiError;

/// A single-valued navigation followed from an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// The host named by this JSON property (`host`, `parentHost`, `childHost`).
    Host(&'static str),
    /// The certificate named by this JSON property (`mostRecentSslCertificate`, `sslCertificate`).
    Certificate(&'static str),
    /// The `artifact` of an indicator or passive DNS record.
    Artifact,
}

/// What a Graph path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `/security/threatIntelligence`.
    Root,
    /// A collection; `count_only` for the `/$count` form.
    Collection {
        /// What to list.
        scope: Scope,
        /// `/$count`.
        count_only: bool,
    },
    /// One entity by id, optionally required to belong to `within`, optionally followed
    /// through a single-valued navigation.
    Entity {
        /// Entity kind.
        kind: EntityKind,
        /// Id (decoded).
        id: String,
        /// The collection it was addressed through.
        within: Option<Scope>,
        /// Navigation to follow.
        follow: Option<Follow>,
    },
    /// `/hosts/{id}/reputation`.
    Reputation {
        /// Host id.
        host: String,
    },
    /// `/hosts/{id}/whois`.
    HostWhois {
        /// Host id.
        host: String,
    },
}

/// Splits a raw path into decoded segments, expanding `name('key')` into `name`, `key`.
pub fn segments(raw: &str) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for seg in raw.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(seg)
            .decode_utf8()
            .map_err(|_| ApiError::bad_request(format!("path segment {seg:?} is not valid UTF-8")))?
            .into_owned();
        match split_key(&decoded) {
            Some((name, key)) => {
                out.push(name);
                out.push(key);
            }
            None => out.push(decoded),
        }
    }
    Ok(out)
}

fn split_key(seg: &str) -> Option<(String, String)> {
    let open = seg.find('(')?;
    let inner = seg[open + 1..].strip_suffix(')')?;
    let name = &seg[..open];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let key = inner
        .strip_prefix('\'')
        .and_then(|k| k.strip_suffix('\''))
        .unwrap_or(inner);
    Some((name.to_string(), key.replace("''", "'")))
}

fn host_id(text: &str) -> Result<String, ApiError> {
    HostName::parse(text)
        .map(|h| h.as_id())
        .map_err(|_| ApiError::not_found(format!("Host '{text}' was not found.")))
}

fn not_found(path: &[String]) -> ApiError {
    ApiError::not_found(format!(
        "Resource not found for the segment '{}'.",
        path.join("/")
    ))
}

/// A root collection name → its scope and item kind.
fn root_set(name: &str) -> Option<(Scope, EntityKind)> {
    Some(match name {
        "articles" => (Scope::Articles, EntityKind::Article),
        "articleIndicators" => (
            Scope::ArticleIndicators { article: None },
            EntityKind::ArticleIndicator,
        ),
        "intelProfiles" => (Scope::IntelProfiles, EntityKind::IntelProfile),
        "intelligenceProfileIndicators" | "intelProfileIndicators" => (
            Scope::ProfileIndicators { profile: None },
            EntityKind::ProfileIndicator,
        ),
        "hosts" => (Scope::Hosts, EntityKind::Host),
        "hostComponents" => (
            Scope::HostComponents { host: None },
            EntityKind::HostComponent,
        ),
        "hostCookies" => (Scope::HostCookies { host: None }, EntityKind::HostCookie),
        "hostTrackers" => (Scope::HostTrackers { host: None }, EntityKind::HostTracker),
        "hostPorts" => (Scope::HostPorts { host: None }, EntityKind::HostPort),
        "hostSslCertificates" => (
            Scope::HostSslCertificates { host: None },
            EntityKind::HostSslCertificate,
        ),
        "hostPairs" => (
            Scope::HostPairs {
                host: None,
                role: PairRole::Either,
            },
            EntityKind::HostPair,
        ),
        "passiveDnsRecords" => (
            Scope::PassiveDns { host: None },
            EntityKind::PassiveDnsRecord,
        ),
        "subdomains" => (Scope::Subdomains { host: None }, EntityKind::Subdomain),
        "sslCertificates" => (Scope::SslCertificates, EntityKind::SslCertificate),
        "vulnerabilities" => (Scope::Vulnerabilities, EntityKind::Vulnerability),
        "whoisRecords" => (Scope::WhoisRecords, EntityKind::WhoisRecord),
        "whoisHistoryRecords" | "whoisHistoryRecord" => (
            Scope::WhoisHistory {
                record: None,
                host: None,
            },
            EntityKind::WhoisHistoryRecord,
        ),
        _ => return None,
    })
}

/// A host's collection navigation → scope and item kind.
fn host_nav(host: &str, nav: &str) -> Option<(Scope, EntityKind)> {
    let h = Some(host.to_string());
    Some(match nav {
        "childHostPairs" => (
            Scope::HostPairs {
                host: h,
                role: PairRole::Parent,
            },
            EntityKind::HostPair,
        ),
        "parentHostPairs" => (
            Scope::HostPairs {
                host: h,
                role: PairRole::Child,
            },
            EntityKind::HostPair,
        ),
        "hostPairs" => (
            Scope::HostPairs {
                host: h,
                role: PairRole::Either,
            },
            EntityKind::HostPair,
        ),
        "components" => (Scope::HostComponents { host: h }, EntityKind::HostComponent),
        "cookies" => (Scope::HostCookies { host: h }, EntityKind::HostCookie),
        "trackers" => (Scope::HostTrackers { host: h }, EntityKind::HostTracker),
        "passiveDns" => (Scope::PassiveDns { host: h }, EntityKind::PassiveDnsRecord),
        "passiveDnsReverse" => (
            Scope::PassiveDnsReverse {
                host: host.to_string(),
            },
            EntityKind::PassiveDnsRecord,
        ),
        "ports" => (Scope::HostPorts { host: h }, EntityKind::HostPort),
        "sslCertificates" => (
            Scope::HostSslCertificates { host: h },
            EntityKind::HostSslCertificate,
        ),
        "subdomains" => (Scope::Subdomains { host: h }, EntityKind::Subdomain),
        _ => return None,
    })
}

/// Single-valued navigations of an entity kind.
fn entity_follow(kind: EntityKind, nav: &str) -> Option<Follow> {
    use EntityKind::*;
    Some(match (kind, nav) {
        (
            HostComponent | HostCookie | HostTracker | HostPort | HostSslCertificate | Subdomain,
            "host",
        ) => Follow::Host("host"),
        (WhoisRecord | WhoisHistoryRecord, "host") => Follow::Host("host"),
        (HostPair, "parentHost") | (PassiveDnsRecord, "parentHost") => Follow::Host("parentHost"),
        (HostPair, "childHost") => Follow::Host("childHost"),
        (HostPort, "mostRecentSslCertificate") => Follow::Certificate("mostRecentSslCertificate"),
        (HostSslCertificate, "sslCertificate") => Follow::Certificate("sslCertificate"),
        (ArticleIndicator | ProfileIndicator | PassiveDnsRecord, "artifact") => Follow::Artifact,
        _ => return None,
    })
}

/// An entity's collection navigation (other than a host's) → scope and item kind.
fn entity_nav(kind: EntityKind, id: &str, nav: &str) -> Option<(Scope, EntityKind)> {
    use EntityKind::*;
    let id = id.to_string();
    Some(match (kind, nav) {
        (Article, "indicators") => (
            Scope::ArticleIndicators { article: Some(id) },
            ArticleIndicator,
        ),
        (IntelProfile, "indicators") => (
            Scope::ProfileIndicators { profile: Some(id) },
            ProfileIndicator,
        ),
        (SslCertificate, "relatedHosts") => (Scope::CertificateHosts { certificate: id }, Host),
        (Vulnerability, "components") => (
            Scope::VulnerabilityComponents { cve: id },
            VulnerabilityComponent,
        ),
        (Vulnerability, "articles") => (Scope::VulnerabilityArticles { cve: id }, Article),
        (WhoisRecord, "history") => (
            Scope::WhoisHistory {
                record: Some(id),
                host: None,
            },
            WhoisHistoryRecord,
        ),
        _ => return None,
    })
}

/// Collection followed by optional `{id}` [/nav] or `$count`.
fn after_collection(
    scope: Scope,
    kind: EntityKind,
    rest: &[String],
    all: &[String],
) -> Result<Target, ApiError> {
    match rest {
        [] => Ok(Target::Collection {
            scope,
            count_only: false,
        }),
        [c] if c == "$count" => Ok(Target::Collection {
            scope,
            count_only: true,
        }),
        [id, tail @ ..] => {
            let id = if kind == EntityKind::Host {
                host_id(id)?
            } else {
                id.clone()
            };
            let within = if is_root_scope(&scope) {
                None
            } else {
                Some(scope)
            };
            after_entity(kind, id, within, tail, all)
        }
    }
}

fn is_root_scope(scope: &Scope) -> bool {
    matches!(
        scope,
        Scope::Articles
            | Scope::ArticleIndicators { article: None }
            | Scope::IntelProfiles
            | Scope::ProfileIndicators { profile: None }
            | Scope::Hosts
            | Scope::HostComponents { host: None }
            | Scope::HostCookies { host: None }
            | Scope::HostTrackers { host: None }
            | Scope::HostPorts { host: None }
            | Scope::HostSslCertificates { host: None }
            | Scope::HostPairs { host: None, .. }
            | Scope::PassiveDns { host: None }
            | Scope::Subdomains { host: None }
            | Scope::SslCertificates
            | Scope::Vulnerabilities
            | Scope::WhoisRecords
            | Scope::WhoisHistory {
                record: None,
                host: None
            }
    )
}

fn after_entity(
    kind: EntityKind,
    id: String,
    within: Option<Scope>,
    rest: &[String],
    all: &[String],
) -> Result<Target, ApiError> {
    match rest {
        [] => Ok(Target::Entity {
            kind,
            id,
            within,
            follow: None,
        }),
        [nav] if entity_follow(kind, nav).is_some() => Ok(Target::Entity {
            kind,
            id,
            within,
            follow: entity_follow(kind, nav),
        }),
        [nav, tail @ ..] if within.is_none() => {
            if kind == EntityKind::Host {
                return after_host(&id, nav, tail, all);
            }
            let (scope, item) = entity_nav(kind, &id, nav).ok_or_else(|| not_found(all))?;
            after_collection(scope, item, tail, all)
        }
        _ => Err(not_found(all)),
    }
}

fn after_host(host: &str, nav: &str, rest: &[String], all: &[String]) -> Result<Target, ApiError> {
    match (nav, rest) {
        ("reputation", []) => Ok(Target::Reputation {
            host: host.to_string(),
        }),
        ("whois", []) => Ok(Target::HostWhois {
            host: host.to_string(),
        }),
        ("whois", [h, tail @ ..]) if h == "history" => after_collection(
            Scope::WhoisHistory {
                record: None,
                host: Some(host.to_string()),
            },
            EntityKind::WhoisHistoryRecord,
            tail,
            all,
        ),
        _ => {
            let (scope, item) = host_nav(host, nav).ok_or_else(|| not_found(all))?;
            after_collection(scope, item, rest, all)
        }
    }
}

/// Resolves the segments after `/security/threatIntelligence`.
pub fn resolve(segs: &[String]) -> Result<Target, ApiError> {
    match segs {
        [] => Ok(Target::Root),
        [set, rest @ ..] => {
            let (scope, kind) = root_set(set).ok_or_else(|| not_found(segs))?;
            after_collection(scope, kind, rest, segs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(path: &str) -> Result<Target, ApiError> {
        resolve(&segments(path).unwrap())
    }

    #[test]
    fn ids_with_padding_and_escapes_round_trip() {
        let t = r("passiveDnsRecords/Y29udG9zby5jb20kJDIwLjEwMy44NS4zMyQkZmFsc2U%3D").unwrap();
        assert_eq!(
            t,
            Target::Entity {
                kind: EntityKind::PassiveDnsRecord,
                id: "Y29udG9zby5jb20kJDIwLjEwMy44NS4zMyQkZmFsc2U=".into(),
                within: None,
                follow: None
            }
        );
        let t2 = r("passiveDnsRecords/Y29udG9zby5jb20kJDIwLjEwMy44NS4zMyQkZmFsc2U=").unwrap();
        assert_eq!(t, t2);
        let slash = r("sslCertificates/ab%2Fcd%2B%3D").unwrap();
        assert!(matches!(slash, Target::Entity { ref id, .. } if id == "ab/cd+="));
        assert_eq!(
            r("hosts('WWW.Example.com')").unwrap(),
            r("hosts/www.example.com").unwrap()
        );
    }

    #[test]
    fn host_navigations() {
        assert_eq!(
            r("hosts/example.com/childHostPairs").unwrap(),
            Target::Collection {
                scope: Scope::HostPairs {
                    host: Some("example.com".into()),
                    role: PairRole::Parent
                },
                count_only: false
            }
        );
        assert!(matches!(
            r("hosts/192.0.2.1/passiveDnsReverse/$count").unwrap(),
            Target::Collection {
                count_only: true,
                ..
            }
        ));
        assert_eq!(
            r("hosts/example.com/reputation").unwrap(),
            Target::Reputation {
                host: "example.com".into()
            }
        );
        assert!(matches!(
            r("hosts/example.com/whois/history/$count").unwrap(),
            Target::Collection {
                scope: Scope::WhoisHistory { host: Some(_), .. },
                count_only: true
            }
        ));
        assert!(matches!(
            r("hosts/example.com/components/abc").unwrap(),
            Target::Entity {
                kind: EntityKind::HostComponent,
                within: Some(Scope::HostComponents { .. }),
                ..
            }
        ));
        assert!(r("hosts/example.com/nope").is_err());
        assert!(r("hosts/bad host!").is_err());
    }

    #[test]
    fn entity_navigations() {
        assert!(matches!(
            r("hostPorts/x/mostRecentSslCertificate").unwrap(),
            Target::Entity {
                follow: Some(Follow::Certificate(_)),
                ..
            }
        ));
        assert!(matches!(
            r("hostPairs/x/childHost").unwrap(),
            Target::Entity {
                follow: Some(Follow::Host("childHost")),
                ..
            }
        ));
        assert!(matches!(
            r("articleIndicators/x/artifact").unwrap(),
            Target::Entity {
                follow: Some(Follow::Artifact),
                ..
            }
        ));
        assert!(matches!(
            r("vulnerabilities/CVE-2021-44228/articles/$count").unwrap(),
            Target::Collection {
                scope: Scope::VulnerabilityArticles { .. },
                count_only: true
            }
        ));
        assert!(matches!(
            r("whoisRecords/x/history/y").unwrap(),
            Target::Entity {
                kind: EntityKind::WhoisHistoryRecord,
                within: Some(_),
                ..
            }
        ));
        assert!(matches!(
            r("whoisHistoryRecord/y").unwrap(),
            Target::Entity {
                kind: EntityKind::WhoisHistoryRecord,
                within: None,
                ..
            }
        ));
        assert!(matches!(
            r("intelProfileIndicators").unwrap(),
            Target::Collection { .. }
        ));
        assert!(matches!(
            r("sslCertificates/x/relatedHosts/192.0.2.1").unwrap(),
            Target::Entity {
                kind: EntityKind::Host,
                ..
            }
        ));
        assert!(r("articles/x/bogus").is_err());
        assert!(r("nothing").is_err());
        assert_eq!(r("").unwrap(), Target::Root);
    }
}
