//! iptoasn-style range tables: `start,end,asn,org` CSV (ip-location-db `asn-ipv4.csv`,
//! `asn-ipv6.csv`, and the `-num` variants with integer bounds) and `start<TAB>end<TAB>asn
//! <TAB>country<TAB>description` TSV (iptoasn.com). Held as sorted ranges; lookups are a
//! binary search.

use std::collections::HashMap;
use std::io::BufRead;
use std::net::IpAddr;

/// One range's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    start: u128,
    end: u128,
    asn: u32,
    org: u32,
    country: u32,
}

/// An ASN range table (IPv4 ranges are stored as IPv4-mapped values in their own list).
#[derive(Debug, Default)]
pub struct RangeTable {
    v4: Vec<Entry>,
    v6: Vec<Entry>,
    strings: Vec<String>,
    index: HashMap<String, u32>,
}

/// What a range table says about an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeHit {
    /// Autonomous system number.
    pub asn: u32,
    /// AS organisation / description (may be empty).
    pub org: String,
    /// Country code from the table (iptoasn TSV only; may be empty).
    pub country: String,
    /// The largest CIDR block inside the range that contains the address.
    pub netblock: String,
}

fn parse_bound(s: &str) -> Option<(u128, bool)> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(match ip {
            IpAddr::V4(a) => (u128::from(u32::from(a)), true),
            IpAddr::V6(a) => (u128::from(a), false),
        });
    }
    let n: u128 = s.parse().ok()?;
    Some((n, n <= u128::from(u32::MAX)))
}

/// Splits a CSV line with optional double-quoted fields (`""` escapes a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

impl RangeTable {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    /// Adds the rows of one file; returns (rows read, rows skipped as malformed or ASN 0).
    pub fn load(&mut self, reader: impl BufRead) -> std::io::Result<(u64, u64)> {
        let (mut read, mut skipped) = (0u64, 0u64);
        for line in reader.lines() {
            let line = line?;
            let t = line.trim_end_matches('\r');
            if t.trim().is_empty() || t.starts_with('#') {
                continue;
            }
            read += 1;
            let f: Vec<String> = if t.contains('\t') {
                t.split('\t').map(str::to_string).collect()
            } else {
                csv_fields(t)
            };
            let tsv = t.contains('\t');
            let parsed = (|| {
                let (start, v4) = parse_bound(f.first()?)?;
                let (end, _) = parse_bound(f.get(1)?)?;
                let asn: u32 = f.get(2)?.trim().trim_start_matches("AS").parse().ok()?;
                let (country, org) = if tsv {
                    (
                        f.get(3).cloned().unwrap_or_default(),
                        f.get(4).cloned().unwrap_or_default(),
                    )
                } else {
                    (String::new(), f.get(3).cloned().unwrap_or_default())
                };
                (asn != 0 && start <= end).then_some((start, end, v4, asn, country, org))
            })();
            match parsed {
                Some((start, end, v4, asn, country, org)) => {
                    let country = if country == "None" {
                        String::new()
                    } else {
                        country
                    };
                    let e = Entry {
                        start,
                        end,
                        asn,
                        org: self.intern(org.trim()),
                        country: self.intern(country.trim()),
                    };
                    if v4 {
                        self.v4.push(e);
                    } else {
                        self.v6.push(e);
                    }
                }
                None => skipped += 1,
            }
        }
        Ok((read, skipped))
    }

    /// Sorts the ranges; call once after loading.
    pub fn finish(&mut self) {
        self.v4.sort_unstable_by_key(|e| e.start);
        self.v6.sort_unstable_by_key(|e| e.start);
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Looks an address up.
    pub fn lookup(&self, ip: IpAddr) -> Option<RangeHit> {
        let (list, x, bits) = match ip {
            IpAddr::V4(a) => (&self.v4, u128::from(u32::from(a)), 32u32),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => (&self.v4, u128::from(u32::from(v4)), 32),
                None => (&self.v6, u128::from(a), 128),
            },
        };
        let i = list.partition_point(|e| e.start <= x).checked_sub(1)?;
        let e = list[i];
        if x > e.end {
            return None;
        }
        Some(RangeHit {
            asn: e.asn,
            org: self.strings[e.org as usize].clone(),
            country: self.strings[e.country as usize].clone(),
            netblock: block(x, e.start, e.end, bits, ip.is_ipv4() || bits == 32),
        })
    }
}

/// The largest aligned block containing `x` that lies inside `start..=end`.
fn block(x: u128, start: u128, end: u128, bits: u32, v4: bool) -> String {
    let mut prefix = bits;
    for p in 0..=bits {
        let host_bits = bits - p;
        let mask: u128 = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let net = x & !mask;
        if net >= start && (net | mask) <= end {
            prefix = p;
            break;
        }
    }
    let host_bits = bits - prefix;
    let mask: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let net = x & !mask;
    if v4 {
        format!("{}/{prefix}", std::net::Ipv4Addr::from(net as u32))
    } else {
        format!("{}/{prefix}", std::net::Ipv6Addr::from(net))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_tsv_and_blocks() {
        let mut t = RangeTable::default();
        let csv = "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n16777472,16778239,64500,Example\n2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64501,DOC\nbad,line\n";
        assert_eq!(t.load(csv.as_bytes()).unwrap(), (4, 1));
        let tsv = "192.0.2.0\t192.0.2.127\t64502\tUS\tEXAMPLE-AS Example Hosting\n203.0.113.0\t203.0.113.255\t0\tNone\tNot routed\n";
        assert_eq!(t.load(tsv.as_bytes()).unwrap(), (2, 1));
        t.finish();
        let h = t.lookup("1.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(
            (h.asn, h.org.as_str(), h.netblock.as_str()),
            (13335, "Cloudflare, Inc.", "1.0.0.0/24")
        );
        // 1.0.1.0 - 1.0.3.255: the block around 1.0.2.9 is 1.0.2.0/23.
        assert_eq!(
            t.lookup("1.0.2.9".parse().unwrap()).unwrap().netblock,
            "1.0.2.0/23"
        );
        assert_eq!(
            t.lookup("1.0.1.9".parse().unwrap()).unwrap().netblock,
            "1.0.1.0/24"
        );
        let h = t.lookup("192.0.2.5".parse().unwrap()).unwrap();
        assert_eq!(
            (h.country.as_str(), h.netblock.as_str()),
            ("US", "192.0.2.0/25")
        );
        assert!(t.lookup("192.0.2.200".parse().unwrap()).is_none());
        assert!(t.lookup("203.0.113.1".parse().unwrap()).is_none());
        assert_eq!(
            t.lookup("2001:db8::1".parse().unwrap()).unwrap().netblock,
            "2001:db8::/32"
        );
        assert!(t.lookup("::ffff:1.0.0.1".parse().unwrap()).is_some());
    }
}
