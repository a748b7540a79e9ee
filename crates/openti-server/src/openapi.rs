//! `GET /openapi.json`: an OpenAPI 3.0 document generated from the schema table and the route
//! templates ([`crate::routes`]).
//!
//! Every Graph GET route (items, lists, navigations, `/$count`) and every OpenTI route is
//! described, with the query options each accepts, a schema per entity, complex and enum type
//! (named by qualified name, e.g. `microsoft.graph.security.hostPort`; abstract types are
//! `anyOf` their concrete subtypes), collection-page schemas, and the Graph error envelope on
//! every error status. `request-id` / `client-request-id` are declared on every response.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use openti_model::schema::{
    self, EdmType, Navigation, Property, COMPLEX_TYPES, ENTITY_TYPES, ENUM_TYPES,
};
use serde_json::{json, Map, Value};

use crate::routes::{graph_routes, Route, RouteKind};
use crate::{graph, render, AppState};

/// Component name of the Graph error envelope.
pub const ERROR_SCHEMA: &str = "microsoft.graph.ODataErrors.ODataError";

/// `GET /openapi.json`.
pub async fn handler(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = render::base_url(state.config.public_url.as_deref(), &headers);
    render::json(document(&base))
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn nullable(v: Value) -> Value {
    if v.get("$ref").is_some() {
        json!({ "allOf": [v], "nullable": true })
    } else {
        let mut v = v;
        if let Value::Object(m) = &mut v {
            m.insert("nullable".into(), Value::Bool(true));
        }
        v
    }
}

fn edm_schema(ty: EdmType) -> Value {
    match ty {
        EdmType::String => json!({ "type": "string" }),
        EdmType::Int32 => json!({ "type": "integer", "format": "int32" }),
        EdmType::Int64 => json!({ "type": "integer", "format": "int64" }),
        EdmType::Double => json!({ "type": "number", "format": "double" }),
        EdmType::Boolean => json!({ "type": "boolean" }),
        EdmType::DateTimeOffset => json!({ "type": "string", "format": "date-time" }),
        EdmType::Enum(_) | EdmType::Complex(_) | EdmType::Entity(_) => {
            let q = ty.qualified_name();
            schema_ref(&q)
        }
    }
}

fn property_schema(p: &Property) -> Value {
    let one = edm_schema(p.ty);
    if p.collection {
        json!({ "type": "array", "items": one })
    } else if p.nullable {
        nullable(one)
    } else {
        one
    }
}

fn navigation_schema(n: &Navigation) -> Value {
    let target = schema_ref(&EdmType::Entity(n.target).qualified_name());
    if n.collection {
        json!({ "type": "array", "items": target })
    } else {
        nullable(target)
    }
}

fn object(props: Map<String, Value>, required: &[&str]) -> Value {
    let mut o = json!({ "type": "object", "properties": Value::Object(props) });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

fn odata_type_prop() -> Value {
    json!({ "type": "string", "pattern": "^#?microsoft\\.graph\\." })
}

fn component_schemas() -> Map<String, Value> {
    let mut out = Map::new();
    for e in ENUM_TYPES {
        out.insert(
            e.qualified_name(),
            json!({ "type": "string", "enum": e.members }),
        );
    }
    for c in COMPLEX_TYPES {
        let mut props = Map::new();
        props.insert("@odata.type".into(), odata_type_prop());
        for p in c.properties {
            props.insert(p.name.into(), property_schema(p));
        }
        for n in c.navigations {
            props.insert(n.name.into(), navigation_schema(n));
        }
        out.insert(c.qualified_name(), object(props, &[]));
    }
    for t in ENTITY_TYPES {
        let concrete: Vec<Value> = schema::derived_types(t.name)
            .into_iter()
            .filter(|d| !d.is_abstract)
            .map(|d| schema_ref(&d.qualified_name()))
            .collect();
        if t.is_abstract && !concrete.is_empty() {
            out.insert(t.qualified_name(), json!({ "anyOf": concrete }));
            continue;
        }
        let mut props = Map::new();
        props.insert("@odata.type".into(), odata_type_prop());
        for p in schema::all_properties(t.name) {
            props.insert(p.name.into(), property_schema(p));
        }
        for n in schema::all_navigations(t.name) {
            props.insert(n.name.into(), navigation_schema(n));
        }
        out.insert(t.qualified_name(), object(props, &["id"]));
    }
    for t in ENTITY_TYPES {
        out.insert(
            format!("{}CollectionResponse", t.qualified_name()),
            json!({
                "type": "object",
                "properties": {
                    "@odata.context": { "type": "string" },
                    "@odata.count": { "type": "integer", "format": "int64", "minimum": 0 },
                    "@odata.nextLink": { "type": "string" },
                    "value": { "type": "array", "items": schema_ref(&t.qualified_name()) }
                },
                "required": ["value"]
            }),
        );
    }
    out.insert(
        ERROR_SCHEMA.into(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": { "error": {
                "type": "object",
                "required": ["code", "message", "innerError"],
                "properties": {
                    "code": { "type": "string" },
                    "message": { "type": "string" },
                    "innerError": {
                        "type": "object",
                        "required": ["date", "request-id", "client-request-id"],
                        "properties": {
                            "date": { "type": "string" },
                            "request-id": { "type": "string" },
                            "client-request-id": { "type": "string" }
                        }
                    }
                }
            }}
        }),
    );
    out.insert(
        "openti.ingestSummary".into(),
        json!({
            "type": "object",
            "required": ["read", "accepted", "skipped", "rejected", "errors"],
            "properties": {
                "read": { "type": "integer" },
                "accepted": { "type": "integer" },
                "skipped": { "type": "integer" },
                "rejected": { "type": "integer" },
                "errors": { "type": "array", "items": {
                    "type": "object",
                    "properties": { "line": { "type": "integer" }, "message": { "type": "string" } }
                }}
            }
        }),
    );
    out
}

