//! One call for all the query options of a request: parse, validate, check the endpoint rules.

use crate::ast::{Expand, Filter, OrderKey};
use crate::cursor::Cursor;
use crate::parser::{parse_expand, parse_filter, parse_orderby, parse_select};
use crate::rules::{Endpoint, SearchMode};
use crate::validate::{expand, select, Validator};
use crate::{ODataError, QueryOption};

/// The raw (percent-decoded) values of the query-language options of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOptions {
    /// `$filter`
    pub filter: Option<String>,
    /// `$orderby`
    pub orderby: Option<String>,
    /// `$select`
    pub select: Option<String>,
    /// `$expand`
    pub expand: Option<String>,
    /// `$search` (quotes already removed)
    pub search: Option<String>,
    /// `$skiptoken`
    pub skiptoken: Option<String>,
}

/// Validated options, ready for the store and the renderer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compiled {
    /// `$filter`
    pub filter: Option<Filter>,
    /// `$orderby` keys (empty: the endpoint's default order)
    pub orderby: Vec<OrderKey>,
    /// `$select` property names
    pub select: Option<Vec<String>>,
    /// `$expand` items
    pub expand: Vec<Expand>,
    /// `$skiptoken`
    pub cursor: Option<Cursor>,
}

fn refuse(option: QueryOption, what: &str) -> ODataError {
    ODataError::new(
        option,
        format!("{} is not supported on {what}", option.name()),
    )
}

/// Compiles the options of a request addressed to `entity_type`. `endpoint` is the collection
/// endpoint for list requests and `None` for single entities (which accept only `$select` and
/// `$expand`).
pub fn compile(
    entity_type: &str,
    endpoint: Option<&Endpoint>,
    raw: &RawOptions,
) -> Result<Compiled, ODataError> {
    let mut out = Compiled::default();
    let what = endpoint.map_or_else(
        || "a single entity".to_string(),
        |e| format!("'{}'", e.name),
    );
    if let Some(s) = &raw.select {
        out.select = Some(select(QueryOption::Select, entity_type, &parse_select(s)?)?);
    }
    if let Some(e) = &raw.expand {
        out.expand = expand(entity_type, &parse_expand(e)?)?;
    }
    let list_only = [
        (QueryOption::Filter, raw.filter.is_some()),
        (QueryOption::OrderBy, raw.orderby.is_some()),
        (QueryOption::Search, raw.search.is_some()),
        (QueryOption::SkipToken, raw.skiptoken.is_some()),
    ];
    let Some(ep) = endpoint else {
        if let Some((o, _)) = list_only.iter().find(|(_, given)| *given) {
            return Err(refuse(*o, &what));
        }
        return Ok(out);
    };
    if let Some(f) = &raw.filter {
        if !ep.filter {
            return Err(refuse(QueryOption::Filter, &what));
        }
        let tree = parse_filter(f)?;
        out.filter = Some(Validator::new(entity_type, QueryOption::Filter).filter(&tree)?);
    }
    if let Some(o) = &raw.orderby {
        if !ep.orderby {
            return Err(refuse(QueryOption::OrderBy, &what));
        }
        let items = parse_orderby(o)?;
        out.orderby = Validator::new(entity_type, QueryOption::OrderBy).orderby(&items)?;
    }
    if let Some(s) = &raw.search {
        if ep.search == SearchMode::None {
            return Err(refuse(QueryOption::Search, &what));
        }
        if s.trim().is_empty() {
            return Err(ODataError::new(
                QueryOption::Search,
                "the search text is empty",
            ));
        }
        if s.len() > 1024 {
            return Err(ODataError::new(
                QueryOption::Search,
                "the search text is longer than 1024 characters",
            ));
        }
    }
    if let Some(t) = &raw.skiptoken {
        out.cursor = Some(Cursor::decode(t)?);
    }
    Ok(out)
}
