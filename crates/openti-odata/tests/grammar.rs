//! Grammar tests: every operator, precedence, escaping, every literal type, positions.

use openti_odata::parser::{parse_expand, parse_filter, parse_orderby, parse_select};
use openti_odata::{Expr, Literal, QueryOption};

/// S-expression rendering of a syntax tree.
fn show(e: &Expr) -> String {
    match e {
        Expr::Literal(l, _) => match l {
            Literal::Null => "null".into(),
            Literal::Bool(b) => b.to_string(),
            Literal::Int(i) => format!("{i}i"),
            Literal::Double(d) => format!("{d}d"),
            Literal::String(s) => format!("'{s}'"),
            Literal::DateTime(t) => format!("@{}", t.to_rfc3339()),
            Literal::Enum { ty, member } => format!("{ty}#{member}"),
        },
        Expr::Path(s) => s
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("/"),
        Expr::Not(a, _) => format!("(not {})", show(a)),
        Expr::And(a, b) => format!("(and {} {})", show(a), show(b)),
        Expr::Or(a, b) => format!("(or {} {})", show(a), show(b)),
        Expr::Compare(op, a, b, _) => {
            format!(
                "({} {} {})",
                format!("{op:?}").to_lowercase(),
                show(a),
                show(b)
            )
        }
        Expr::In(a, l, _) => format!(
            "(in {} [{}])",
            show(a),
            l.iter().map(show).collect::<Vec<_>>().join(" ")
        ),
        Expr::Call(f, args, _) => format!(
            "({} {})",
            f.name(),
            args.iter().map(show).collect::<Vec<_>>().join(" ")
        ),
        Expr::Lambda {
            path, kind, body, ..
        } => {
            let p = path
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join("/");
            match body {
                None => format!("({} {p})", format!("{kind:?}").to_lowercase()),
                Some((v, b)) => format!(
                    "({} {p} {} {})",
                    format!("{kind:?}").to_lowercase(),
                    v.name,
                    show(b)
                ),
            }
        }
    }
}

fn p(s: &str) -> String {
    show(&parse_filter(s).unwrap_or_else(|e| panic!("{s}: {e}")))
}

#[test]
fn every_comparison_operator() {
    for op in ["eq", "ne", "gt", "ge", "lt", "le"] {
        assert_eq!(p(&format!("a {op} 1")), format!("({op} a 1i)"));
    }
}

#[test]
fn logical_operators_and_precedence() {
    assert_eq!(p("a eq 1 and b eq 2"), "(and (eq a 1i) (eq b 2i))");
    assert_eq!(p("a eq 1 or b eq 2"), "(or (eq a 1i) (eq b 2i))");
    // and binds tighter than or
    assert_eq!(
        p("a eq 1 or b eq 2 and c eq 3"),
        "(or (eq a 1i) (and (eq b 2i) (eq c 3i)))"
    );
    assert_eq!(
        p("a eq 1 and b eq 2 or c eq 3"),
        "(or (and (eq a 1i) (eq b 2i)) (eq c 3i))"
    );
    // parentheses override
    assert_eq!(
        p("(a eq 1 or b eq 2) and c eq 3"),
        "(and (or (eq a 1i) (eq b 2i)) (eq c 3i))"
    );
    // left associativity
    assert_eq!(p("a or b or c"), "(or (or a b) c)");
    // not binds tighter than comparison (OData precedence), so it applies to the operand
    assert_eq!(p("not a"), "(not a)");
    assert_eq!(p("not (a eq 1)"), "(not (eq a 1i))");
    assert_eq!(p("not a eq true"), "(eq (not a) true)");
    assert_eq!(p("not not a"), "(not (not a))");
    // relational binds tighter than equality
    assert_eq!(p("a gt 1 eq true"), "(eq (gt a 1i) true)");
    assert_eq!(p("((((a eq 1))))"), "(eq a 1i)");
}

#[test]
fn in_operator() {
    assert_eq!(p("a in ('x', 'y')"), "(in a ['x' 'y'])");
    assert_eq!(p("a in (1)"), "(in a [1i])");
    assert_eq!(
        p("parentHost/id in ('a.example','b.example')"),
        "(in parentHost/id ['a.example' 'b.example'])"
    );
    assert!(parse_filter("a in ()").is_err());
    assert!(parse_filter("a in ('x'").is_err());
    assert!(parse_filter("a in 'x'").is_err());
}

