//! OData system query options accepted by the Graph routes.
//!
//! `$top`, `$skip` and `$count` are parsed here; the query-language options (`$filter`,
//! `$orderby`, `$select`, `$expand`, `$search`, `$skiptoken`) are collected raw and compiled by
//! `openti_odata` once the addressed entity type is known (see `graph.rs`). Repeated and
//! unknown `$`-options are refused with 400 naming the option.

use openti_odata::RawOptions;
use percent_encoding::percent_decode_str;

use crate::error::ApiError;

/// Page size used when `$top` is absent.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest page served; a larger `$top` is clamped to it and continued by `@odata.nextLink`.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Parsed query options of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// `$top` as given.
    pub top: Option<u32>,
    /// `$skip`.
    pub skip: u64,
    /// `$count=true`.
    pub count: bool,
    /// `$select` property names (filled in once validated against the entity type).
    pub select: Option<Vec<String>>,
    /// `$search` with surrounding quotes removed.
    pub search: Option<String>,
    /// The query-language options as given, for `openti_odata::compile`.
    pub raw: RawOptions,
    /// Navigations inlined by `$expand` (kept by `$select` projection).
    pub expanded: Vec<String>,
    /// Non-`$` parameters and their raw values, kept for nextLinks.
    pub passthrough: Vec<(String, String)>,
}

impl QueryOptions {
    /// Page size for this request.
    pub fn page_size(&self) -> u32 {
        self.top.unwrap_or(DEFAULT_PAGE_SIZE).min(MAX_PAGE_SIZE)
    }
}

fn decode(s: &str) -> Result<String, ApiError> {
    let plus = s.replace('+', " ");
    percent_decode_str(&plus)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| ApiError::bad_request(format!("query parameter {s:?} is not valid UTF-8")))
}

/// Parses a raw query string.
pub fn parse(raw: Option<&str>) -> Result<QueryOptions, ApiError> {
    let mut o = QueryOptions::default();
    let Some(raw) = raw else { return Ok(o) };
    let mut seen: Vec<String> = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k)?;
        let value = decode(v)?;
        let lower = key.to_ascii_lowercase();
        if lower.starts_with('$') {
            if seen.contains(&lower) {
                return Err(ApiError::bad_request(format!(
                    "Query option '{key}' was specified more than once."
                )));
            }
            seen.push(lower.clone());
        }
        match lower.as_str() {
            "$top" => {
                o.top = Some(value.trim().parse::<u32>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "Invalid value '{value}' for $top: expected a non-negative integer."
                    ))
                })?)
            }
            "$skip" => {
                o.skip = value.trim().parse::<u64>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "Invalid value '{value}' for $skip: expected a non-negative integer."
                    ))
                })?
            }
            "$count" => {
                o.count = match value.trim() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "Invalid value '{other}' for $count: expected true or false."
                        )))
                    }
                }
            }
            "$select" => o.raw.select = Some(value),
            "$search" => {
                o.search = Some(strip_search(&value));
                o.raw.search = o.search.clone();
            }
            "$expand" => o.raw.expand = Some(value),
            "$filter" => o.raw.filter = Some(value),
            "$orderby" => o.raw.orderby = Some(value),
            "$skiptoken" => o.raw.skiptoken = Some(value),
            "$apply" | "$compute" | "$format" | "$levels" | "$index" => {
                return Err(ApiError::bad_request(format!(
                    "Query option '{key}' is not supported on this server version."
                )))
            }
            _ if lower.starts_with('$') => {
                return Err(ApiError::bad_request(format!(
                    "Query option '{key}' is not supported."
                )))
            }
            _ => o.passthrough.push((k.to_string(), v.to_string())),
        }
    }
    Ok(o)
}

/// Removes surrounding double quotes and tolerates the docs' example that puts `&$orderby=…`
/// inside the quoted search string.
fn strip_search(value: &str) -> String {
    let t = value.trim();
    let t = t.strip_prefix('"').unwrap_or(t);
    let t = match t.find("&$") {
        Some(i) => &t[..i],
        None => t,
    };
    let t = t.strip_suffix('"').unwrap_or(t);
    t.trim().to_string()
}

/// Splits Graph's `"path:value"` search form.
pub fn property_search(search: &str) -> Result<(String, String), ApiError> {
    let (path, value) = search.split_once(':').ok_or_else(|| {
        ApiError::bad_request(format!(
            "Invalid $search \"{search}\": expected \"property:value\"."
        ))
    })?;
    let (path, value) = (path.trim(), value.trim());
    if path.is_empty() || value.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Invalid $search \"{search}\": expected \"property:value\"."
        )));
    }
    Ok((path.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paging_options() {
        let o = parse(Some(
            "$top=5&$skip=10&$count=true&$select=id,title&$filter=a%20eq%201&$orderby=a+desc&foo=bar",
        ))
        .unwrap();
        assert_eq!(o.top, Some(5));
        assert_eq!(o.skip, 10);
        assert!(o.count);
        assert_eq!(o.raw.select.as_deref(), Some("id,title"));
        assert_eq!(o.raw.filter.as_deref(), Some("a eq 1"));
        assert_eq!(o.raw.orderby.as_deref(), Some("a desc"));
        assert_eq!(o.passthrough, vec![("foo".to_string(), "bar".to_string())]);
        assert_eq!(parse(Some("$top=5000")).unwrap().page_size(), MAX_PAGE_SIZE);
        assert_eq!(parse(None).unwrap().page_size(), DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn rejects_bad_values() {
        for q in [
            "$top=-1",
            "$top=abc",
            "$skip=x",
            "$count=yes",
            "$apply=x",
            "$filter=a&$filter=b",
            "$bogus=1",
            "$top=1&$top=2",
        ] {
            let e = parse(Some(q)).unwrap_err();
            assert_eq!(e.code, "BadRequest", "{q}");
        }
    }

    #[test]
    fn search_forms() {
        let o = parse(Some("$search=%22subject%2FcommonName%3Aexample.com%22")).unwrap();
        assert_eq!(o.search.as_deref(), Some("subject/commonName:example.com"));
        let docs_bug = parse(Some(
            "$search=%22admin/address/state:WA%26$orderby=registrationDateTime%20desc%22",
        ))
        .unwrap();
        assert_eq!(docs_bug.search.as_deref(), Some("admin/address/state:WA"));
        assert_eq!(
            property_search("sha1:abc").unwrap(),
            ("sha1".into(), "abc".into())
        );
        assert!(property_search("nocolon").is_err());
    }
}
