//! Capture tests on byte-exact captures: every link type, IPv4/IPv6, pcap/pcapng in both byte
//! orders, UDP and reassembled TCP, truncation.

use std::net::{IpAddr, Ipv4Addr};

use chrono::DateTime;
use openti_model::Observation;

use super::write::*;
use super::*;
use crate::dns::build::{MessageBuilder, RESPONSE_FLAGS};
use crate::dns::rdata::RData;
use crate::dns::wire::rtype;
use crate::dns::{DnsRecords, DnsStats, DriverOptions};

const T0: u64 = 1_700_000_000;

fn response(name: &str, last: u8) -> Vec<u8> {
    let mut b = MessageBuilder::new(9, RESPONSE_FLAGS);
    b.question(name, rtype::A).answer(
        name,
        rtype::A,
        60,
        &RData::A(Ipv4Addr::new(192, 0, 2, last)),
    );
    b.finish()
}

fn server() -> IpAddr {
    "192.0.2.53".parse().unwrap()
}
fn client() -> IpAddr {
    "198.51.100.7".parse().unwrap()
}
fn server6() -> IpAddr {
    "2001:db8::53".parse().unwrap()
}
fn client6() -> IpAddr {
    "2001:db8::7".parse().unwrap()
}

fn run(bytes: &[u8]) -> (Vec<(String, String, u64)>, DnsStats, PcapStats) {
    let src = PcapFile::new(bytes, vec![53], DateTime::from_timestamp(0, 0).unwrap()).unwrap();
    let mut it = DnsRecords::new(src, DriverOptions::default());
    let mut facts = Vec::new();
    for r in &mut it {
        if let Some(Ok(obs)) = r.unwrap().outcome {
            for o in obs {
                if let Observation::Dns {
                    name, value, seen, ..
                } = o
                {
                    facts.push((name, value, seen.count.unwrap_or(1)));
                }
            }
        }
    }
    (facts, it.stats().clone(), it.source().stats())
}

fn udp_packets(link: Link, v6: bool) -> Vec<Vec<u8>> {
    let (s, c) = if v6 {
        (server6(), client6())
    } else {
        (server(), client())
    };
    let query = {
        let mut b = MessageBuilder::new(9, 0x0100);
        b.question("q.example.test", rtype::A);
        b.finish()
    };
    vec![
        link.frame(&ip_packet(c, s, 17, &udp(40000, 53, &query))),
        link.frame(&ip_packet(
            s,
            c,
            17,
            &udp(53, 40000, &response("www.example.test", 1)),
        )),
        link.frame(&ip_packet(
            s,
            c,
            17,
            &udp(53, 40001, &response("www.example.test", 1)),
        )),
        link.frame(&ip_packet(
            s,
            c,
            17,
            &udp(5353, 5353, &response("m.local", 2)),
        )),
        link.frame(&ip_packet(
            s,
            c,
            17,
            &udp(53, 40002, &response("api.example.test", 3)),
        )),
    ]
}

fn check_udp(bytes: &[u8]) {
    let (facts, stats, ps) = run(bytes);
    assert_eq!(
        facts,
        vec![
            ("www.example.test".into(), "192.0.2.1".into(), 2),
            ("api.example.test".into(), "192.0.2.3".into(), 1)
        ],
        "{ps:?}"
    );
    assert_eq!(stats.queries, 1);
    assert_eq!(ps.not_dns, 1);
    assert_eq!(ps.udp_messages, 4);
}

#[test]
fn every_link_type_in_pcap_and_pcapng() {
    let links = [
        Link::Ethernet { vlan: false },
        Link::Ethernet { vlan: true },
        Link::Sll,
        Link::Sll2,
        Link::Raw,
        Link::Null,
    ];
    for link in links {
        for v6 in [false, true] {
            let pkts = udp_packets(link, v6);
            let us: Vec<(u64, Vec<u8>)> = pkts
                .iter()
                .enumerate()
                .map(|(i, p)| ((T0 + i as u64) * 1_000_000, p.clone()))
                .collect();
            check_udp(&pcap(link.linktype(), &us));
            for (big, nanos) in [(false, false), (true, true), (false, true)] {
                let ns: Vec<(u64, Vec<u8>)> =
                    us.iter().map(|(t, p)| (t * 1000 + 7, p.clone())).collect();
                check_udp(&pcapng(link.linktype(), big, nanos, &ns));
            }
        }
    }
}

