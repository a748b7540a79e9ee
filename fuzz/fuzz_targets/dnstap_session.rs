//! The receiving side of a live connection: arbitrary bytes fed in arbitrary chunks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openti_ingest::dnstap::session::{Live, Session};

fuzz_target!(|data: &[u8]| {
    let mut live = Live::new();
    let mut s = Session::new();
    let now = openti_ingest::dnstap::unix_time(1_700_000_000);
    let split = data.first().map(|b| *b as usize + 1).unwrap_or(1);
    for chunk in data.chunks(split) {
        if s.feed(chunk, &mut live, now).is_err() || s.is_done() {
            break;
        }
    }
    let _ = live.agg.drain();
});
