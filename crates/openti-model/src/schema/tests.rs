//! Schema self-consistency and lookup tests (model drift tests are in `drift_tests.rs`).

use std::collections::BTreeSet;

use super::*;
use crate::enums::*;

// ---------------------------------------------------------------- table integrity

#[test]
fn counts_match_the_spec() {
    let security: Vec<_> = ENTITY_TYPES
        .iter()
        .filter(|t| t.namespace == NAMESPACE)
        .collect();
    assert_eq!(security.len(), 26);
    assert_eq!(ENTITY_TYPES.len(), 27, "26 + microsoft.graph.entity");
    assert_eq!(
        COMPLEX_TYPES
            .iter()
            .filter(|t| t.namespace == NAMESPACE)
            .count(),
        12
    );
    assert_eq!(
        COMPLEX_TYPES.len(),
        13,
        "12 + microsoft.graph.physicalAddress"
    );
    assert_eq!(ENUM_TYPES.len(), 8);
    assert_eq!(ENTITY_SETS.len(), 17);
    assert_eq!(
        complex_type("physicalAddress").unwrap().namespace,
        GRAPH_NAMESPACE
    );
    assert_eq!(entity_type("entity").unwrap().namespace, GRAPH_NAMESPACE);
}

#[test]
fn names_are_unique() {
    let mut seen = BTreeSet::new();
    for n in ENTITY_TYPES
        .iter()
        .map(|t| t.name)
        .chain(COMPLEX_TYPES.iter().map(|t| t.name))
        .chain(ENUM_TYPES.iter().map(|t| t.name))
    {
        assert!(seen.insert(n), "duplicate type name {n}");
    }
    for t in ENTITY_TYPES {
        let mut members = BTreeSet::new();
        for p in all_properties(t.name) {
            assert!(
                members.insert(p.name),
                "{}: duplicate member {}",
                t.name,
                p.name
            );
        }
        for n in all_navigations(t.name) {
            assert!(
                members.insert(n.name),
                "{}: duplicate member {}",
                t.name,
                n.name
            );
        }
    }
    for c in COMPLEX_TYPES {
        let mut members = BTreeSet::new();
        for n in c
            .properties
            .iter()
            .map(|p| p.name)
            .chain(c.navigations.iter().map(|n| n.name))
        {
            assert!(members.insert(n), "{}: duplicate member {n}", c.name);
        }
    }
}

#[test]
fn inheritance_is_well_formed() {
    for t in ENTITY_TYPES {
        match t.base {
            None => assert_eq!(t.name, "entity"),
            Some(b) => assert!(entity_type(b).is_some(), "{}: base {b} missing", t.name),
        }
        let chain = base_chain(t.name);
        assert_eq!(
            chain.first().unwrap().name,
            "entity",
            "{} does not reach entity",
            t.name
        );
        assert_eq!(chain.last().unwrap().name, t.name);
        assert_eq!(entity_key(t.name), Some("id"));
        assert_eq!(
            t.key.is_some(),
            t.name == "entity",
            "only entity declares the key"
        );
    }
    let abstracts: BTreeSet<_> = ENTITY_TYPES
        .iter()
        .filter(|t| t.is_abstract)
        .map(|t| t.name)
        .collect();
    assert_eq!(
        abstracts,
        BTreeSet::from(["entity", "indicator", "artifact", "host", "whoisBaseRecord"])
    );
    assert_eq!(
        base_chain("hostname")
            .iter()
            .map(|t| t.name)
            .collect::<Vec<_>>(),
        ["entity", "artifact", "host", "hostname"]
    );
    assert!(base_chain("nope").is_empty());
}

