//! JARM: an active TLS server fingerprint. Ten crafted ClientHellos (TLS 1.1–1.3, cipher lists
//! in different orders, GREASE, rare ALPNs, supported-versions variants) are sent on separate
//! connections; the ServerHello answers (chosen cipher, version, ALPN, extension types) are
//! hashed into 62 hex characters: 30 of cipher/version codes and 32 of SHA-256 over the ALPNs
//! and extensions. Formats, parsing and hashing follow Salesforce's JARM as implemented by the
//! PyPI `pyjarm` package (the test compares both against the same local server).
//!
//! The caller passes an address that already passed the [`NetPolicy`](crate::NetPolicy).

use std::net::SocketAddr;
use std::time::Duration;

use rand::seq::SliceRandom;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Cipher list `ALL` (JARM order).
const ALL: [u16; 69] = [
    0x0016, 0x0033, 0x0067, 0xc09e, 0xc0a2, 0x009e, 0x0039, 0x006b, 0xc09f, 0xc0a3, 0x009f, 0x0045,
    0x00be, 0x0088, 0x00c4, 0x009a, 0xc008, 0xc009, 0xc023, 0xc0ac, 0xc0ae, 0xc02b, 0xc00a, 0xc024,
    0xc0ad, 0xc0af, 0xc02c, 0xc072, 0xc073, 0xcca9, 0x1302, 0x1301, 0xcc14, 0xc007, 0xc012, 0xc013,
    0xc027, 0xc02f, 0xc014, 0xc028, 0xc030, 0xc060, 0xc061, 0xc076, 0xc077, 0xcca8, 0x1305, 0x1304,
    0x1303, 0xcc13, 0xc011, 0x000a, 0x002f, 0x003c, 0xc09c, 0xc0a0, 0x009c, 0x0035, 0x003d, 0xc09d,
    0xc0a1, 0x009d, 0x0041, 0x00ba, 0x0084, 0x00c0, 0x0007, 0x0004, 0x0005,
];

/// The hash's cipher index table (sorted).
const HASH_CIPHERS: [u16; 69] = [
    0x0004, 0x0005, 0x0007, 0x000a, 0x0016, 0x002f, 0x0033, 0x0035, 0x0039, 0x003c, 0x003d, 0x0041,
    0x0045, 0x0067, 0x006b, 0x0084, 0x0088, 0x009a, 0x009c, 0x009d, 0x009e, 0x009f, 0x00ba, 0x00be,
    0x00c0, 0x00c4, 0xc007, 0xc008, 0xc009, 0xc00a, 0xc011, 0xc012, 0xc013, 0xc014, 0xc023, 0xc024,
    0xc027, 0xc028, 0xc02b, 0xc02c, 0xc02f, 0xc030, 0xc060, 0xc061, 0xc072, 0xc073, 0xc076, 0xc077,
    0xc09c, 0xc09d, 0xc09e, 0xc09f, 0xc0a0, 0xc0a1, 0xc0a2, 0xc0a3, 0xc0ac, 0xc0ad, 0xc0ae, 0xc0af,
    0xcc13, 0xcc14, 0xcca8, 0xcca9, 0x1301, 0x1302, 0x1303, 0x1304, 0x1305,
];

const GREASE: [u16; 16] = [
    0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba,
    0xcaca, 0xdada, 0xeaea, 0xfafa,
];

const ALPN_ALL: [&str; 9] = [
    "http/0.9", "http/1.0", "http/1.1", "spdy/1", "spdy/2", "spdy/3", "h2", "h2c", "hq",
];
const ALPN_RARE: [&str; 7] = [
    "http/0.9", "http/1.0", "spdy/1", "spdy/2", "spdy/3", "h2c", "hq",
];

/// Cipher / extension orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As listed.
    Forward,
    /// Reversed.
    Reverse,
    /// Top half (with the middle element first for odd lengths).
    TopHalf,
    /// Bottom half.
    BottomHalf,
    /// From the middle outwards.
    MiddleOut,
}

/// The TLS version a hello claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// TLS 1.1.
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3 (record 0x0301, hello 0x0303).
    Tls13,
}

/// The `supported_versions` extension variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Up to TLS 1.2.
    Tls12,
    /// Up to TLS 1.3.
    Tls13,
    /// No extension.
    None,
}

/// One of the ten ClientHello formats.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    /// Claimed version.
    pub version: Version,
    /// Cipher list without TLS 1.3 suites.
    pub no_tls13_ciphers: bool,
    /// Cipher order.
    pub cipher_order: Order,
    /// GREASE values.
    pub grease: bool,
    /// Rare ALPN list.
    pub rare_alpn: bool,
    /// supported_versions.
    pub support: Support,
    /// ALPN / supported_versions order.
    pub extension_order: Order,
}

