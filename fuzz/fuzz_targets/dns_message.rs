//! The DNS wire-format parser and record-data rendering: any input must parse or fail, never
//! panic, loop or allocate without bound; and the importer's allocation-light scanner
//! (`scan_answers`) must say exactly what the parser and `collect_answers` say.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openti_ingest::dns::{collect_answers, parse, scan_answers, ScannedAnswers};

fuzz_target!(|data: &[u8]| {
    let mut scanned = ScannedAnswers::new();
    let fast = scan_answers(data, &mut scanned);
    match parse(data) {
        Ok(m) => {
            for rr in &m.answers {
                let _ = rr.data.presentation();
                let _ = rr.data.value();
            }
            let mut out = Vec::new();
            let verdict = collect_answers(m, &mut out);
            assert_eq!(fast, Ok(verdict));
            let got: Vec<_> = scanned.iter().collect();
            let want: Vec<_> = out
                .iter()
                .map(|a| (a.name.as_str(), a.rtype, a.value.as_str()))
                .collect();
            assert_eq!(got, want);
        }
        Err(e) => assert_eq!(fast, Err(e)),
    }
});