#[test]
fn every_reference_resolves() {
    let check_prop = |owner: &str, p: &Property| match p.ty {
        EdmType::Enum(n) => assert!(
            enum_type(n).is_some(),
            "{owner}.{}: enum {n} missing",
            p.name
        ),
        EdmType::Complex(n) => assert!(
            complex_type(n).is_some(),
            "{owner}.{}: complex {n} missing",
            p.name
        ),
        EdmType::Entity(_) => panic!("{owner}.{}: properties must not be entity-typed", p.name),
        _ => {}
    };
    for t in ENTITY_TYPES {
        t.properties.iter().for_each(|p| check_prop(t.name, p));
        for n in t.navigations {
            assert!(
                entity_type(n.target).is_some(),
                "{}.{}: target {} missing",
                t.name,
                n.name,
                n.target
            );
            assert_eq!(n.contains_target, t.name == SINGLETON_TYPE);
        }
    }
    for c in COMPLEX_TYPES {
        c.properties.iter().for_each(|p| check_prop(c.name, p));
        for n in c.navigations {
            assert!(
                entity_type(n.target).is_some(),
                "{}.{}: target {} missing",
                c.name,
                n.name,
                n.target
            );
            assert!(!n.collection && !n.contains_target);
        }
    }
    for p in ENTITY_TYPES
        .iter()
        .flat_map(|t| t.properties)
        .chain(COMPLEX_TYPES.iter().flat_map(|c| c.properties))
    {
        if p.collection {
            assert!(!p.nullable, "collection {} must not be nullable", p.name);
        }
    }
}

#[test]
fn entity_sets_are_the_singleton_navigations() {
    let ti = entity_type(SINGLETON_TYPE).unwrap();
    assert!(ti.properties.is_empty());
    assert_eq!(ti.navigations.len(), ENTITY_SETS.len());
    for (nav, set) in ti.navigations.iter().zip(ENTITY_SETS) {
        assert_eq!((nav.name, nav.target), (set.name, set.entity_type));
        assert!(nav.collection && nav.contains_target);
    }
    assert_eq!(
        entity_set("intelligenceProfileIndicators")
            .unwrap()
            .entity_type,
        "intelligenceProfileIndicator"
    );
    assert_eq!(
        entity_set("intelProfiles").unwrap().entity_type,
        "intelligenceProfile"
    );
    assert_eq!(entity_set("hosts").unwrap().entity_type, "host");
    assert!(entity_set("intelProfileIndicators").is_none());
}

#[test]
fn navigations_per_spec() {
    let names = |t: &str| {
        all_navigations(t)
            .iter()
            .map(|n| n.name)
            .collect::<Vec<_>>()
    };
    let host = names("host");
    assert_eq!(host.len(), 13);
    assert_eq!(names("ipAddress"), host);
    let single: Vec<_> = all_navigations("host")
        .into_iter()
        .filter(|n| !n.collection)
        .map(|n| n.name)
        .collect();
    assert_eq!(single, ["reputation", "whois"]);
    assert_eq!(names("articleIndicator"), ["artifact"]);
    assert_eq!(names("hostPair"), ["parentHost", "childHost"]);
    assert_eq!(names("hostPort"), ["host", "mostRecentSslCertificate"]);
    assert_eq!(names("hostSslCertificate"), ["host", "sslCertificate"]);
    assert_eq!(names("passiveDnsRecord"), ["parentHost", "artifact"]);
    assert_eq!(names("vulnerability"), ["articles", "components"]);
    assert_eq!(names("whoisRecord"), ["host", "history"]);
    assert_eq!(names("whoisHistoryRecord"), ["host"]);
    assert_eq!(
        find_navigation("hostPort", "mostRecentSslCertificate")
            .unwrap()
            .target,
        "sslCertificate"
    );
    assert_eq!(
        find_navigation("sslCertificate", "relatedHosts")
            .unwrap()
            .target,
        "host"
    );
}

#[test]
fn enums_agree_with_rust_model() {
    macro_rules! same {
        ($name:literal, $ty:ty) => {
            let rust: Vec<&str> = <$ty>::ALL.iter().map(|v| v.as_str()).collect();
            assert_eq!(enum_type($name).unwrap().members, rust.as_slice(), $name);
        };
    }
    same!("indicatorSource", IndicatorSource);
    same!("contentFormat", ContentFormat);
    same!("intelligenceProfileKind", IntelligenceProfileKind);
    same!("hostPortProtocol", HostPortProtocol);
    same!("hostPortStatus", HostPortStatus);
    same!("hostReputationClassification", HostReputationClassification);
    same!("hostReputationRuleSeverity", HostReputationRuleSeverity);
    same!("vulnerabilitySeverity", VulnerabilitySeverity);
}

// ---------------------------------------------------------------- lookups

