//! Validation against the schema table and the endpoint rules.

use openti_model::schema::EdmType;
use openti_odata::{compile, endpoint, BoolExpr, CmpOp, Literal, Operand, QueryOption, RawOptions};

fn filter(ep: &str, f: &str) -> Result<BoolExpr, openti_odata::ODataError> {
    let e = endpoint(ep).expect("endpoint");
    let raw = RawOptions {
        filter: Some(f.into()),
        ..Default::default()
    };
    compile(e.entity_type, Some(e), &raw).map(|c| c.filter.expect("filter").0)
}

fn ok(ep: &str, f: &str) -> BoolExpr {
    filter(ep, f).unwrap_or_else(|e| panic!("{ep}: {f}: {e}"))
}

fn bad(ep: &str, f: &str, pos: usize, needle: &str) {
    let e = filter(ep, f).expect_err(f);
    assert_eq!(e.option, QueryOption::Filter);
    assert_eq!(e.position, Some(pos), "{f}: {e}");
    assert!(e.to_string().contains(needle), "{f}: {e}");
}

#[test]
fn issue_examples_validate() {
    for (ep, f) in [
        ("vulnerabilities", "cvss3Summary/score ge 7.5"),
        ("vulnerabilities", "cvss3Summary/score gt 7"),
        (
            "vulnerabilities",
            "severity eq 'critical' and exploitsAvailable",
        ),
        ("hostPairs", "childHost/id eq 'contoso.com'"),
        ("hostPairs", "parentHost/id in ('a.example','b.example')"),
        ("hostPairs", "(linkKind eq 'redirect')"),
        ("whoisRecords", "registrant/email eq 'x@example.com'"),
        (
            "whoisRecords",
            "nameservers/any(n: n/host/id eq 'ns1.example.net')",
        ),
        ("sslCertificates", "issuer/commonName eq 'CA'"),
        (
            "sslCertificates",
            "subject/alternateNames/any(a: endswith(a, '.example.com'))",
        ),
        ("articles", "tags/any(t: t eq 'ransomware')"),
        ("articles", "tags/all(t: t ne 'x') and tags/any()"),
        ("articles", "createdDateTime ge 2024-01-01T00:00:00Z"),
        ("articles", "createdDateTime ge '2024-01-01T00:00:00Z'"),
        (
            "articles",
            "contains(tolower(title), 'phish') or summary/content eq null",
        ),
        ("articles", "not isFeatured"),
        ("articles", "summary/format eq 'markdown'"),
        (
            "intelProfiles",
            "countriesOrRegionsOfOrigin/any(c: c/code eq 'IR')",
        ),
        (
            "intelProfiles",
            "kind eq microsoft.graph.security.intelligenceProfileKind'actor'",
        ),
        (
            "hostPorts",
            "status eq 'open' and port in (22, 443) and timesObserved gt 1",
        ),
        (
            "hostPorts",
            "banners/any(b: b/timesObserved ge 2 and contains(b/banner, 'nginx'))",
        ),
        ("hostPorts", "services/any(s: s/isRecent)"),
        ("hostPorts", "mostRecentSslCertificate eq null"),
        ("hosts", "registrar eq 'x'"),
        (
            "hosts",
            "microsoft.graph.security.hostname/registrar eq 'x'",
        ),
        ("passiveDnsRecords", "recordType eq 'A'"),
        (
            "passiveDnsRecords",
            "contains(tolower(recordType), 'a') eq false",
        ),
    ] {
        ok(ep, f);
    }
}

#[test]
fn literals_are_typed_to_the_property() {
    let BoolExpr::Compare { op, right, .. } = ok("hostPorts", "status eq 'OPEN'") else {
        panic!()
    };
    assert_eq!(op, CmpOp::Eq);
    assert_eq!(
        right,
        Operand::Literal(Literal::Enum {
            ty: "hostPortStatus".into(),
            member: "open".into()
        })
    );
    let BoolExpr::Compare { left, right, .. } = ok("vulnerabilities", "2 lt priorityScore") else {
        panic!()
    };
    assert_eq!(left, Operand::Literal(Literal::Int(2)));
    assert_eq!(right.member().unwrap().ty, EdmType::Int32);
    let BoolExpr::Compare { right, .. } = ok("articles", "createdDateTime lt '2024-05-01'") else {
        panic!()
    };
    assert!(matches!(right, Operand::Literal(Literal::DateTime(_))));
    // `cond eq false` is `not cond`
    assert!(matches!(
        ok("articles", "contains(title,'x') eq false"),
        BoolExpr::Not(_)
    ));
}

