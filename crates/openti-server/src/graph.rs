//! The Graph threat-intelligence read handler: resolve the path, parse and compile the
//! options against the addressed entity type (`openti_odata`), ask the store, expand, render.
//! Write verbs answer 405.

mod expand;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::Response;
use openti_model::ids;
use openti_model::normalize::HostName;
use openti_odata::{Compiled, Endpoint};
use openti_store::{EntityKind, Item, ListQuery, PairRole, Scope, Search};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::options::{self, QueryOptions};
use crate::path::{self, Follow, Target};
use crate::render;
use crate::AppState;

/// Path prefix of every Graph threat-intelligence route.
pub const PREFIX: &str = "/v1.0/security/threatIntelligence";

/// Entry point for every request under [`PREFIX`].
pub async fn handle(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(ApiError::method_not_allowed(format!(
            "The threat intelligence API is read-only; {} is not allowed.",
            req.method()
        )));
    }
    let raw_path = req.uri().path().to_string();
    let raw_query = req.uri().query().map(str::to_string);
    let rest = raw_path.strip_prefix(PREFIX).unwrap_or("");
    let target = path::resolve(&path::segments(rest)?)?;
    let mut opts = options::parse(raw_query.as_deref())?;
    let (entity_type, endpoint) = addressed_type(&target)?;
    let compiled = openti_odata::compile(entity_type, endpoint, &opts.raw)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    opts.select = compiled.select.clone();
    opts.expanded = compiled.expand.iter().map(|e| e.nav.clone()).collect();
    let base = render::base_url(state.config.public_url.as_deref(), req.headers());
    let graph_path = format!("security/threatIntelligence{}", rest.trim_end_matches('/'));
    let ctx = Ctx {
        state: &state,
        opts: &opts,
        compiled: &compiled,
        entity_type,
        base: &base,
        graph_path: &graph_path,
    };
    match target {
        Target::Root => Ok(render::json(json!({
            "@odata.context": render::context(&base, "security/threatIntelligence", true),
            "@odata.type": "#microsoft.graph.security.threatIntelligence",
            "id": "threatIntelligence",
        }))),
        Target::Collection { scope, count_only } => {
            ctx.collection(scope, count_only, &raw_path, raw_query.as_deref())
                .await
        }
        Target::Entity {
            kind,
            id,
            within,
            follow,
        } => ctx.entity(kind, &id, within, follow).await,
        Target::Reputation { host } => ctx.reputation(&host).await,
        Target::HostWhois { host } => {
            let w = state
                .store
                .host_whois(&host)
                .await?
                .ok_or_else(|| missing("whois record of host", &host))?;
            Ok(render::entity(
                render::context(&base, "microsoft.graph.security.whoisRecord", false),
                w,
                &opts,
            ))
        }
    }
}

fn missing(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("The {what} '{id}' was not found."))
}

/// The entity type a target addresses (for validating its options) and, for collections, the
/// endpoint whose rules apply.
fn addressed_type(target: &Target) -> Result<(&'static str, Option<&'static Endpoint>), ApiError> {
    Ok(match target {
        Target::Root => ("threatIntelligence", None),
        Target::Collection { scope, .. } => {
            let ep = openti_odata::endpoint(scope.endpoint())
                .ok_or_else(|| ApiError::internal(format!("no query rules for {scope:?}")))?;
            (ep.entity_type, Some(ep))
        }
        Target::Entity { follow, kind, .. } => match follow {
            None => (kind_label(*kind), None),
            Some(Follow::Host(_)) => ("host", None),
            Some(Follow::Certificate(_)) => ("sslCertificate", None),
            Some(Follow::Artifact) => ("artifact", None),
        },
        Target::Reputation { .. } => ("hostReputation", None),
        Target::HostWhois { .. } => ("whoisRecord", None),
    })
}

struct Ctx<'a> {
    state: &'a AppState,
    opts: &'a QueryOptions,
    compiled: &'a Compiled,
    entity_type: &'static str,
    base: &'a str,
    graph_path: &'a str,
}

