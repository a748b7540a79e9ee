//! Parse + validate + translate time of typical OData queries: `openti_odata::compile` on the
//! raw option strings, then the SQLite translation (`sqlite::explain`, which builds the page
//! SELECT with its bound parameters but does not run it).
//!
//! Run: `cargo bench -p openti-store --bench odata`. Figures: `BENCHMARKS.md`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use openti_odata::{compile, endpoint, RawOptions};
use openti_store::{ListQuery, PairRole, Scope};

/// (name, scope, $filter, $orderby, $skiptoken-from-a-previous-page?)
fn cases() -> Vec<(
    &'static str,
    Scope,
    Option<&'static str>,
    Option<&'static str>,
)> {
    vec![
        ("simple_eq", Scope::PassiveDns { host: Some("example.com".into()) }, Some("recordType eq 'A'"), None),
        (
            "pairs_in_orderby",
            Scope::HostPairs { host: Some("example.com".into()), role: PairRole::Either },
            Some("parentHost/id in ('a.example','b.example','c.example') and linkKind ne 'redirect'"),
            Some("firstSeenDateTime desc"),
        ),
        (
            "vuln_nested_and_enum",
            Scope::Vulnerabilities,
            Some("cvss3Summary/score ge 7.5 and severity ge 'high' and (exploitsAvailable or hasChatter)"),
            Some("priorityScore desc,id"),
        ),
        (
            "article_lambda_text",
            Scope::Articles,
            Some("tags/any(t: t eq 'ransomware' or startswith(t, 'apt')) and contains(tolower(title), 'phish') and createdDateTime ge 2024-01-01T00:00:00Z"),
            Some("createdDateTime desc"),
        ),
        (
            "whois_contacts_nameservers",
            Scope::WhoisRecords,
            Some("registrant/email eq 'hostmaster@example.net' or nameservers/any(n: endswith(n/host/id, '.example.org'))"),
            Some("expirationDateTime desc,host/id"),
        ),
        (
            "ports_rows_lambda",
            Scope::HostPorts { host: None },
            Some("status eq 'open' and port in (22, 80, 443, 8443) and banners/any(b: contains(b/banner, 'nginx'))"),
            None,
        ),
    ]
}

fn compile_and_translate(scope: &Scope, filter: Option<&str>, orderby: Option<&str>) -> usize {
    let ep = endpoint(scope.endpoint()).expect("endpoint");
    let raw = RawOptions {
        filter: filter.map(str::to_string),
        orderby: orderby.map(str::to_string),
        ..Default::default()
    };
    let c = compile(ep.entity_type, Some(ep), &raw).expect("compile");
    let q = ListQuery {
        filter: c.filter,
        orderby: (!c.orderby.is_empty()).then_some(c.orderby),
        ..ListQuery::new(scope.clone())
    };
    let (sql, n) = openti_store::sqlite::explain(&q).expect("translate");
    sql.len() + n
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_validate_translate");
    for (name, scope, filter, orderby) in cases() {
        g.bench_function(name, |b| {
            b.iter(|| {
                compile_and_translate(black_box(&scope), black_box(filter), black_box(orderby))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
