//! Per-endpoint allow-rules, kept as data.
//!
//! Each collection endpoint names its element entity type and which query options it accepts;
//! [`EXPANDABLE`] lists the navigations `$expand` may inline per entity type. The SDK (and so
//! `$metadata`) exposes every option on every collection (spec 1.4); the docs are narrower
//! (spec 1.5). OpenTI accepts the SDK's breadth wherever the store can answer, and the
//! documented restrictions where the docs state them as rules (mandatory `$search` forms,
//! `$expand` targets, no nested `$select`).

/// What `$search` means on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    /// `$search` is refused.
    None,
    /// Free text over the full-text index.
    Text,
    /// Graph's `"property:value"` form.
    Property,
}

/// The rules of one collection endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Endpoint key (the store's `Scope::endpoint()`), e.g. `hostPairs`, `passiveDnsReverse`.
    pub name: &'static str,
    /// Short name of the element entity type.
    pub entity_type: &'static str,
    /// `$filter` accepted.
    pub filter: bool,
    /// `$orderby` accepted.
    pub orderby: bool,
    /// `$search` form.
    pub search: SearchMode,
}

const fn ep(
    name: &'static str,
    entity_type: &'static str,
    filter: bool,
    orderby: bool,
    search: SearchMode,
) -> Endpoint {
    Endpoint {
        name,
        entity_type,
        filter,
        orderby,
        search,
    }
}

/// Every collection endpoint.
pub static ENDPOINTS: &[Endpoint] = &[
    ep("articles", "article", true, true, SearchMode::Text),
    ep(
        "articleIndicators",
        "articleIndicator",
        true,
        true,
        SearchMode::None,
    ),
    ep(
        "intelProfiles",
        "intelligenceProfile",
        true,
        true,
        SearchMode::Text,
    ),
    ep(
        "intelligenceProfileIndicators",
        "intelligenceProfileIndicator",
        true,
        true,
        SearchMode::None,
    ),
    ep("hosts", "host", true, true, SearchMode::None),
    ep(
        "hostComponents",
        "hostComponent",
        true,
        true,
        SearchMode::None,
    ),
    ep("hostCookies", "hostCookie", true, true, SearchMode::None),
    ep("hostTrackers", "hostTracker", true, true, SearchMode::None),
    ep("hostPorts", "hostPort", true, true, SearchMode::None),
    ep(
        "hostSslCertificates",
        "hostSslCertificate",
        true,
        true,
        SearchMode::None,
    ),
    ep("hostPairs", "hostPair", true, true, SearchMode::None),
    ep(
        "passiveDnsRecords",
        "passiveDnsRecord",
        true,
        true,
        SearchMode::None,
    ),
    ep(
        "passiveDnsReverse",
        "passiveDnsRecord",
        true,
        true,
        SearchMode::None,
    ),
    ep("subdomains", "subdomain", true, true, SearchMode::None),
    ep(
        "sslCertificates",
        "sslCertificate",
        true,
        true,
        SearchMode::Property,
    ),
    ep("relatedHosts", "host", true, true, SearchMode::None),
    ep(
        "vulnerabilities",
        "vulnerability",
        true,
        true,
        SearchMode::None,
    ),
    ep(
        "vulnerabilityComponents",
        "vulnerabilityComponent",
        true,
        true,
        SearchMode::None,
    ),
    ep(
        "vulnerabilityArticles",
        "article",
        true,
        true,
        SearchMode::Text,
    ),
    ep(
        "whoisRecords",
        "whoisRecord",
        true,
        true,
        SearchMode::Property,
    ),
    ep(
        "whoisHistoryRecords",
        "whoisHistoryRecord",
        true,
        true,
        SearchMode::None,
    ),
];

/// Navigations `$expand` may inline, per entity type (the list plus the certificate
/// that a hostSslCertificate always carries inline).
pub static EXPANDABLE: &[(&str, &[&str])] = &[
    ("hostPort", &["mostRecentSslCertificate"]),
    ("articleIndicator", &["artifact"]),
    ("intelligenceProfileIndicator", &["artifact"]),
    ("hostPair", &["childHost", "parentHost"]),
    ("vulnerability", &["articles", "components"]),
    ("whoisRecord", &["history"]),
    ("hostSslCertificate", &["sslCertificate"]),
];

/// The rules of an endpoint by key.
pub fn endpoint(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.name == name)
}

/// The navigations of `entity_type` that `$expand` accepts.
pub fn expandable(entity_type: &str) -> &'static [&'static str] {
    EXPANDABLE
        .iter()
        .find(|(t, _)| *t == entity_type)
        .map_or(&[], |(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openti_model::schema::{entity_type, find_navigation};

    #[test]
    fn rules_name_real_types_and_navigations() {
        for e in ENDPOINTS {
            assert!(entity_type(e.entity_type).is_some(), "{}", e.name);
        }
        for (t, navs) in EXPANDABLE {
            for n in *navs {
                assert!(find_navigation(t, n).is_some(), "{t}/{n}");
            }
        }
    }
}
