//! Banner parsers of the port scanner (SSH, HTTP, SMTP/FTP, POP3/IMAP, MySQL, Redis,
//! PostgreSQL) and the certificate reader: any bytes are recognised or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openti_collect::scan::{detect, tls};

fuzz_target!(|data: &[u8]| {
    let port = data.first().map(|b| u16::from(*b)).unwrap_or(0);
    let _ = detect::passive(data, port);
    let _ = detect::mysql(data);
    let _ = detect::postgresql(data);
    let text = String::from_utf8_lossy(data);
    let _ = detect::http(&text, port % 2 == 0);
    let _ = detect::greeting_220(&text, port);
    let _ = detect::redis(&text);
    let _ = detect::printable(data, 64);
    let _ = detect::version_after(&text, "exim");
    let _ = tls::cert_info(data);
});
