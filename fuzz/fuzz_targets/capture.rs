//! The pcap/pcapng reader, link/IP/transport decoding and TCP reassembly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openti_ingest::dns::{DnsRecords, DriverOptions};
use openti_ingest::pcap::PcapFile;

fuzz_target!(|data: &[u8]| {
    let now = openti_ingest::dnstap::unix_time(0);
    if let Ok(src) = PcapFile::new(data, vec![53], now) {
        for r in DnsRecords::new(src, DriverOptions::default()) {
            if r.is_err() {
                break;
            }
        }
    }
});