#[test]
fn functions() {
    assert_eq!(p("contains(title, 'x')"), "(contains title 'x')");
    assert_eq!(p("startswith(title,'x')"), "(startswith title 'x')");
    assert_eq!(p("endswith(title,'x')"), "(endswith title 'x')");
    assert_eq!(p("tolower(title) eq 'x'"), "(eq (tolower title) 'x')");
    assert_eq!(p("toupper(title) eq 'X'"), "(eq (toupper title) 'X')");
    assert_eq!(
        p("contains(tolower(title), 'x') eq true"),
        "(eq (contains (tolower title) 'x') true)"
    );
    let e = parse_filter("length(title) eq 3").unwrap_err();
    assert_eq!(e.position, Some(0));
    assert!(e.to_string().contains("unknown function 'length'"), "{e}");
}

#[test]
fn lambdas() {
    assert_eq!(p("tags/any(t: t eq 'x')"), "(any tags t (eq t 'x'))");
    assert_eq!(p("tags/all(t:t ne 'x')"), "(all tags t (ne t 'x'))");
    assert_eq!(p("tags/any()"), "(any tags)");
    assert_eq!(
        p("countriesOrRegionsOfOrigin/any(c: c/code eq 'IR')"),
        "(any countriesOrRegionsOfOrigin c (eq c/code 'IR'))"
    );
    assert_eq!(
        p("a/any(x: x/b/any(y: y eq 1))"),
        "(any a x (any x/b y (eq y 1i)))"
    );
    assert!(parse_filter("tags/all()").is_err());
    assert!(parse_filter("tags/any(t t eq 'x')").is_err());
    assert!(parse_filter("tags/any(t: )").is_err());
}

#[test]
fn literals_of_every_type() {
    assert_eq!(p("a eq null"), "(eq a null)");
    assert_eq!(p("a eq true"), "(eq a true)");
    assert_eq!(p("a eq false"), "(eq a false)");
    assert_eq!(p("a eq 42"), "(eq a 42i)");
    assert_eq!(p("a eq -42"), "(eq a -42i)");
    assert_eq!(p("a eq 9.75"), "(eq a 9.75d)");
    assert_eq!(p("a eq 1.5e2"), "(eq a 150d)");
    assert_eq!(p("a eq 'text'"), "(eq a 'text')");
    assert_eq!(
        p("a gt 2024-01-02T03:04:05Z"),
        "(gt a @2024-01-02T03:04:05+00:00)"
    );
    assert_eq!(
        p("a gt 2024-01-02T03:04:05.123-05:00"),
        "(gt a @2024-01-02T08:04:05.123+00:00)"
    );
    assert_eq!(
        p("status eq microsoft.graph.security.hostPortStatus'open'"),
        "(eq status microsoft.graph.security.hostPortStatus#open)"
    );
}

#[test]
fn string_escaping() {
    assert_eq!(p("a eq 'O''Brien'"), "(eq a 'O'Brien')");
    assert_eq!(p("a eq ''''"), "(eq a ''')");
    assert_eq!(p("a eq ''"), "(eq a '')");
    assert_eq!(p("a eq 'x'' or 1 eq 1 --'"), "(eq a 'x' or 1 eq 1 --')");
    assert_eq!(p("a eq 'ünï ☃'"), "(eq a 'ünï ☃')");
}

#[test]
fn errors_carry_positions() {
    let cases: &[(&str, usize)] = &[
        ("title eq", 8),
        ("title eq 'x' and", 16),
        ("title eq 'x' 'y'", 13),
        ("(title eq 'x'", 13),
        ("title eq 'x')", 12),
        ("title eqq 'x'", 6),
        ("title eq 'x' xor a", 13),
        ("eq 'x'", 3),
        ("title eq \"x\"", 9),
        ("title eq 'x';drop", 12),
    ];
    for (src, pos) in cases {
        let e = parse_filter(src).unwrap_err();
        assert_eq!(e.option, QueryOption::Filter);
        assert_eq!(e.position, Some(*pos), "{src}: {e}");
        assert!(e.to_string().contains(&format!("position {pos}")), "{e}");
    }
    assert!(parse_filter("").is_err());
    assert!(parse_filter("   ").is_err());
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("{}a eq 1{}", "(".repeat(500), ")".repeat(500));
    assert!(parse_filter(&deep).is_err());
    let nots = format!("{}a", "not ".repeat(500));
    assert!(parse_filter(&nots).is_err());
    let ok = format!("{}a eq 1{}", "(".repeat(20), ")".repeat(20));
    assert!(parse_filter(&ok).is_ok());
}

