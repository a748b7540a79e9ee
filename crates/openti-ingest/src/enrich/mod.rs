//! IP enrichment: ASN, AS organisation, netblock, country and hosting provider for an IP
//! address, from MaxMind-format `.mmdb` files (GeoLite2/GeoIP2 layouts and the ip-location-db
//! layout `{"country_code": …}`) and iptoasn-style range tables ([`ranges`]).
//!
//! The hosting provider is the organisation that announces the address (the AS organisation):
//! no open data set names hosting companies separately.

pub mod ranges;

use std::net::IpAddr;
use std::path::Path;

use chrono::{DateTime, Utc};
use maxminddb::Reader;
use openti_model::observation::Seen;
use openti_model::Observation;
use serde::Deserialize;

pub use ranges::{RangeHit, RangeTable};

/// Errors opening a database.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// The file could not be read.
    #[error("reading {path}: {message}")]
    Open {
        /// File.
        path: String,
        /// Why.
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
struct IsoCountry {
    iso_code: Option<String>,
}

/// The fields of the record layouts we understand (unknown fields are ignored).
#[derive(Debug, Default, Deserialize)]
struct MmdbRecord {
    country_code: Option<String>,
    country: Option<IsoCountry>,
    registered_country: Option<IsoCountry>,
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
    asn: Option<u32>,
    as_name: Option<String>,
    as_org: Option<String>,
}

/// What is known about one address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpInfo {
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// AS name.
    pub as_name: Option<String>,
    /// AS organisation.
    pub as_organization: Option<String>,
    /// Enclosing prefix.
    pub netblock: Option<String>,
    /// ISO country code.
    pub country: Option<String>,
    /// Hosting provider (the AS organisation).
    pub hosting_provider: Option<String>,
}

impl IpInfo {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        *self == IpInfo::default()
    }
}

/// The databases used for enrichment.
#[derive(Default)]
pub struct Enricher {
    ranges: Option<RangeTable>,
    asn_mmdb: Option<Reader<Vec<u8>>>,
    geo_mmdb: Option<Reader<Vec<u8>>>,
}

fn open_mmdb(path: &Path) -> Result<Reader<Vec<u8>>, EnrichError> {
    Reader::open_readfile(path).map_err(|e| EnrichError::Open {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

impl Enricher {
    /// Adds an ASN source: a `.mmdb` file, or a CSV/TSV range table (may be called for both
    /// the IPv4 and the IPv6 file).
    pub fn add_asn_db(&mut self, path: &Path) -> Result<(), EnrichError> {
        if path.extension().is_some_and(|e| e == "mmdb") {
            self.asn_mmdb = Some(open_mmdb(path)?);
            return Ok(());
        }
        let err = |e: std::io::Error| EnrichError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(err)?;
        let table = self.ranges.get_or_insert_with(RangeTable::default);
        table.load(std::io::BufReader::new(file)).map_err(err)?;
        table.finish();
        Ok(())
    }

    /// Sets the country source (`.mmdb`).
    pub fn set_geo_db(&mut self, path: &Path) -> Result<(), EnrichError> {
        self.geo_mmdb = Some(open_mmdb(path)?);
        Ok(())
    }

    /// Whether any database is loaded.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_none() && self.asn_mmdb.is_none() && self.geo_mmdb.is_none()
    }

    /// Looks one address up in every database.
    pub fn lookup(&self, ip: IpAddr) -> IpInfo {
        let mut info = IpInfo::default();
        if let Some(t) = &self.ranges {
            if let Some(h) = t.lookup(ip) {
                info.asn = Some(h.asn);
                info.as_organization = (!h.org.is_empty()).then(|| h.org.clone());
                info.netblock = Some(h.netblock);
                info.country = (!h.country.is_empty()).then_some(h.country);
            }
        }
        for reader in [&self.asn_mmdb, &self.geo_mmdb].into_iter().flatten() {
            let Ok((Some(rec), prefix)) = reader.lookup_prefix::<MmdbRecord>(ip) else {
                continue;
            };
            let asn = rec.autonomous_system_number.or(rec.asn);
            if info.asn.is_none() && asn.is_some() {
                info.asn = asn;
                info.as_organization = rec.autonomous_system_organization.clone().or(rec.as_org);
                info.as_name = rec.as_name;
            }
            let country = rec
                .country_code
                .or_else(|| rec.country.and_then(|c| c.iso_code))
                .or_else(|| rec.registered_country.and_then(|c| c.iso_code));
            if let Some(c) = country {
                info.country = Some(c);
            }
            if info.netblock.is_none() {
                info.netblock = Some(network(ip, prefix));
            }
        }
        if info.as_name.is_none() {
            info.as_name = info.asn.map(|a| format!("AS{a}"));
        }
        info.hosting_provider = info.as_organization.clone();
        info
    }

    /// An `ip` observation for the address, or `None` when no database knows it.
    pub fn observation(&self, ip: IpAddr, time: DateTime<Utc>) -> Option<Observation> {
        let i = self.lookup(ip);
        if i.asn.is_none() && i.country.is_none() && i.netblock.is_none() {
            return None;
        }
        Some(Observation::Ip {
            ip: ip.to_string(),
            asn: i.asn,
            as_name: i.as_name,
            as_organization: i.as_organization,
            netblock: i.netblock,
            country: i.country,
            hosting_provider: i.hosting_provider,
            seen: Seen {
                time: Some(time),
                ..Seen::default()
            },
        })
    }
}

/// `ip/prefix` with host bits cleared (IPv4 prefixes reported in the IPv6 tree are mapped).
fn network(ip: IpAddr, prefix: usize) -> String {
    match ip {
        IpAddr::V4(a) => {
            let p = if prefix > 32 {
                prefix.saturating_sub(96)
            } else {
                prefix
            } as u32;
            let mask = if p == 0 {
                0
            } else {
                u32::MAX << (32 - p.min(32))
            };
            format!("{}/{p}", std::net::Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let p = prefix.min(128) as u32;
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            format!("{}/{p}", std::net::Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

#[cfg(test)]
mod tests;