fn id_headers() -> Value {
    json!({
        "request-id": { "required": true, "schema": { "type": "string" },
                        "description": "Server-assigned id of this request." },
        "client-request-id": { "required": true, "schema": { "type": "string" },
                               "description": "The caller's client-request-id, or the request id." }
    })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "headers": id_headers(),
        "content": { "application/json": { "schema": schema_ref(ERROR_SCHEMA) } }
    })
}

/// Error responses of an authenticated route.
fn auth_errors(responses: &mut Map<String, Value>) {
    let mut unauthorized = error_response("Missing, malformed, unknown, revoked or expired token.");
    unauthorized["headers"]["WWW-Authenticate"] =
        json!({ "required": true, "schema": { "type": "string" } });
    responses.insert("401".into(), unauthorized);
    responses.insert(
        "403".into(),
        error_response("The token lacks the route's permission."),
    );
    let mut throttled = error_response("Throttled; retry after the given number of seconds.");
    throttled["headers"]["Retry-After"] =
        json!({ "required": true, "schema": { "type": "integer" } });
    responses.insert("429".into(), throttled);
    responses.insert("500".into(), error_response("Internal error."));
}

fn ok_json(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "headers": id_headers(),
        "content": { "application/json": { "schema": schema } }
    })
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema,
            "description": description })
}

/// `$select`: a comma-separated list of the entity type's properties and navigations.
fn select_param(entity: &str) -> Value {
    let mut names: Vec<&str> = schema::all_properties(entity)
        .iter()
        .map(|p| p.name)
        .chain(schema::all_navigations(entity).iter().map(|n| n.name))
        .collect();
    names.dedup();
    json!({
        "name": "$select", "in": "query", "required": false,
        "style": "form", "explode": false,
        "schema": { "type": "array", "uniqueItems": true,
                    "items": { "type": "string", "enum": names } },
        "description": "Properties to return (id and @odata.type are always kept)."
    })
}

fn query_params(kind: RouteKind, entity: &str) -> Vec<Value> {
    let s = || json!({ "type": "string" });
    let select = select_param(entity);
    let expand = query("$expand", s(), "Navigations to expand.");
    let filter = query("$filter", s(), "Filter expression.");
    let search = query("$search", s(), "Search text or \"property:value\".");
    match kind {
        RouteKind::List => vec![
            query(
                "$top",
                json!({ "type": "integer", "minimum": 0 }),
                "Page size (default 100, max 1000).",
            ),
            query(
                "$skip",
                json!({ "type": "integer", "minimum": 0 }),
                "Rows to skip.",
            ),
            query(
                "$count",
                json!({ "type": "boolean" }),
                "Include @odata.count.",
            ),
            select,
            search,
            filter,
            query("$orderby", s(), "Order by properties."),
            expand,
        ],
        RouteKind::Count => vec![filter, search],
        _ => vec![select, expand],
    }
}

