//! The DNS wire-format parser and record-data rendering: any input must parse or fail, never
//! panic, loop or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openti_ingest::dns::{collect_answers, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = parse(data) {
        for rr in &m.answers {
            let _ = rr.data.presentation();
            let _ = rr.data.value();
        }
        let mut out = Vec::new();
        let _ = collect_answers(m, &mut out);
    }
});
