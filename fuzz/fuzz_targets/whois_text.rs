//! Raw WHOIS text and RDAP JSON parsers: any input is parsed (possibly to nothing) without
//! panicking; a parsed response turns into an observation or a field error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = openti_ingest::whois::parse(&text);
    let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let _ = openti_ingest::whois::observation(None, None, Some(&text), &parsed, t);
    let _ = openti_ingest::whois::dates::parse_date(&text);
    let _ = openti_ingest::whois::rdap::json_records(data, None, t);
});
