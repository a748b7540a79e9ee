//! The Frame Streams decoder (slice and reader forms) and the dnstap protobuf decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openti_ingest::dnstap::framestream::{decode_frame, Frame, FrameReader, DEFAULT_MAX_FRAME};
use openti_ingest::dnstap::response_of;

fuzz_target!(|data: &[u8]| {
    let mut at = 0;
    while let Ok(Some((frame, n))) = decode_frame(&data[at..], DEFAULT_MAX_FRAME) {
        assert!(n > 0 && at + n <= data.len());
        at += n;
        if let Frame::Data(p) = frame {
            let _ = response_of(&p);
        }
    }
    let mut r = FrameReader::new(data, DEFAULT_MAX_FRAME);
    let mut buf = Vec::new();
    while let Ok(Some(_)) = r.read_into(&mut buf) {
        let _ = response_of(&buf);
    }
});
