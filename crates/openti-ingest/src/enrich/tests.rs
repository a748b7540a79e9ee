//! Enrichment against the real ip-location-db data (`scripts/fetch-test-data.sh`). Without the
//! data the tests are skipped, except under `CI=true`, where missing data fails them.

use super::*;
use std::path::PathBuf;
use std::time::Instant;

/// `data/cache/ip-location-db` (or `$OPENTI_DATA_CACHE/ip-location-db`), if fetched.
pub fn data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("OPENTI_DATA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cache"));
    let dir = base.join("ip-location-db");
    if dir.join("asn/asn-ipv4.csv").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "enrichment data missing under CI: run scripts/fetch-test-data.sh"
    );
    eprintln!("skipping: run scripts/fetch-test-data.sh for the enrichment data");
    None
}

fn enricher(dir: &Path) -> Enricher {
    let mut e = Enricher::default();
    e.add_asn_db(&dir.join("asn/asn-ipv4.csv")).unwrap();
    e.add_asn_db(&dir.join("asn/asn-ipv6.csv")).unwrap();
    e.set_geo_db(&dir.join("geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"))
        .unwrap();
    e
}

#[test]
fn real_data_lookups() {
    let Some(dir) = data_dir() else { return };
    let t0 = Instant::now();
    let e = enricher(&dir);
    eprintln!("loaded ASN ranges + MMDB in {:.2?}", t0.elapsed());
    let i = e.lookup("1.1.1.1".parse().unwrap());
    assert_eq!(i.asn, Some(13335));
    assert_eq!(i.as_organization.as_deref(), Some("Cloudflare, Inc."));
    assert_eq!(i.hosting_provider.as_deref(), Some("Cloudflare, Inc."));
    assert_eq!(i.netblock.as_deref(), Some("1.1.1.0/24"));
    assert_eq!(i.country.as_deref(), Some("AU"));
    let i = e.lookup("8.8.8.8".parse().unwrap());
    assert_eq!((i.asn, i.country.as_deref()), (Some(15169), Some("US")));
    assert_eq!(i.netblock.as_deref(), Some("8.8.8.0/24"));
    let i = e.lookup("2001:4860:4860::8888".parse().unwrap());
    assert_eq!((i.asn, i.country.as_deref()), (Some(15169), Some("US")));
    assert!(e.lookup("192.0.2.1".parse().unwrap()).asn.is_none());

    // Country alone from the MMDB gives its prefix as the netblock.
    let mut geo = Enricher::default();
    geo.set_geo_db(&dir.join("geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"))
        .unwrap();
    let i = geo.lookup("8.8.8.8".parse().unwrap());
    assert_eq!(i.country.as_deref(), Some("US"));
    let nb = i.netblock.unwrap();
    assert!(nb.starts_with("8.8.") && nb.ends_with("/15"), "{nb}");

    // Throughput over a deterministic spread of IPv4 addresses.
    let n = 200_000u32;
    let t = Instant::now();
    let mut found = 0;
    for k in 0..n {
        let ip = IpAddr::V4(std::net::Ipv4Addr::from(k.wrapping_mul(2_654_435_761)));
        if e.lookup(ip).asn.is_some() {
            found += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "enrichment: {n} lookups (ASN ranges + country MMDB) in {secs:.3}s = {:.0} lookups/s, {found} with an ASN",
        f64::from(n) / secs
    );
    assert!(found > n / 4);
}
