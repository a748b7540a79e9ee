//! `$expand`: inlines the navigations named by the validated `$expand` items into entities
//! (a single entity or every item of a page), applying each item's nested `$select`.
//!
//! Which navigations may be expanded is data in `openti_odata::rules::EXPANDABLE`; this module
//! only knows how to fetch each one from the store.

use openti_odata::Expand;
use openti_store::{EntityKind, ListQuery, Scope, Store};
use serde_json::Value;

use crate::error::ApiError;
use crate::render::project;

/// Most related rows inlined per collection-valued navigation.
pub const MAX_EXPANDED: u32 = 100;

/// The id inside the stub object at `field` (`{"id": …}`).
fn stub_id(item: &Value, field: &str) -> Option<String> {
    item.get(field)?.get("id")?.as_str().map(str::to_string)
}

async fn related_list(store: &dyn Store, scope: Scope) -> Result<Value, ApiError> {
    let q = ListQuery {
        top: MAX_EXPANDED,
        ..ListQuery::new(scope)
    };
    Ok(Value::Array(store.list(&q).await?.values()))
}

/// The expanded value of navigation `nav` of `item` (of entity type `entity_type`); `None`
/// leaves the item unchanged.
async fn fetch(
    store: &dyn Store,
    entity_type: &str,
    nav: &str,
    item: &Value,
) -> Result<Option<Value>, ApiError> {
    let id = item
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok(match (entity_type, nav) {
        ("hostPort", "mostRecentSslCertificate") => match stub_id(item, nav) {
            Some(c) => Some(
                store
                    .get(EntityKind::SslCertificate, &c)
                    .await?
                    .unwrap_or(Value::Null),
            ),
            None => None,
        },
        ("hostPair", "childHost" | "parentHost") => match stub_id(item, nav) {
            Some(h) => store.get(EntityKind::Host, &h).await?,
            None => None,
        },
        ("articleIndicator" | "intelligenceProfileIndicator", "artifact") => {
            let is_host = item
                .pointer("/artifact/@odata.type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with(".hostname") || t.ends_with(".ipAddress"));
            match (is_host, stub_id(item, nav)) {
                (true, Some(h)) => store.get(EntityKind::Host, &h).await?,
                _ => None,
            }
        }
        ("vulnerability", "articles") => {
            Some(related_list(store, Scope::VulnerabilityArticles { cve: id }).await?)
        }
        ("vulnerability", "components") => {
            Some(related_list(store, Scope::VulnerabilityComponents { cve: id }).await?)
        }
        ("whoisRecord", "history") => Some(
            related_list(
                store,
                Scope::WhoisHistory {
                    record: Some(id),
                    host: None,
                },
            )
            .await?,
        ),
        // Already inline (hostSslCertificate.sslCertificate) or nothing to fetch.
        _ => None,
    })
}

fn select_inside(v: Value, select: Option<&[String]>) -> Value {
    match v {
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| project(i, select)).collect())
        }
        Value::Null => Value::Null,
        other => project(other, select),
    }
}

/// Expands `items` of entity type `entity_type` in place.
pub async fn apply(
    store: &dyn Store,
    entity_type: &str,
    items: &mut [Value],
    expand: &[Expand],
) -> Result<(), ApiError> {
    for e in expand {
        for item in items.iter_mut() {
            let value = match fetch(store, entity_type, &e.nav, item).await? {
                Some(v) => v,
                None => match item.get(&e.nav) {
                    Some(v) => v.clone(),
                    None => continue,
                },
            };
            if let Value::Object(map) = item {
                map.insert(e.nav.clone(), select_inside(value, e.select.as_deref()));
            }
        }
    }
    Ok(())
}
