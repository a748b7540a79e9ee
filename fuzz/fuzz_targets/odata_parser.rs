//! Fuzz target: the OData query-option parser and validator.
//!
//! The first byte picks the endpoint; the rest is split on `\n` into `$filter`, `$orderby`,
//! `$select`, `$expand`, `$search` and `$skiptoken` values. Parsing and validation must never
//! panic, overflow the stack or loop; every input is either compiled or refused with an
//! `ODataError` whose position lies inside the value it names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openti_odata::rules::ENDPOINTS;
use openti_odata::{compile, parser, RawOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let ep = &ENDPOINTS[pick as usize % ENDPOINTS.len()];
    let mut parts = text.split('\n').map(|s| Some(s.to_string()));
    let raw = RawOptions {
        filter: parts.next().flatten(),
        orderby: parts.next().flatten(),
        select: parts.next().flatten(),
        expand: parts.next().flatten(),
        search: parts.next().flatten(),
        skiptoken: parts.next().flatten(),
    };
    if let Some(f) = &raw.filter {
        if let Err(e) = parser::parse_filter(f) {
            assert!(e.position.is_none_or(|p| p <= f.len()), "{e:?}");
        }
    }
    let _ = compile(ep.entity_type, Some(ep), &raw);
    let _ = compile(ep.entity_type, None, &raw);
});