fn operation_id(route: &Route) -> String {
    let mut parts = vec!["security".to_string(), "threatIntelligence".to_string()];
    for seg in route.path.split('/').filter(|s| !s.is_empty()) {
        parts.push(if seg.starts_with('{') {
            "item".into()
        } else if seg == "$count" {
            "count".into()
        } else {
            seg.to_string()
        });
    }
    let verb = match route.kind {
        RouteKind::List => "list",
        RouteKind::Count => "getCount",
        _ => "get",
    };
    format!("{}.{verb}", parts.join("."))
}

fn graph_operation(route: &Route) -> Value {
    let entity = EdmType::Entity(route.entity).qualified_name();
    let mut params: Vec<Value> = route
        .params
        .iter()
        .map(|p| {
            json!({ "name": p, "in": "path", "required": true,
                    "schema": { "type": "string", "minLength": 1 },
                    "description": format!("Key: {}", p.trim_end_matches(char::is_numeric)) })
        })
        .collect();
    params.extend(query_params(route.kind, route.entity));
    let mut responses = Map::new();
    let ok = match route.kind {
        RouteKind::List => ok_json(
            "A page of the collection.",
            schema_ref(&format!("{entity}CollectionResponse")),
        ),
        RouteKind::Count => json!({
            "description": "The number of items.",
            "headers": id_headers(),
            "content": { "text/plain": { "schema": { "type": "integer", "minimum": 0 } } }
        }),
        _ => ok_json("The entity.", schema_ref(&entity)),
    };
    responses.insert("200".into(), ok);
    responses.insert(
        "400".into(),
        error_response("Malformed or unsupported query option."),
    );
    responses.insert("404".into(), error_response("Unknown id or path."));
    auth_errors(&mut responses);
    let tag = route
        .path
        .split('/')
        .find(|s| !s.is_empty())
        .unwrap_or("threatIntelligence");
    json!({
        "operationId": operation_id(route),
        "tags": [tag],
        "summary": format!("{} {}", match route.kind {
            RouteKind::List => "List",
            RouteKind::Count => "Count",
            _ => "Get",
        }, route.entity),
        "parameters": params,
        "responses": Value::Object(responses),
    })
}

fn public_get(operation_id: &str, summary: &str, content_type: &str, schema: Value) -> Value {
    json!({ "get": {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["openti"],
        "security": [],
        "responses": {
            "200": { "description": summary, "headers": id_headers(),
                     "content": { content_type: { "schema": schema } } }
        }
    }})
}