#[test]
fn errors_point_at_the_offending_token() {
    bad(
        "articles",
        "nosuch eq 1",
        0,
        "could not find a property named 'nosuch'",
    );
    bad("articles", "title eq 'a' and nosuch eq 1", 17, "'nosuch'");
    bad("vulnerabilities", "cvss3Summary/nope eq 1", 13, "'nope'");
    bad(
        "articles",
        "title eq 5",
        9,
        "cannot be compared with Edm.String",
    );
    bad("articles", "isFeatured eq 'yes'", 14, "Edm.Boolean");
    bad("hostPorts", "status eq 'ajar'", 10, "not a member");
    bad(
        "hostPorts",
        "status eq microsoft.graph.security.hostPortProtocol'tcp'",
        10,
        "cannot be compared",
    );
    bad(
        "hostPorts",
        "port eq 99999999999",
        8,
        "out of range for Edm.Int32",
    );
    bad(
        "articles",
        "createdDateTime gt 'yesterday'",
        19,
        "not a valid Edm.DateTimeOffset",
    );
    bad("articles", "tags eq 'x'", 0, "collection-valued");
    bad("articles", "title/any(t: t eq 'x')", 6, "not a collection");
    bad("articles", "tags/any(t: u eq 'x')", 12, "'u'");
    bad(
        "articles",
        "tags/any(t: tags/any(t: t eq 'x'))",
        21,
        "already in scope",
    );
    bad(
        "articles",
        "tags/any(title: title eq 'x')",
        9,
        "name of a property",
    );
    bad("articles", "tags/any(t: t eq 'x') and t eq 'y'", 26, "'t'");
    bad(
        "articles",
        "contains(isFeatured, 'x')",
        9,
        "Edm.String arguments",
    );
    bad("articles", "contains(title)", 0, "exactly two arguments");
    bad("articles", "tolower(title)", 0, "not a condition");
    bad("articles", "title", 0, "not a condition");
    bad("articles", "'x'", 0, "not a condition");
    bad("articles", "title gt null", 6, "null can only be compared");
    bad("articles", "summary eq 'x'", 11, "cannot be compared");
    bad(
        "articles",
        "summary gt null",
        8,
        "null can only be compared",
    );
    bad(
        "articles",
        "title in ('a', null)",
        15,
        "may not contain null",
    );
    bad(
        "articles",
        "title in ('a', title)",
        15,
        "only contain literals",
    );
    bad(
        "hosts",
        "microsoft.graph.security.article/title eq 'x'",
        0,
        "not a type derived",
    );
    bad("articles", "title/length eq 1", 6, "has no properties");
    bad(
        "intelProfiles",
        "countriesOrRegionsOfOrigin/code eq 'IR'",
        0,
        "collection-valued",
    );
}

#[test]
fn orderby_select_expand_and_rules() {
    let e = endpoint("whoisRecords").unwrap();
    let c = compile(
        e.entity_type,
        Some(e),
        &RawOptions {
            orderby: Some("expirationDateTime desc,host/id".into()),
            select: Some("id,registrant,host".into()),
            search: Some("registrant/email:a@b.example".into()),
            expand: Some("history($select=id,lastSeenDateTime)".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.orderby.len(), 2);
    assert_eq!(c.orderby[1].member.path, "host/id");
    assert_eq!(c.select.unwrap(), vec!["id", "registrant", "host"]);
    assert_eq!(c.expand[0].nav, "history");
    let err = |ep: &str, raw: RawOptions| {
        let e = endpoint(ep).unwrap();
        compile(e.entity_type, Some(e), &raw).unwrap_err()
    };
    let r = |f: fn(&mut RawOptions)| {
        let mut o = RawOptions::default();
        f(&mut o);
        o
    };
    assert!(err("articles", r(|o| o.orderby = Some("tags".into())))
        .to_string()
        .contains("collection-valued"));
    assert!(err("articles", r(|o| o.orderby = Some("summary".into())))
        .to_string()
        .contains("cannot order by"));
    assert!(err("articles", r(|o| o.select = Some("nosuch".into())))
        .to_string()
        .contains("'nosuch'"));
    assert!(
        err("hostPairs", r(|o| o.select = Some("parentHost/id".into())))
            .to_string()
            .contains("nested $select")
    );
    assert!(err("hostPorts", r(|o| o.expand = Some("host".into())))
        .to_string()
        .contains("cannot be expanded"));
    assert!(err(
        "hostPorts",
        r(|o| o.expand = Some("mostRecentSslCertificate($select=nosuch)".into()))
    )
    .to_string()
    .contains("'nosuch'"));
    assert!(err("hosts", r(|o| o.search = Some("x".into())))
        .to_string()
        .contains("$search is not supported"));
    assert!(err("hosts", r(|o| o.skiptoken = Some("garbage".into())))
        .to_string()
        .contains("$skiptoken"));
    // single entities accept only $select and $expand
    let single = compile(
        "hostPort",
        None,
        &r(|o| o.filter = Some("port eq 1".into())),
    )
    .unwrap_err();
    assert!(single.to_string().contains("single entity"), "{single}");
    let fine = compile(
        "hostPort",
        None,
        &r(|o| o.expand = Some("mostRecentSslCertificate".into())),
    )
    .unwrap();
    assert_eq!(fine.expand.len(), 1);
    // select accepts properties of derived types (hosts → registrar)
    let h = endpoint("hosts").unwrap();
    assert!(compile(
        h.entity_type,
        Some(h),
        &r(|o| o.select = Some("registrar,netblock".into()))
    )
    .is_ok());
}
