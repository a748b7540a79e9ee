//! Active collectors. Every collector that opens an outbound connection asks the one
//! [`policy::NetPolicy`] first — after DNS resolution and again on every redirect — so private,
//! loopback, link-local, multicast and other special-purpose targets are refused unless the
//! operator allowed them explicitly (`--allow-net CIDR`).
//!
//! Collectors: [`scan`] (TCP connect scan, banners, services, TLS certificates), [`whois`]
//! (port 43 with referrals) and [`rdap`] (bootstrap + RDAP JSON).

pub mod crawl;
pub mod dnstap;
pub mod jarm;
pub mod policy;
pub mod rdap;
pub mod scan;
pub mod whois;

pub use policy::{Cidr, NetPolicy, PolicyError};
