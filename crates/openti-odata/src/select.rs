//! `$select` and `$expand` validation against the schema table and the expand rules.

use openti_model::schema::{find_navigation, NAMESPACE};

use crate::ast::{Expand, ExpandItem, SelectItem};
use crate::types::{member_of, root};
use crate::{ODataError, QueryOption};

fn err(option: QueryOption, pos: usize, msg: impl Into<String>) -> ODataError {
    ODataError::at(option, pos, msg)
}

/// Validates `$select` items against `entity` (properties and navigations, including those of
/// derived types); nested paths are refused as Graph does.
pub fn select(
    option: QueryOption,
    entity: &str,
    items: &[SelectItem],
) -> Result<Vec<String>, ODataError> {
    items
        .iter()
        .map(|it| {
            let seg = &it.path[0];
            if it.path.len() > 1 {
                return Err(err(
                    option,
                    it.path[1].pos,
                    format!(
                        "nested $select paths such as '{}/{}' are not supported",
                        seg.name, it.path[1].name
                    ),
                ));
            }
            if member_of(root(entity), &seg.name).is_none() {
                return Err(err(
                    option,
                    seg.pos,
                    format!(
                        "could not find a property named '{}' on type '{NAMESPACE}.{entity}'",
                        seg.name
                    ),
                ));
            }
            Ok(seg.name.clone())
        })
        .collect()
}

/// Validates `$expand` items: each must be an expandable navigation of `entity`
/// ([`crate::rules::expandable`]); a nested `$select` is checked against the target type.
pub fn expand(entity: &str, items: &[ExpandItem]) -> Result<Vec<Expand>, ODataError> {
    let allowed = crate::rules::expandable(entity);
    items
        .iter()
        .map(|it| {
            let seg = &it.path[0];
            if it.path.len() > 1 {
                return Err(err(QueryOption::Expand, it.path[1].pos, "multi-level $expand paths are not supported"));
            }
            let nav = find_navigation(entity, &seg.name).ok_or_else(|| {
                err(
                    QueryOption::Expand,
                    seg.pos,
                    format!("could not find a navigation property named '{}' on type '{NAMESPACE}.{entity}'", seg.name),
                )
            })?;
            if !allowed.contains(&nav.name) {
                return Err(err(
                    QueryOption::Expand,
                    seg.pos,
                    format!(
                        "'{}' cannot be expanded on this resource (expandable: {})",
                        seg.name,
                        if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
                    ),
                ));
            }
            let select = it
                .select
                .as_ref()
                .map(|s| select(QueryOption::Expand, nav.target, s))
                .transpose()?;
            Ok(Expand {
                nav: nav.name.to_string(),
                select,
            })
        })
        .collect()
}