#[test]
fn pcapng_times_respect_resolution() {
    let pkts = udp_packets(Link::Raw, false);
    let ns: Vec<(u64, Vec<u8>)> = vec![(T0 * 1_000_000_000 + 123_456_789, pkts[1].clone())];
    for nanos in [false, true] {
        let bytes = pcapng(LINKTYPE_RAW, false, nanos, &ns);
        let src = PcapFile::new(
            &bytes[..],
            vec![53],
            DateTime::from_timestamp(0, 0).unwrap(),
        )
        .unwrap();
        let mut it = DnsRecords::new(src, DriverOptions::default());
        let obs: Vec<Observation> = (&mut it)
            .filter_map(|r| match r.unwrap().outcome {
                Some(Ok(o)) => Some(o),
                _ => None,
            })
            .flatten()
            .collect();
        let Observation::Dns { seen, .. } = &obs[0] else {
            panic!()
        };
        let want = if nanos { 123_456_789 } else { 123_456_000 };
        assert_eq!(seen.first_seen.unwrap().timestamp(), T0 as i64);
        assert_eq!(seen.first_seen.unwrap().timestamp_subsec_nanos(), want);
    }
}

use super::layers::{LINKTYPE_ETHERNET, LINKTYPE_RAW};

fn tcp_stream(v6: bool) -> Vec<Vec<u8>> {
    let (s, c) = if v6 {
        (server6(), client6())
    } else {
        (server(), client())
    };
    let mut stream = Vec::new();
    for (n, last) in [("tcp1.example.test", 10u8), ("tcp2.example.test", 11)] {
        let m = response(n, last);
        stream.extend_from_slice(&(m.len() as u16).to_be_bytes());
        stream.extend_from_slice(&m);
    }
    let isn = 0xFFFF_FFF0u32; // wraps inside the stream
    let cut1 = 7;
    let cut2 = 40;
    let seg = |from: usize, to: usize, flags: u8| {
        Link::Ethernet { vlan: false }.frame(&ip_packet(
            s,
            c,
            6,
            &tcp(
                53,
                41000,
                isn.wrapping_add(1).wrapping_add(from as u32),
                flags,
                &stream[from..to],
            ),
        ))
    };
    vec![
        Link::Ethernet { vlan: false }.frame(&ip_packet(s, c, 6, &tcp(53, 41000, isn, 0x12, &[]))),
        seg(cut2, stream.len(), 0x18), // early
        seg(0, cut1, 0x18),
        seg(0, cut1, 0x18),        // retransmission
        seg(cut1, cut2 + 5, 0x18), // overlaps the early one
        // a client → server segment: ignored
        Link::Ethernet { vlan: false }.frame(&ip_packet(
            c,
            s,
            6,
            &tcp(41000, 53, 1, 0x18, &[0, 1]),
        )),
        seg(stream.len(), stream.len(), 0x11),
    ]
}

#[test]
fn tcp_is_reassembled_in_order() {
    for v6 in [false, true] {
        let pkts: Vec<(u64, Vec<u8>)> = tcp_stream(v6)
            .into_iter()
            .enumerate()
            .map(|(i, p)| ((T0 + i as u64) * 1_000_000, p))
            .collect();
        let (facts, stats, ps) = run(&pcap(LINKTYPE_ETHERNET, &pkts));
        assert_eq!(
            facts,
            vec![
                ("tcp1.example.test".into(), "192.0.2.10".into(), 1),
                ("tcp2.example.test".into(), "192.0.2.11".into(), 1)
            ],
            "{ps:?}"
        );
        assert_eq!(stats.malformed_messages, 0);
        assert_eq!(ps.tcp.messages, 2);
        assert!(
            ps.tcp.out_of_order >= 1 && ps.tcp.retransmitted >= 1,
            "{:?}",
            ps.tcp
        );
        assert_eq!(ps.not_dns, 1);
    }
}

#[test]
fn truncated_and_garbage_packets_are_counted_not_fatal() {
    let mut pkts = udp_packets(Link::Ethernet { vlan: false }, false);
    let mut cut = pkts[1].clone();
    cut.truncate(30); // inside the IP header
    let mut snapped = pkts[4].clone();
    snapped.truncate(snapped.len() - 3); // IP says longer than captured
    pkts.insert(2, cut);
    pkts.insert(3, snapped);
    pkts.insert(4, vec![0xFF; 5]);
    pkts.push(Link::Ethernet { vlan: false }.frame(&[0x45, 0, 0, 10])); // IPv4 header cut short
    let us: Vec<(u64, Vec<u8>)> = pkts.into_iter().map(|p| (T0 * 1_000_000, p)).collect();
    let mut bytes = pcap(LINKTYPE_ETHERNET, &us);
    bytes.extend_from_slice(&[1, 2, 3]); // the file ends inside a record header
    let (facts, stats, ps) = run(&bytes);
    assert_eq!(facts.len(), 2);
    assert_eq!(ps.truncated, 4, "{ps:?}");
    assert!(ps.format_error.is_some());
    assert_eq!(stats.bad_units, 5);
}

#[test]
fn not_a_capture_is_refused() {
    assert!(PcapFile::new(
        &b"hello world, not a pcap"[..],
        vec![53],
        DateTime::from_timestamp(0, 0).unwrap()
    )
    .is_err());
    assert!(PcapFile::new(&b""[..], vec![53], DateTime::from_timestamp(0, 0).unwrap()).is_err());
}