fn openti_paths(paths: &mut Map<String, Value>) {
    let text = json!({ "type": "string" });
    paths.insert(
        "/healthz".into(),
        public_get("healthz", "Liveness.", "text/plain", text.clone()),
    );
    let mut ready = public_get("readyz", "Readiness.", "text/plain", text.clone());
    ready["get"]["responses"]["503"] = error_response("The store is not ready.");
    paths.insert("/readyz".into(), ready);
    paths.insert(
        "/metrics".into(),
        public_get("metrics", "Prometheus metrics.", "text/plain", text.clone()),
    );
    paths.insert(
        "/openapi.json".into(),
        public_get(
            "openapi",
            "This document.",
            "application/json",
            json!({ "type": "object" }),
        ),
    );
    paths.insert(
        "/v1.0/$metadata".into(),
        public_get("metadata", "CSDL metadata.", "application/xml", text),
    );
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        ok_json("Ingest summary.", schema_ref("openti.ingestSummary")),
    );
    responses.insert("400".into(), error_response("Unreadable body."));
    responses.insert("413".into(), error_response("Body too large."));
    auth_errors(&mut responses);
    paths.insert(
        "/openti/v1/observations".into(),
        json!({ "post": {
            "operationId": "openti.observations.ingest",
            "summary": "Ingest NDJSON observations (ThreatIntelligence.ReadWrite.All).",
            "tags": ["openti"],
            "requestBody": { "required": true, "content": {
                "application/x-ndjson": { "schema": { "type": "string" } }
            }},
            "responses": Value::Object(responses),
        }}),
    );
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        ok_json(
            "The service answers.",
            json!({ "type": "object", "properties": {
                "service": { "type": "string" }, "ok": { "type": "boolean" } } }),
        ),
    );
    auth_errors(&mut responses);
    paths.insert(
        "/openti/v1/ping".into(),
        json!({ "get": {
            "operationId": "openti.ping",
            "summary": "Authenticated ping (ThreatIntelligence.Read.All).",
            "tags": ["openti"],
            "responses": Value::Object(responses),
        }}),
    );
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "The host's forward passive DNS, one COF record per line.",
            "headers": id_headers(),
            "content": { "application/x-ndjson": { "schema": { "type": "string" } } }
        }),
    );
    responses.insert(
        "400".into(),
        error_response("Not a host name or IP address."),
    );
    responses.insert("404".into(), error_response("Unknown host."));
    auth_errors(&mut responses);
    paths.insert(
        "/openti/v1/hosts/{host}/passiveDns/cof".into(),
        json!({ "get": {
            "operationId": "openti.hosts.passiveDns.cof",
            "summary": "A host's passive DNS in Common Output Format (ThreatIntelligence.Read.All).",
            "tags": ["openti"],
            "parameters": [{ "name": "host", "in": "path", "required": true,
                             "schema": { "type": "string", "minLength": 1 },
                             "description": "Host name or IP address." }],
            "responses": Value::Object(responses),
        }}),
    );
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        ok_json("What was stored.", json!({ "type": "object" })),
    );
    responses.insert(
        "400".into(),
        error_response("Not UTF-8, or not a valid article."),
    );
    responses.insert("413".into(), error_response("Body too large."));
    auth_errors(&mut responses);
    paths.insert(
        "/openti/v1/articles".into(),
        json!({ "post": {
            "operationId": "openti.articles.add",
            "summary": "Add a Markdown article with its indicators (ThreatIntelligence.ReadWrite.All).",
            "tags": ["openti"],
            "requestBody": { "required": true, "content": {
                "text/markdown": { "schema": { "type": "string" } }
            }},
            "responses": Value::Object(responses),
        }}),
    );
}

/// The OpenAPI document, with `base` as its server URL.
pub fn document(base: &str) -> Value {
    let mut paths = Map::new();
    for route in graph_routes() {
        paths.insert(
            format!("{}{}", graph::PREFIX, route.path),
            json!({ "get": graph_operation(route) }),
        );
    }
    openti_paths(&mut paths);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "OpenTI",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Microsoft Graph v1.0 threat-intelligence API (wire-compatible) and OpenTI's own routes. Generated from the schema table.",
            "license": { "name": "Apache-2.0" }
        },
        "servers": [{ "url": base }],
        "security": [{ "bearerAuth": [] }],
        "paths": Value::Object(paths),
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer",
                                "description": "OpenTI API token or OIDC / Entra ID JWT." }
            },
            "schemas": Value::Object(component_schemas())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_and_ref_is_present() {
        let doc = document("http://127.0.0.1:1");
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(paths.len(), graph_routes().len() + 9);
        assert!(
            paths.contains_key("/v1.0/security/threatIntelligence/hosts/{host-id}/ports/$count")
        );
        // every $ref resolves
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for piece in text.split("#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "dangling $ref {name}");
        }
        let mut ids: Vec<&str> = paths
            .values()
            .flat_map(|p| p.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap())
            .collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "operationIds are unique");
        assert!(schemas["microsoft.graph.security.host"]["anyOf"].is_array());
    }

    /// Every literal route registered in `lib.rs` is described (guards against drift when
    /// someone adds a route).
    #[test]
    fn every_registered_route_is_documented() {
        let doc = document("http://127.0.0.1:1");
        let paths = doc["paths"].as_object().unwrap();
        let src = include_str!("lib.rs");
        let mut n = 0;
        for piece in src.split(".route(\"").skip(1) {
            let path = piece.split('"').next().unwrap();
            assert!(
                paths.contains_key(path),
                "route {path} is missing from /openapi.json"
            );
            n += 1;
        }
        assert!(n >= 6, "{n} literal routes found");
    }
}