const fn f(
    v: Version,
    no13: bool,
    co: Order,
    g: bool,
    rare: bool,
    s: Support,
    eo: Order,
) -> Format {
    Format {
        version: v,
        no_tls13_ciphers: no13,
        cipher_order: co,
        grease: g,
        rare_alpn: rare,
        support: s,
        extension_order: eo,
    }
}

/// JARM v1's ten formats, in hash order.
pub const FORMATS: [Format; 10] = {
    use Order::*;
    use Support as S;
    use Version::*;
    [
        f(Tls12, false, Forward, false, false, S::Tls12, Reverse),
        f(Tls12, false, Reverse, false, false, S::Tls12, Forward),
        f(Tls12, false, TopHalf, false, false, S::None, Forward),
        f(Tls12, false, BottomHalf, false, true, S::None, Forward),
        f(Tls12, false, MiddleOut, true, true, S::None, Reverse),
        f(Tls11, false, Forward, false, false, S::None, Forward),
        f(Tls13, false, Forward, false, false, S::Tls13, Reverse),
        f(Tls13, false, Reverse, false, false, S::Tls13, Forward),
        f(Tls13, true, Forward, false, false, S::Tls13, Forward),
        f(Tls13, false, MiddleOut, true, false, S::Tls13, Reverse),
    ]
};

/// JARM's list reordering.
pub fn reorder<T: Clone>(list: &[T], order: Order) -> Vec<T> {
    let n = list.len();
    match order {
        Order::Forward => list.to_vec(),
        Order::Reverse => list.iter().rev().cloned().collect(),
        Order::BottomHalf => list[n / 2 + n % 2..].to_vec(),
        Order::TopHalf => {
            let mut out = Vec::new();
            if n % 2 == 1 {
                out.push(list[n / 2].clone());
            }
            out.extend(reorder(&reorder(list, Order::Reverse), Order::BottomHalf));
            out
        }
        Order::MiddleOut => {
            let mid = n / 2;
            let mut out = Vec::new();
            if n % 2 == 1 {
                out.push(list[mid].clone());
                for i in 1..=mid {
                    out.push(list[mid + i].clone());
                    out.push(list[mid - i].clone());
                }
            } else {
                for i in 1..=mid {
                    out.push(list[mid - 1 + i].clone());
                    out.push(list[mid - i].clone());
                }
            }
            out
        }
    }
}

fn u16be(v: usize) -> [u8; 2] {
    (v as u16).to_be_bytes()
}

fn grease(rng: &mut impl RngCore) -> [u8; 2] {
    GREASE.choose(rng).copied().unwrap_or(0x0a0a).to_be_bytes()
}

/// Builds one ClientHello record.
pub fn client_hello(fmt: &Format, host: &str, rng: &mut impl RngCore) -> Vec<u8> {
    let (record_version, hello_version) = match fmt.version {
        Version::Tls11 => ([3u8, 2], [3u8, 2]),
        Version::Tls12 => ([3, 3], [3, 3]),
        Version::Tls13 => ([3, 1], [3, 3]),
    };
    let mut hello = hello_version.to_vec();
    let mut random = [0u8; 32];
    rng.fill_bytes(&mut random);
    hello.extend(random);
    let mut session = [0u8; 32];
    rng.fill_bytes(&mut session);
    hello.push(32);
    hello.extend(session);
    let list: Vec<u16> = if fmt.no_tls13_ciphers {
        ALL.iter().copied().filter(|c| (c >> 8) != 0x13).collect()
    } else {
        ALL.to_vec()
    };
    let mut ciphers: Vec<[u8; 2]> = reorder(&list, fmt.cipher_order)
        .into_iter()
        .map(u16::to_be_bytes)
        .collect();
    if fmt.grease {
        ciphers.insert(0, grease(rng));
    }
    hello.extend(u16be(ciphers.len() * 2));
    hello.extend(ciphers.concat());
    hello.extend([1, 0]); // one compression method: null
    let ext = extensions(fmt, host, rng);
    hello.extend(u16be(ext.len()));
    hello.extend(ext);
    let mut handshake = vec![1u8, 0];
    handshake.extend(u16be(hello.len()));
    handshake.extend(hello);
    let mut record = vec![0x16];
    record.extend(record_version);
    record.extend(u16be(handshake.len()));
    record.extend(handshake);
    record
}

