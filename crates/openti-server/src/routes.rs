//! The Graph route templates, generated from the schema table.
//!
//! Starting at the `threatIntelligence` singleton, every contained collection yields a list,
//! its `/$count` and an item template; every navigation of an item yields a single-valued
//! path, or a list, `/$count` and item of a related collection (one level, as the Graph SDK
//! does for non-contained navigations). This reproduces the SDK's 121 GET templates; the
//! documented `hosts/{id}/whois/history` forms are added as non-SDK routes. The same list drives
//! the OpenAPI document, the metrics' route labels and the auth-matrix test.

use std::sync::OnceLock;

use openti_model::schema::{self, SINGLETON_TYPE};

/// What a template returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// The `threatIntelligence` singleton.
    Singleton,
    /// A collection page of `entity`.
    List,
    /// `/$count` of a collection (plain-text integer).
    Count,
    /// One `entity` addressed by key.
    Item,
    /// A single-valued navigation returning one `entity`.
    Single,
}

/// One GET route under `/v1.0/security/threatIntelligence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Path relative to the Graph prefix, with `{name}` parameters (`""` for the root).
    pub path: String,
    /// Shape of the answer.
    pub kind: RouteKind,
    /// Short name of the (element) entity type.
    pub entity: &'static str,
    /// Parameter names in path order.
    pub params: Vec<String>,
    /// True when the Graph SDK has a request builder for it.
    pub sdk: bool,
}

/// All Graph GET routes (built once).
pub fn graph_routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(build)
}

fn build() -> Vec<Route> {
    let mut out = vec![Route {
        path: String::new(),
        kind: RouteKind::Singleton,
        entity: SINGLETON_TYPE,
        params: vec![],
        sdk: true,
    }];
    for nav in schema::all_navigations(SINGLETON_TYPE) {
        collection(
            &mut out,
            &format!("/{}", nav.name),
            &[],
            nav.target,
            true,
            true,
        );
    }
    // Documented by Graph but absent from the SDK: the host's WHOIS history.
    collection(
        &mut out,
        "/hosts/{host-id}/whois/history",
        &["host-id".to_string()],
        "whoisHistoryRecord",
        false,
        false,
    );
    out
}

fn collection(
    out: &mut Vec<Route>,
    prefix: &str,
    params: &[String],
    target: &'static str,
    deep: bool,
    sdk: bool,
) {
    let route = |path: String, kind, entity, params: Vec<String>| Route {
        path,
        kind,
        entity,
        params,
        sdk,
    };
    out.push(route(
        prefix.to_string(),
        RouteKind::List,
        target,
        params.to_vec(),
    ));
    out.push(route(
        format!("{prefix}/$count"),
        RouteKind::Count,
        target,
        params.to_vec(),
    ));
    let mut name = format!("{target}-id");
    let mut n = 1;
    while params.contains(&name) {
        name = format!("{target}-id{n}");
        n += 1;
    }
    let item = format!("{prefix}/{{{name}}}");
    let mut item_params = params.to_vec();
    item_params.push(name);
    out.push(route(
        item.clone(),
        RouteKind::Item,
        target,
        item_params.clone(),
    ));
    if !deep {
        return;
    }
    for nav in schema::all_navigations(target) {
        let path = format!("{item}/{}", nav.name);
        if nav.collection {
            collection(out, &path, &item_params, nav.target, false, sdk);
        } else {
            out.push(route(
                path,
                RouteKind::Single,
                nav.target,
                item_params.clone(),
            ));
        }
    }
}

/// The template (with the Graph prefix) that a request path matches, for metric labels.
/// `segments` are the decoded segments after the Graph prefix. `None` when nothing matches.
pub fn match_graph(segments: &[String]) -> Option<&'static Route> {
    graph_routes().iter().find(|r| {
        let tpl: Vec<&str> = r.path.split('/').filter(|s| !s.is_empty()).collect();
        tpl.len() == segments.len()
            && tpl.iter().zip(segments).all(|(t, s)| {
                if t.starts_with('{') {
                    !s.is_empty() && s != "$count"
                } else {
                    t == s
                }
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_sdk_template_count() {
        let sdk: Vec<&Route> = graph_routes().iter().filter(|r| r.sdk).collect();
        assert_eq!(sdk.len(), 121, "SDK GET templates");
        let counts = sdk.iter().filter(|r| r.kind == RouteKind::Count).count();
        assert_eq!(counts, 34);
        assert!(graph_routes()
            .iter()
            .any(|r| r.path == "/hosts/{host-id}/whois/history/$count" && !r.sdk));
        let paths: Vec<&str> = graph_routes().iter().map(|r| r.path.as_str()).collect();
        for p in [
            "/hosts/{host-id}/passiveDnsReverse/{passiveDnsRecord-id}",
            "/hostPorts/{hostPort-id}/mostRecentSslCertificate",
            "/vulnerabilities/{vulnerability-id}/articles/$count",
            "/whoisRecords/{whoisRecord-id}/history/{whoisHistoryRecord-id}",
            "/articleIndicators/{articleIndicator-id}/artifact",
        ] {
            assert!(paths.contains(&p), "{p}");
        }
        let mut dedup = paths.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), paths.len(), "unique templates");
    }

    #[test]
    fn matches_concrete_paths() {
        let segs = |p: &str| -> Vec<String> {
            p.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        assert_eq!(
            match_graph(&segs("hosts/www.example.com/passiveDns"))
                .unwrap()
                .path,
            "/hosts/{host-id}/passiveDns"
        );
        assert_eq!(
            match_graph(&segs("hosts/$count")).unwrap().kind,
            RouteKind::Count
        );
        assert_eq!(match_graph(&[]).unwrap().kind, RouteKind::Singleton);
        assert!(match_graph(&segs("nothing/here")).is_none());
    }
}