#[test]
fn lookups_and_inheritance_helpers() {
    assert_eq!(find_property("hostname", "id").unwrap().ty, EdmType::String);
    assert_eq!(
        find_property("hostname", "firstSeenDateTime").unwrap().ty,
        EdmType::DateTimeOffset
    );
    assert!(find_property("ipAddress", "registrar").is_none());
    assert_eq!(
        find_property("whoisRecord", "registrant").unwrap().ty,
        EdmType::Complex("whoisContact")
    );
    assert_eq!(
        all_properties("intelligenceProfileIndicator")
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>(),
        ["id", "source", "firstSeenDateTime", "lastSeenDateTime"]
    );
    assert!(all_properties("unknown").is_empty());
    assert!(entity_type("hostPort").is_some() && entity_type("HostPort").is_none());
    assert_eq!(
        entity_type_by_qualified_name("#microsoft.graph.security.hostname")
            .unwrap()
            .name,
        "hostname"
    );
    assert_eq!(
        entity_type_by_qualified_name("microsoft.graph.entity")
            .unwrap()
            .name,
        "entity"
    );
    assert!(entity_type_by_qualified_name("microsoft.graph.hostname").is_none());

    let derived = |n: &str| derived_types(n).iter().map(|t| t.name).collect::<Vec<_>>();
    assert_eq!(derived("host"), ["hostname", "ipAddress"]);
    assert_eq!(
        derived("indicator"),
        ["articleIndicator", "intelligenceProfileIndicator"]
    );
    assert_eq!(
        derived("whoisBaseRecord"),
        ["whoisRecord", "whoisHistoryRecord"]
    );
    let artifact: BTreeSet<_> = derived("artifact").into_iter().collect();
    assert_eq!(
        artifact,
        BTreeSet::from([
            "host",
            "hostname",
            "ipAddress",
            "hostComponent",
            "hostCookie",
            "hostTracker",
            "hostSslCertificate",
            "sslCertificate",
            "passiveDnsRecord",
            "unclassifiedArtifact",
        ])
    );
    assert!(derived("hostPort").is_empty());
    assert_eq!(derived("entity").len(), 26);
    assert!(derives_from("ipAddress", "artifact") && derives_from("host", "host"));
    assert!(!derives_from("hostPair", "artifact") && !derives_from("subdomain", "artifact"));
}

#[test]
fn names_and_odata_types() {
    assert_eq!(odata_type("hostPort"), "#microsoft.graph.security.hostPort");
    assert_eq!(odata_type("entity"), "#microsoft.graph.entity");
    assert_eq!(
        odata_type("physicalAddress"),
        "#microsoft.graph.physicalAddress"
    );
    assert_eq!(
        entity_type("ipAddress").unwrap().odata_type(),
        "#microsoft.graph.security.ipAddress"
    );
    assert_eq!(
        complex_type("cvssSummary").unwrap().qualified_name(),
        "microsoft.graph.security.cvssSummary"
    );
    assert_eq!(
        enum_type("hostPortStatus").unwrap().qualified_name(),
        "microsoft.graph.security.hostPortStatus"
    );
    let p = find_property("sslCertificate", "issuer").unwrap();
    assert_eq!(
        p.type_name(),
        "microsoft.graph.security.sslCertificateEntity"
    );
    assert_eq!(
        find_property("article", "tags").unwrap().type_name(),
        "Collection(Edm.String)"
    );
    assert_eq!(find_property("whoisContact_missing", "x"), None);
    let addr = complex_type("whoisContact")
        .unwrap()
        .properties
        .iter()
        .find(|p| p.name == "address")
        .unwrap();
    assert_eq!(addr.type_name(), "microsoft.graph.physicalAddress");
    assert_eq!(
        find_navigation("host", "hostPairs").unwrap().type_name(),
        "Collection(microsoft.graph.security.hostPair)"
    );
    assert_eq!(
        find_navigation("host", "whois").unwrap().type_name(),
        "microsoft.graph.security.whoisRecord"
    );
    assert!(EdmType::Double.is_primitive() && !EdmType::Enum("x").is_primitive());
}

