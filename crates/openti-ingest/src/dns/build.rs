//! A DNS message writer (with name compression) for tests, benchmarks and fuzz seeds.
//!
//! Names are plain dotted names (no escapes); `.` or `""` is the root.

use std::collections::HashMap;

use super::rdata::RData;
use super::wire::rtype;

/// Builds one message.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    buf: Vec<u8>,
    names: HashMap<String, u16>,
    counts: [u16; 4],
}

/// Header flags of a NOERROR response to a recursive query (QR, RD, RA).
pub const RESPONSE_FLAGS: u16 = 0x8180;

impl MessageBuilder {
    /// A message with this id and flags (see [`RESPONSE_FLAGS`]).
    pub fn new(id: u16, flags: u16) -> Self {
        let mut buf = Vec::with_capacity(512);
        buf.extend_from_slice(&id.to_be_bytes());
        buf.extend_from_slice(&flags.to_be_bytes());
        buf.extend_from_slice(&[0; 8]);
        MessageBuilder {
            buf,
            names: HashMap::new(),
            counts: [0; 4],
        }
    }

    /// Writes a name, compressing against names written before when `compress` is set.
    pub fn name(&mut self, name: &str, compress: bool) {
        let name = name.trim_end_matches('.');
        let labels: Vec<&str> = if name.is_empty() {
            Vec::new()
        } else {
            name.split('.').collect()
        };
        for i in 0..labels.len() {
            let suffix = labels[i..].join(".").to_ascii_lowercase();
            if compress {
                if let Some(&off) = self.names.get(&suffix) {
                    self.buf.extend_from_slice(&(0xC000 | off).to_be_bytes());
                    return;
                }
            }
            if self.buf.len() < 0x3FFF {
                self.names.entry(suffix).or_insert(self.buf.len() as u16);
            }
            let l = labels[i].as_bytes();
            let l = &l[..l.len().min(63)];
            self.buf.push(l.len() as u8);
            self.buf.extend_from_slice(l);
        }
        self.buf.push(0);
    }

    /// Adds a question.
    pub fn question(&mut self, name: &str, qtype: u16) -> &mut Self {
        self.name(name, true);
        self.buf.extend_from_slice(&qtype.to_be_bytes());
        self.buf.extend_from_slice(&1u16.to_be_bytes());
        self.counts[0] += 1;
        self
    }

    /// Adds an answer of class IN.
    pub fn answer(&mut self, name: &str, rt: u16, ttl: u32, data: &RData) -> &mut Self {
        self.rr(name, rt, 1, ttl, data);
        self.counts[1] += 1;
        self
    }

    /// Adds an answer with raw record data (for malformed-input tests).
    pub fn answer_raw(&mut self, name: &str, rt: u16, rdata: &[u8]) -> &mut Self {
        self.name(name, true);
        self.buf.extend_from_slice(&rt.to_be_bytes());
        self.buf.extend_from_slice(&1u16.to_be_bytes());
        self.buf.extend_from_slice(&300u32.to_be_bytes());
        self.buf
            .extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(rdata);
        self.counts[1] += 1;
        self
    }

    fn rr(&mut self, name: &str, rt: u16, class: u16, ttl: u32, data: &RData) {
        self.name(name, true);
        self.buf.extend_from_slice(&rt.to_be_bytes());
        self.buf.extend_from_slice(&class.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        match data {
            RData::A(ip) => self.buf.extend_from_slice(&ip.octets()),
            RData::Aaaa(ip) => self.buf.extend_from_slice(&ip.octets()),
            RData::Name(n) => self.name(n, rt != rtype::DNAME),
            RData::Mx {
                preference,
                exchange,
            } => {
                self.buf.extend_from_slice(&preference.to_be_bytes());
                self.name(exchange, true);
            }
            RData::Txt(strings) => {
                for s in strings {
                    let s = &s[..s.len().min(255)];
                    self.buf.push(s.len() as u8);
                    self.buf.extend_from_slice(s);
                }
            }
            RData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => {
                self.name(mname, true);
                self.name(rname, true);
                for v in [serial, refresh, retry, expire, minimum] {
                    self.buf.extend_from_slice(&v.to_be_bytes());
                }
            }
            RData::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                for v in [priority, weight, port] {
                    self.buf.extend_from_slice(&v.to_be_bytes());
                }
                self.name(target, false);
            }
            RData::Caa { flags, tag, value } => {
                self.buf.push(*flags);
                self.buf.push(tag.len() as u8);
                self.buf.extend_from_slice(tag.as_bytes());
                self.buf.extend_from_slice(value);
            }
            RData::Svcb {
                priority,
                target,
                params,
            } => {
                self.buf.extend_from_slice(&priority.to_be_bytes());
                self.name(target, false);
                for (k, v) in params {
                    self.buf.extend_from_slice(&k.to_be_bytes());
                    self.buf.extend_from_slice(&(v.len() as u16).to_be_bytes());
                    self.buf.extend_from_slice(v);
                }
            }
            RData::Other(b) => self.buf.extend_from_slice(b),
        }
        let len = (self.buf.len() - len_at - 2) as u16;
        self.buf[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
    }

    /// The finished message.
    pub fn finish(&self) -> Vec<u8> {
        let mut out = self.buf.clone();
        for (i, c) in self.counts.iter().enumerate() {
            out[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
        }
        out
    }
}