#[test]
fn orderby_select_expand() {
    let o = parse_orderby("firstSeenDateTime desc, host/id asc,title").unwrap();
    assert_eq!(o.len(), 3);
    assert!(o[0].desc && !o[1].desc && !o[2].desc);
    assert_eq!(o[1].path.len(), 2);
    assert!(parse_orderby("").is_err());
    assert!(parse_orderby("a desc desc").is_err());
    assert!(parse_orderby("a,").is_err());
    let s = parse_select("id, title,tags").unwrap();
    assert_eq!(s.len(), 3);
    assert!(parse_select("id,,title").is_err());
    let x = parse_expand("mostRecentSslCertificate($select=id,sha1),host").unwrap();
    assert_eq!(x.len(), 2);
    assert_eq!(x[0].select.as_ref().unwrap().len(), 2);
    assert!(x[1].select.is_none());
    assert!(parse_expand("a($filter=x eq 1)").is_err());
    assert!(parse_expand("a($select=)").is_err());
    assert!(parse_expand("a($select=b").is_err());
}

/// Deterministic mutation fuzzing (the `odata_parser` cargo-fuzz target's property without
/// nightly): mutated queries are compiled or refused with an error, never a panic.
#[test]
fn mutated_queries_never_panic() {
    use openti_odata::rules::ENDPOINTS;
    use openti_odata::{compile, RawOptions};
    let seeds = [
        "cvss3Summary/score ge 7.5 and severity eq 'critical'",
        "tags/any(t: t eq 'x') or not (title eq 'a''b')",
        "parentHost/id in ('a','b') and startswith(linkKind, 'red')",
        "countriesOrRegionsOfOrigin/all(c: c/code ne null) and createdDateTime lt 2024-01-01T00:00:00Z",
        "nameservers/any(n: endswith(n/host/id, '.org')) and registrant/email eq 'x'",
        "status eq microsoft.graph.security.hostPortStatus'open' and port in (1, 2.5, -3)",
    ];
    let alphabet: Vec<char> = "()',/: eqandornotany$.-0123456789abcxyz\"*\\☃"
        .chars()
        .collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for i in 0..20_000 {
        let mut q: Vec<char> = seeds[i % seeds.len()].chars().collect();
        for _ in 0..1 + next(4) {
            let pos = next(q.len() + 1);
            match next(3) {
                0 if pos < q.len() => {
                    q.remove(pos);
                }
                1 => q.insert(pos, alphabet[next(alphabet.len())]),
                _ if pos < q.len() => q[pos] = alphabet[next(alphabet.len())],
                _ => {}
            }
        }
        let text: String = q.into_iter().collect();
        let ep = &ENDPOINTS[i % ENDPOINTS.len()];
        let raw = RawOptions {
            filter: Some(text.clone()),
            orderby: Some(text.clone()),
            select: Some(text.clone()),
            expand: Some(text.clone()),
            skiptoken: Some(text.clone()),
            ..Default::default()
        };
        let _ = compile(ep.entity_type, Some(ep), &raw);
        if let Err(e) = parse_filter(&text) {
            assert!(e.position.is_none_or(|p| p <= text.len()), "{text}: {e:?}");
        }
    }
}

#[test]
fn operator_count_is_bounded() {
    let ok = vec!["a eq 1"; 100].join(" or ");
    assert!(parse_filter(&ok).is_ok());
    let many = vec!["a eq 1"; 200].join(" or ");
    let e = parse_filter(&many).unwrap_err();
    assert!(e.to_string().contains("operators"), "{e}");
}
