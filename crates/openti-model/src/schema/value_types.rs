//! The complex-type, enum and entity-set tables (spec 1.1, 2.4, 2.5).
//!
//! Nullability follows the Rust model in [`crate::entities`] / [`crate::complex`]: a property
//! whose Rust field is an `Option` (or which Graph shows as `null`) is nullable; collections are
//! never null (they are emitted as `[]`). Property order is the spec's table order.

use super::build::*;
use super::EdmType::{Boolean, Complex, Double, Enum, Int32, String as Str};
use super::{ComplexType, EntitySetInfo, EnumType, GRAPH_NAMESPACE};

/// Every complex type: the 12 of the security namespace plus `microsoft.graph.physicalAddress`
/// (spec 2.4). `hostPortComponent.component` and `whoisNameserver.host` are modelled as
/// navigations because Graph lists them as relationships.
pub static COMPLEX_TYPES: &[ComplexType] = &[
    complex(
        "formattedContent",
        &[req("content", Str), req("format", Enum("contentFormat"))],
        &[],
    ),
    complex(
        "intelligenceProfileCountryOrRegionOfOrigin",
        &[opt("code", Str), opt("label", Str)],
        &[],
    ),
    complex(
        "hostPortBanner",
        &[
            req("banner", Str),
            opt("scanProtocol", Str),
            req("timesObserved", Int32),
            FIRST_SEEN,
            LAST_SEEN,
        ],
        &[],
    ),
    complex(
        "hostPortComponent",
        &[req("isRecent", Boolean), FIRST_SEEN, LAST_SEEN],
        &[one("component", "hostComponent")],
    ),
    complex(
        "hostReputationRule",
        &[
            req("name", Str),
            req("description", Str),
            req("severity", Enum("hostReputationRuleSeverity")),
            opt("relatedDetailsUrl", Str),
        ],
        &[],
    ),
    complex(
        "hostSslCertificatePort",
        &[req("port", Int32), FIRST_SEEN, LAST_SEEN],
        &[],
    ),
    complex(
        "sslCertificateEntity",
        &[
            opt("commonName", Str),
            coll("alternateNames", Str),
            opt("email", Str),
            opt("givenName", Str),
            opt("surname", Str),
            opt("organizationName", Str),
            opt("organizationUnitName", Str),
            opt("serialNumber", Str),
            opt("address", Complex("physicalAddress")),
        ],
        &[],
    ),
    complex(
        "autonomousSystem",
        &[
            opt("name", Str),
            opt("number", Int32),
            opt("organization", Str),
            opt("value", Str),
        ],
        &[],
    ),
    complex(
        "cvssSummary",
        &[
            opt("score", Double),
            opt("severity", Enum("vulnerabilitySeverity")),
            opt("vectorString", Str),
        ],
        &[],
    ),
    complex("hyperlink", &[opt("name", Str), opt("url", Str)], &[]),
    complex(
        "whoisContact",
        &[
            opt("name", Str),
            opt("organization", Str),
            opt("email", Str),
            opt("telephone", Str),
            opt("fax", Str),
            opt("address", Complex("physicalAddress")),
        ],
        &[],
    ),
    complex("whoisNameserver", &[FIRST_SEEN, LAST_SEEN], &[HOST_NAV]),
    ComplexType {
        name: "physicalAddress",
        namespace: GRAPH_NAMESPACE,
        properties: &[
            opt("city", Str),
            opt("countryOrRegion", Str),
            opt("postalCode", Str),
            opt("state", Str),
            opt("street", Str),
        ],
        navigations: &[],
    },
];

/// The eight enums of the security namespace, members in schema order (spec 2.5; identical
/// to the `ALL` constants in [`crate::enums`]).
pub static ENUM_TYPES: &[EnumType] = &[
    EnumType {
        name: "indicatorSource",
        members: &["microsoft", "osint", "public", "unknownFutureValue"],
    },
    EnumType {
        name: "contentFormat",
        members: &["text", "html", "markdown", "unknownFutureValue"],
    },
    EnumType {
        name: "intelligenceProfileKind",
        members: &["actor", "tool", "unknownFutureValue"],
    },
    EnumType {
        name: "hostPortProtocol",
        members: &["tcp", "udp", "unknownFutureValue"],
    },
    EnumType {
        name: "hostPortStatus",
        members: &["open", "filtered", "closed", "unknownFutureValue"],
    },
    EnumType {
        name: "hostReputationClassification",
        members: &[
            "unknown",
            "neutral",
            "suspicious",
            "malicious",
            "unknownFutureValue",
        ],
    },
    EnumType {
        name: "hostReputationRuleSeverity",
        members: &["unknown", "low", "medium", "high", "unknownFutureValue"],
    },
    EnumType {
        name: "vulnerabilitySeverity",
        members: &[
            "none",
            "low",
            "medium",
            "high",
            "critical",
            "unknownFutureValue",
        ],
    },
];

/// The collections under `/security/threatIntelligence` (spec 1.1), in the same order as the
/// navigations of the `threatIntelligence` entity type.
pub static ENTITY_SETS: &[EntitySetInfo] = &[
    EntitySetInfo {
        name: "articleIndicators",
        entity_type: "articleIndicator",
    },
    EntitySetInfo {
        name: "articles",
        entity_type: "article",
    },
    EntitySetInfo {
        name: "hostComponents",
        entity_type: "hostComponent",
    },
    EntitySetInfo {
        name: "hostCookies",
        entity_type: "hostCookie",
    },
    EntitySetInfo {
        name: "hostPairs",
        entity_type: "hostPair",
    },
    EntitySetInfo {
        name: "hostPorts",
        entity_type: "hostPort",
    },
    EntitySetInfo {
        name: "hosts",
        entity_type: "host",
    },
    EntitySetInfo {
        name: "hostSslCertificates",
        entity_type: "hostSslCertificate",
    },
    EntitySetInfo {
        name: "hostTrackers",
        entity_type: "hostTracker",
    },
    EntitySetInfo {
        name: "intelligenceProfileIndicators",
        entity_type: "intelligenceProfileIndicator",
    },
    EntitySetInfo {
        name: "intelProfiles",
        entity_type: "intelligenceProfile",
    },
    EntitySetInfo {
        name: "passiveDnsRecords",
        entity_type: "passiveDnsRecord",
    },
    EntitySetInfo {
        name: "sslCertificates",
        entity_type: "sslCertificate",
    },
    EntitySetInfo {
        name: "subdomains",
        entity_type: "subdomain",
    },
    EntitySetInfo {
        name: "vulnerabilities",
        entity_type: "vulnerability",
    },
    EntitySetInfo {
        name: "whoisHistoryRecords",
        entity_type: "whoisHistoryRecord",
    },
    EntitySetInfo {
        name: "whoisRecords",
        entity_type: "whoisRecord",
    },
];