fn extensions(fmt: &Format, host: &str, rng: &mut impl RngCore) -> Vec<u8> {
    let mut e = Vec::new();
    if fmt.grease {
        e.extend(grease(rng));
        e.extend([0, 0]);
    }
    // server_name
    e.extend([0, 0]);
    e.extend(u16be(host.len() + 5));
    e.extend(u16be(host.len() + 3));
    e.push(0);
    e.extend(u16be(host.len()));
    e.extend(host.as_bytes());
    e.extend([0x00, 0x17, 0x00, 0x00]); // extended_master_secret
    e.extend([0x00, 0x01, 0x00, 0x01, 0x01]); // max_fragment_length
    e.extend([0xff, 0x01, 0x00, 0x01, 0x00]); // renegotiation_info
    e.extend([
        0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, 0x00, 0x19,
    ]);
    e.extend([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]); // ec_point_formats
    e.extend([0x00, 0x23, 0x00, 0x00]); // session_ticket
                                        // ALPN
    let names: &[&str] = if fmt.rare_alpn { &ALPN_RARE } else { &ALPN_ALL };
    let alpns: Vec<u8> = reorder(names, fmt.extension_order)
        .iter()
        .flat_map(|a| {
            let mut v = vec![a.len() as u8];
            v.extend(a.as_bytes());
            v
        })
        .collect();
    e.extend([0x00, 0x10]);
    e.extend(u16be(alpns.len() + 2));
    e.extend(u16be(alpns.len()));
    e.extend(alpns);
    e.extend([
        0x00, 0x0d, 0x00, 0x14, 0x00, 0x12, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08,
        0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01, 0x02, 0x01,
    ]); // signature_algorithms
        // key_share
    let mut share = Vec::new();
    if fmt.grease {
        share.extend(grease(rng));
        share.extend([0, 1, 0]);
    }
    share.extend([0x00, 0x1d, 0x00, 0x20]);
    let mut key = [0u8; 32];
    rng.fill_bytes(&mut key);
    share.extend(key);
    e.extend([0x00, 0x33]);
    e.extend(u16be(share.len() + 2));
    e.extend(u16be(share.len()));
    e.extend(share);
    e.extend([0x00, 0x2d, 0x00, 0x02, 0x01, 0x01]); // psk_key_exchange_modes
    if fmt.version == Version::Tls13 || fmt.support == Support::Tls12 {
        let versions: &[[u8; 2]] = if fmt.support == Support::Tls12 {
            &[[3, 1], [3, 2], [3, 3]]
        } else {
            &[[3, 1], [3, 2], [3, 3], [3, 4]]
        };
        let mut v = Vec::new();
        if fmt.grease {
            v.extend(grease(rng));
        }
        v.extend(reorder(versions, fmt.extension_order).concat());
        e.extend([0x00, 0x2b]);
        e.extend(u16be(v.len() + 1));
        e.push(v.len() as u8);
        e.extend(v);
    }
    e
}

/// The result string of one ServerHello: `cipher|version|alpn|ext-ext-…`, `|||` on failure.
pub fn parse_server_hello(hello: &[u8]) -> String {
    const FAILED: &str = "|||";
    let at = |i: usize| hello.get(i).copied();
    if hello.is_empty() || at(0) == Some(21) {
        return FAILED.into();
    }
    if !(at(0) == Some(22) && at(5) == Some(2)) {
        return FAILED.into();
    }
    let Some(counter) = at(43).map(usize::from) else {
        return FAILED.into();
    };
    let (Some(cipher), Some(version)) = (hello.get(counter + 44..counter + 46), hello.get(9..11))
    else {
        return FAILED.into();
    };
    format!(
        "{}|{}|{}",
        hex::encode(cipher),
        hex::encode(version),
        extension_info(hello, counter)
    )
}

fn extension_info(hello: &[u8], counter: usize) -> String {
    let get = |a: usize, b: usize| hello.get(a..b);
    if hello.get(counter + 47) == Some(&11)
        || get(counter + 50, counter + 53) == Some(&[0x0e, 0xac, 0x0b][..])
        || get(82, 85) == Some(&[0x0f, 0xf0, 0x0b][..])
    {
        return "|||".into();
    }
    let Some(len) =
        get(counter + 47, counter + 49).map(|b| usize::from(b[0]) << 8 | usize::from(b[1]))
    else {
        return "|".into();
    };
    let mut count = 49 + counter;
    let maximum = (len + count).saturating_sub(1);
    let mut types: Vec<&[u8]> = Vec::new();
    let mut values: Vec<&[u8]> = Vec::new();
    while count < maximum {
        let (Some(t), Some(l)) = (get(count, count + 2), get(count + 2, count + 4)) else {
            return "|".into();
        };
        types.push(t);
        let ext_len = usize::from(l[0]) << 8 | usize::from(l[1]);
        if ext_len == 0 {
            values.push(&[]);
            count += 4;
        } else {
            // Python slicing past the end yields a short slice rather than failing.
            let end = (count + 4 + ext_len).min(hello.len());
            values.push(hello.get(count + 4..end).unwrap_or(&[]));
            count += ext_len + 4;
        }
    }
    let alpn = types
        .iter()
        .position(|t| *t == [0x00, 0x10])
        .map(|i| String::from_utf8_lossy(values[i].get(3..).unwrap_or(&[])).into_owned())
        .unwrap_or_default();
    let exts: Vec<String> = types.iter().map(hex::encode).collect();
    format!("{alpn}|{}", exts.join("-"))
}