impl Ctx<'_> {
    async fn collection(
        &self,
        scope: Scope,
        count_only: bool,
        raw_path: &str,
        raw_query: Option<&str>,
    ) -> Result<Response, ApiError> {
        if let Some(owner) = scope_owner(&scope) {
            self.require_owner(owner).await?;
        }
        let search = match &self.opts.search {
            None => None,
            Some(s) => Some(search_for(&scope, s)?),
        };
        let page = self.opts.page_size();
        let query = ListQuery {
            scope,
            search,
            top: if count_only { 0 } else { page },
            skip: self.opts.skip,
            count: self.opts.count || count_only,
            filter: self.compiled.filter.clone(),
            orderby: (!self.compiled.orderby.is_empty()).then(|| self.compiled.orderby.clone()),
            cursor: self.compiled.cursor.clone(),
        };
        let mut result = self.state.store.list(&query).await?;
        if count_only {
            return Ok(render::count(result.total.unwrap_or(0)));
        }
        if !self.compiled.expand.is_empty() {
            let mut values = result.values();
            self.expand(&mut values).await?;
            result.items = values.iter().map(Item::from_value).collect();
        }
        let next = result.more.then(|| {
            let at = match &result.cursor {
                Some(c) => render::NextPage::Token(c.encode()),
                None => render::NextPage::Skip(self.opts.skip + result.items.len() as u64),
            };
            render::next_link(self.base, raw_path, raw_query, &at, page)
        });
        let ctx = render::context(
            self.base,
            self.graph_path.trim_end_matches("/$count"),
            false,
        );
        Ok(render::collection(
            ctx,
            result.items,
            result.total,
            next,
            self.opts,
        ))
    }

    /// Applies `$expand` to entities of this request's entity type.
    async fn expand(&self, items: &mut [Value]) -> Result<(), ApiError> {
        expand::apply(
            self.state.store.as_ref(),
            self.entity_type,
            items,
            &self.compiled.expand,
        )
        .await
    }

    /// 404 when the entity owning a navigation collection does not exist.
    async fn require_owner(&self, (kind, id): (EntityKind, String)) -> Result<(), ApiError> {
        match self.state.store.get(kind, &id).await? {
            Some(_) => Ok(()),
            None => Err(missing(kind_label(kind), &id)),
        }
    }

    async fn entity(
        &self,
        kind: EntityKind,
        id: &str,
        within: Option<Scope>,
        follow: Option<Follow>,
    ) -> Result<Response, ApiError> {
        let id = normalize_id(kind, id);
        let item = self
            .state
            .store
            .get(kind, &id)
            .await?
            .ok_or_else(|| missing(kind_label(kind), &id))?;
        if let Some(scope) = &within {
            if !self.belongs(&item, &id, scope).await? {
                return Err(missing(kind_label(kind), &id));
            }
        }
        let item = match follow {
            None => {
                let mut one = [item];
                self.expand(&mut one).await?;
                let [item] = one;
                item
            }
            Some(f) => self.follow(&item, f).await?,
        };
        Ok(render::entity(
            render::context(self.base, self.graph_path, true),
            item,
            self.opts,
        ))
    }

    async fn follow(&self, item: &Value, f: Follow) -> Result<Value, ApiError> {
        let stub_id = |field: &str| {
            item.get(field)
                .and_then(|v| v.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match f {
            Follow::Host(field) => {
                let id = stub_id(field).ok_or_else(|| missing("navigation", field))?;
                self.state
                    .store
                    .get(EntityKind::Host, &id)
                    .await?
                    .ok_or_else(|| missing("host", &id))
            }
            Follow::Certificate(field) => {
                let id = stub_id(field).ok_or_else(|| missing("navigation", field))?;
                self.state
                    .store
                    .get(EntityKind::SslCertificate, &id)
                    .await?
                    .ok_or_else(|| missing("sslCertificate", &id))
            }
            Follow::Artifact => {
                let art = item
                    .get("artifact")
                    .cloned()
                    .ok_or_else(|| missing("navigation", "artifact"))?;
                let is_host = art
                    .get("@odata.type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.ends_with(".hostname") || t.ends_with(".ipAddress"));
                match (is_host, art.get("id").and_then(Value::as_str)) {
                    (true, Some(h)) => Ok(self
                        .state
                        .store
                        .get(EntityKind::Host, h)
                        .await?
                        .unwrap_or(art)),
                    _ => Ok(art),
                }
            }
        }
    }

    /// Whether an entity fetched by id is a member of the collection it was addressed through.
    async fn belongs(&self, item: &Value, id: &str, scope: &Scope) -> Result<bool, ApiError> {
        let field = |name: &str| {
            item.get(name)
                .and_then(|v| v.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let first_key_part = || ids::decode_composite(id).and_then(|p| p.into_iter().next());
        Ok(match scope {
            Scope::HostComponents { host: Some(h) }
            | Scope::HostCookies { host: Some(h) }
            | Scope::HostTrackers { host: Some(h) }
            | Scope::HostPorts { host: Some(h) }
            | Scope::HostSslCertificates { host: Some(h) } => field("host").as_deref() == Some(h),
            Scope::PassiveDns { host: Some(h) } | Scope::PassiveDnsReverse { host: h } => {
                field("parentHost").as_deref() == Some(h)
                    && (matches!(scope, Scope::PassiveDnsReverse { .. }) == is_reverse_id(id))
            }
            Scope::HostPairs {
                host: Some(h),
                role,
            } => {
                let parent = field("parentHost").as_deref() == Some(h);
                let child = field("childHost").as_deref() == Some(h);
                match role {
                    PairRole::Parent => parent,
                    PairRole::Child => child,
                    PairRole::Either => parent || child,
                }
            }
            Scope::Subdomains { host: Some(h) } => {
                ids::decode_composite(id)
                    .and_then(|p| p.get(1).cloned())
                    .as_deref()
                    == Some(h)
            }
            Scope::ArticleIndicators { article: Some(a) } => first_key_part().as_deref() == Some(a),
            Scope::ProfileIndicators { profile: Some(p) } => first_key_part().as_deref() == Some(p),
            Scope::VulnerabilityComponents { cve } => {
                first_key_part().is_some_and(|c| c.eq_ignore_ascii_case(cve))
            }
            Scope::WhoisHistory { record, host } => {
                let hist_host = ids::decode_composite(id).and_then(|p| p.into_iter().next());
                let want = match (record, host) {
                    (Some(r), _) => ids::decode_composite(r).and_then(|p| p.into_iter().next()),
                    (None, Some(h)) => Some(h.clone()),
                    (None, None) => return Ok(true),
                };
                hist_host.is_some() && hist_host == want
            }
            Scope::VulnerabilityArticles { .. } | Scope::CertificateHosts { .. } => {
                self.scan_contains(scope, id).await?
            }
            _ => true,
        })
    }

    /// Membership by listing a (small) related collection.
    async fn scan_contains(&self, scope: &Scope, id: &str) -> Result<bool, ApiError> {
        let q = ListQuery {
            scope: scope.clone(),
            search: None,
            top: options::MAX_PAGE_SIZE,
            skip: 0,
            count: false,
            filter: None,
            orderby: None,
            cursor: None,
        };
        let page = self.state.store.list(&q).await?;
        Ok(page
            .items
            .iter()
            .any(|i| i.to_value().get("id").and_then(Value::as_str) == Some(id)))
    }

    async fn reputation(&self, host: &str) -> Result<Response, ApiError> {
        let engine = &self.state.config.reputation;
        let rep = crate::reputation::host_reputation(self.state.store.as_ref(), engine, host)
            .await?
            .ok_or_else(|| missing("host", host))?
            .to_entity();
        use openti_model::GraphEntity;
        Ok(render::entity(
            render::context(self.base, self.graph_path, true),
            rep.to_json(),
            self.opts,
        ))
    }
}

fn is_reverse_id(id: &str) -> bool {
    ids::decode_composite(id).is_some_and(|p| p.len() == 4 && p[3] == "reverse")
}

/// Ids that Graph treats case-insensitively or that name hosts are canonicalised.
fn normalize_id(kind: EntityKind, id: &str) -> String {
    match kind {
        EntityKind::Vulnerability => ids::cve(id).unwrap_or_else(|| id.to_string()),
        EntityKind::Host => HostName::parse(id)
            .map(|h| h.as_id())
            .unwrap_or_else(|_| id.to_string()),
        _ => id.to_string(),
    }
}

/// The entity that owns a navigation collection (must exist, else 404).
fn scope_owner(scope: &Scope) -> Option<(EntityKind, String)> {
    Some(match scope {
        Scope::ArticleIndicators { article: Some(a) } => (EntityKind::Article, a.clone()),
        Scope::ProfileIndicators { profile: Some(p) } => (EntityKind::IntelProfile, p.clone()),
        Scope::HostComponents { host: Some(h) }
        | Scope::HostCookies { host: Some(h) }
        | Scope::HostTrackers { host: Some(h) }
        | Scope::HostPorts { host: Some(h) }
        | Scope::HostSslCertificates { host: Some(h) }
        | Scope::HostPairs { host: Some(h), .. }
        | Scope::PassiveDns { host: Some(h) }
        | Scope::PassiveDnsReverse { host: h }
        | Scope::Subdomains { host: Some(h) }
        | Scope::WhoisHistory { host: Some(h), .. } => (EntityKind::Host, h.clone()),
        Scope::CertificateHosts { certificate } => {
            (EntityKind::SslCertificate, certificate.clone())
        }
        Scope::VulnerabilityComponents { cve } | Scope::VulnerabilityArticles { cve } => (
            EntityKind::Vulnerability,
            normalize_id(EntityKind::Vulnerability, cve),
        ),
        Scope::WhoisHistory {
            record: Some(r), ..
        } => (EntityKind::WhoisRecord, r.clone()),
        _ => return None,
    })
}

/// `$search` for a scope: free text on articles and profiles, `"path:value"` on certificates
/// and WHOIS records.
fn search_for(scope: &Scope, s: &str) -> Result<Search, ApiError> {
    match scope {
        Scope::Articles | Scope::IntelProfiles | Scope::VulnerabilityArticles { .. } => {
            if s.is_empty() {
                Err(ApiError::bad_request("$search must not be empty."))
            } else if !s.chars().any(char::is_alphanumeric) {
                Err(ApiError::bad_request(
                    "Invalid $search: the text has no words to search for.",
                ))
            } else {
                Ok(Search::Text(s.to_string()))
            }
        }
        Scope::SslCertificates | Scope::WhoisRecords => {
            let (path, value) = options::property_search(s)?;
            let value = if path == "fingerprint" {
                value.replace(':', "")
            } else {
                value
            };
            Ok(Search::Property { path, value })
        }
        _ => Err(ApiError::bad_request(
            "$search is not supported on this collection.",
        )),
    }
}

fn kind_label(kind: EntityKind) -> &'static str {
    use EntityKind::*;
    match kind {
        Article => "article",
        ArticleIndicator => "articleIndicator",
        IntelProfile => "intelligenceProfile",
        ProfileIndicator => "intelligenceProfileIndicator",
        Host => "host",
        HostComponent => "hostComponent",
        HostCookie => "hostCookie",
        HostTracker => "hostTracker",
        HostPort => "hostPort",
        HostSslCertificate => "hostSslCertificate",
        HostPair => "hostPair",
        PassiveDnsRecord => "passiveDnsRecord",
        Subdomain => "subdomain",
        SslCertificate => "sslCertificate",
        Vulnerability => "vulnerability",
        VulnerabilityComponent => "vulnerabilityComponent",
        WhoisRecord => "whoisRecord",
        WhoisHistoryRecord => "whoisHistoryRecord",
    }
}
