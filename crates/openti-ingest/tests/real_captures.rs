//! Real captures: the BSD-licensed DNS and Ethernet captures from Debian's
//! golang-github-google-gopacket-dev (fetched by scripts/fetch-dns-test-data.sh into
//! data/cache/gopacket/), and the pcapng test suite shipped with them.

use std::path::PathBuf;

use chrono::DateTime;
use openti_ingest::dns::{DnsRecords, DnsStats, DriverOptions};
use openti_ingest::pcap::{PcapFile, PcapStats};
use openti_model::Observation;

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("OPENTI_DATA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/cache"))
        .join("gopacket");
    if dir.join("test_dns.pcap").exists() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing: scripts/test runs scripts/fetch-dns-test-data.sh",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: {} missing; run scripts/fetch-dns-test-data.sh",
        dir.display()
    );
    None
}

type Facts = Vec<(String, String, String, u64)>;

fn import(path: &PathBuf) -> Result<(Facts, DnsStats, PcapStats), String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let src = PcapFile::new(
        std::io::BufReader::new(f),
        vec![53],
        DateTime::from_timestamp(0, 0).unwrap(),
    )
    .map_err(|e| e.to_string())?;
    let mut it = DnsRecords::new(src, DriverOptions::default());
    let mut facts = Vec::new();
    for r in &mut it {
        if let Some(Ok(obs)) = r.map_err(|e| e.to_string())?.outcome {
            for o in obs {
                if let Observation::Dns {
                    name,
                    record_type,
                    value,
                    seen,
                    ..
                } = o
                {
                    facts.push((name, record_type, value, seen.count.unwrap_or(1)));
                }
            }
        }
    }
    Ok((facts, it.stats().clone(), it.source().stats()))
}

#[test]
fn gopacket_dns_capture() {
    let Some(dir) = data_dir() else { return };
    let path = dir.join("test_dns.pcap");
    let (facts, stats, ps) = import(&path).unwrap();
    // the capture holds ten queries (no responses): all parse, none is a fact
    assert_eq!(
        (ps.packets, ps.udp_messages, ps.truncated),
        (10, 10, 0),
        "{ps:?}"
    );
    assert_eq!(
        (stats.messages, stats.queries, stats.malformed_messages),
        (10, 10, 0)
    );
    assert!(facts.is_empty());
    // and the question names decode
    use openti_ingest::dns::MessageSource;
    let f = std::fs::File::open(&path).unwrap();
    let mut src = PcapFile::new(f, vec![53], DateTime::from_timestamp(0, 0).unwrap()).unwrap();
    let mut names = Vec::new();
    while let Some(u) = src.next_unit(&mut |_, wire| {
        let m = openti_ingest::dns::parse(wire).unwrap();
        names.extend(m.questions.into_iter().map(|q| (q.name, q.qtype)));
    }) {
        u.unwrap();
    }
    assert_eq!(names.len(), 10);
    assert_eq!(names[0], ("picslife.ru".to_string(), 1));
    assert!(names.contains(&("mail.guru-net.com".to_string(), 28)));
    assert!(
        names
            .iter()
            .all(|(n, _)| n.contains('.') && !n.contains('\\')),
        "{names:?}"
    );
}

#[test]
fn gopacket_other_captures_and_pcapng_suite_never_fail() {
    let Some(dir) = data_dir() else { return };
    for name in ["test_ethernet.pcap", "test_loopback.pcap"] {
        let (facts, stats, ps) = import(&dir.join(name)).unwrap();
        assert!(
            ps.packets > 0 && ps.format_error.is_none(),
            "{name}: {ps:?}"
        );
        assert_eq!(stats.bad_units, 0, "{name}");
        assert!(facts.is_empty());
    }
    for sub in ["pcapng", "pcapng-be"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            // every file of the generator's suite reads to its end without a framing error
            let (_, _, ps) = import(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(ps.format_error.is_none(), "{}: {ps:?}", f.display());
            assert_eq!(ps.format, "pcapng");
        }
    }
}