/// The JARM hash of ten result strings.
pub fn hash(results: &[String]) -> String {
    if results.iter().all(|r| r == "|||") {
        return "0".repeat(62);
    }
    let mut fuzzy = String::new();
    let mut alpns_and_ext = String::new();
    for r in results {
        let c: Vec<&str> = r.split('|').collect();
        let part = |i: usize| c.get(i).copied().unwrap_or("");
        let cipher = part(0);
        if cipher.is_empty() {
            fuzzy.push_str("00");
        } else {
            let idx = HASH_CIPHERS
                .iter()
                .position(|h| format!("{h:04x}") == cipher)
                .map(|i| i + 1)
                .unwrap_or(HASH_CIPHERS.len() + 1);
            fuzzy.push_str(&format!("{idx:02x}"));
        }
        let version = part(1);
        fuzzy.push(match version.as_bytes().get(3) {
            None => '0',
            Some(d) => b"abcdef"
                .get(usize::from(d.wrapping_sub(b'0')))
                .map(|c| *c as char)
                .unwrap_or('0'),
        });
        alpns_and_ext.push_str(part(2));
        alpns_and_ext.push_str(part(3));
    }
    let digest = hex::encode(Sha256::digest(alpns_and_ext.as_bytes()));
    fuzzy.push_str(&digest[..32]);
    fuzzy
}

/// Sends one hello and reads the answer (up to 1484 bytes, like the reference).
async fn probe(addr: SocketAddr, hello: Vec<u8>, timeout: Duration) -> Option<Vec<u8>> {
    let work = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        s.write_all(&hello).await.ok()?;
        let mut buf = vec![0u8; 1484];
        let mut n = 0;
        // Read until the first record is complete (or the buffer is full / the peer closes).
        while n < buf.len() {
            let k = s.read(&mut buf[n..]).await.ok()?;
            if k == 0 {
                break;
            }
            n += k;
            if n >= 5 {
                let need = 5 + (usize::from(buf[3]) << 8 | usize::from(buf[4]));
                if n >= need.min(buf.len()) {
                    break;
                }
            }
        }
        buf.truncate(n);
        Some(buf)
    };
    tokio::time::timeout(timeout, work).await.ok().flatten()
}

/// Runs the ten probes against `addr` with SNI `host` and returns the JARM hash.
pub async fn jarm(addr: SocketAddr, host: &str, timeout: Duration) -> String {
    let mut results = Vec::with_capacity(FORMATS.len());
    for fmt in &FORMATS {
        let hello = client_hello(fmt, host, &mut rand::thread_rng());
        let answer = probe(addr, hello, timeout).await;
        results.push(
            answer
                .map(|a| parse_server_hello(&a))
                .unwrap_or_else(|| "|||".into()),
        );
    }
    hash(&results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorders_like_jarm() {
        let l = [1, 2, 3, 4, 5];
        assert_eq!(reorder(&l, Order::BottomHalf), vec![4, 5]);
        assert_eq!(reorder(&l, Order::TopHalf), vec![3, 2, 1]);
        assert_eq!(reorder(&l, Order::MiddleOut), vec![3, 4, 2, 5, 1]);
        assert_eq!(reorder(&[1, 2, 3, 4], Order::MiddleOut), vec![3, 2, 4, 1]);
    }

    #[test]
    fn failure_hash_is_zeros() {
        let r = vec!["|||".to_string(); 10];
        assert_eq!(hash(&r), "0".repeat(62));
    }

    #[test]
    fn hello_is_well_formed() {
        let h = client_hello(&FORMATS[9], "example.test", &mut rand::thread_rng());
        assert_eq!(h[0], 0x16);
        assert_eq!(usize::from(h[3]) << 8 | usize::from(h[4]), h.len() - 5);
        assert_eq!(h[5], 1);
    }
}