#[test]
fn resolve_path_examples() {
    let r =
        |e: &str, p: &str| resolve_path(e, p).unwrap_or_else(|| panic!("{e}: {p} should resolve"));
    let one = |ty| ResolvedPath {
        ty,
        collection: false,
        navigation: false,
    };

    assert_eq!(
        r("vulnerability", "cvss3Summary/score"),
        one(EdmType::Double)
    );
    assert_eq!(
        r("vulnerability", "cvss3Summary/severity"),
        one(EdmType::Enum("vulnerabilitySeverity"))
    );
    assert_eq!(
        r("vulnerability", "cvss3Summary"),
        one(EdmType::Complex("cvssSummary"))
    );
    assert_eq!(r("article", "title"), one(EdmType::String));
    assert_eq!(r("hostname", "id"), one(EdmType::String));
    assert_eq!(r("whoisRecord", "registrant/email"), one(EdmType::String));
    assert_eq!(
        r("whoisHistoryRecord", "registrant/address/city"),
        one(EdmType::String)
    );
    assert_eq!(
        r("sslCertificate", "issuer/commonName"),
        one(EdmType::String)
    );
    assert_eq!(
        r("sslCertificate", "subject/address/city"),
        one(EdmType::String)
    );
    assert_eq!(
        r("hostPair", "childHost/id"),
        ResolvedPath {
            ty: EdmType::String,
            collection: false,
            navigation: true
        }
    );
    assert_eq!(
        r("hostPair", "parentHost"),
        ResolvedPath {
            ty: EdmType::Entity("host"),
            collection: false,
            navigation: true
        }
    );
    assert_eq!(
        r("articleIndicator", "artifact/id"),
        ResolvedPath {
            ty: EdmType::String,
            collection: false,
            navigation: true
        }
    );
    assert_eq!(
        r("hostPort", "mostRecentSslCertificate/issuer/commonName"),
        ResolvedPath {
            ty: EdmType::String,
            collection: false,
            navigation: true
        }
    );
    assert_eq!(
        r(
            "hostPair",
            "childHost/microsoft.graph.security.hostname/registrar"
        ),
        ResolvedPath {
            ty: EdmType::String,
            collection: false,
            navigation: true
        }
    );
    assert_eq!(
        r("host", "microsoft.graph.security.ipAddress"),
        one(EdmType::Entity("ipAddress"))
    );
    // Collections anywhere along the path set the flag.
    assert_eq!(
        r("article", "tags"),
        ResolvedPath {
            ty: EdmType::String,
            collection: true,
            navigation: false
        }
    );
    assert_eq!(
        r("hostPort", "banners/banner"),
        ResolvedPath {
            ty: EdmType::String,
            collection: true,
            navigation: false
        }
    );
    assert_eq!(
        r("sslCertificate", "subject/alternateNames"),
        ResolvedPath {
            ty: EdmType::String,
            collection: true,
            navigation: false
        }
    );
    assert_eq!(
        r("whoisRecord", "nameservers/host/id"),
        ResolvedPath {
            ty: EdmType::String,
            collection: true,
            navigation: true
        }
    );
    assert_eq!(
        r("hostPort", "services/component/name"),
        ResolvedPath {
            ty: EdmType::String,
            collection: true,
            navigation: true
        }
    );
    assert_eq!(
        r("host", "hostPairs"),
        ResolvedPath {
            ty: EdmType::Entity("hostPair"),
            collection: true,
            navigation: true
        }
    );
}

#[test]
fn resolve_path_failures() {
    for (e, p) in [
        ("nope", "id"),
        ("article", ""),
        ("article", "nope"),
        ("article", "title/"),
        ("article", "/title"),
        ("article", "title/length"),
        ("vulnerability", "cvss3Summary/nope"),
        ("vulnerability", "cvss3Summary/score/x"),
        ("whoisRecord", "registrant/address/nope"),
        ("hostPair", "childHost/nope"),
        ("hostPair", "childHost/registrar"),
        ("host", "hostPairs/id"),
        ("host", "microsoft.graph.security.hostPort"),
        ("hostPair", "childHost/microsoft.graph.security.nope/id"),
        (
            "vulnerability",
            "cvss3Summary/microsoft.graph.security.cvssSummary",
        ),
        ("hostname", "autonomousSystem"),
        ("hostComponent", "Name"),
    ] {
        assert_eq!(resolve_path(e, p), None, "{e}: {p:?} should not resolve");
    }
}
