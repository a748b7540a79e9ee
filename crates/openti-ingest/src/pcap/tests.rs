//! Capture tests on byte-exact captures: every link type, IPv4/IPv6, pcap/pcapng in both byte
//! orders, UDP and reassembled TCP, truncation, IP fragment reassembly.

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

// ---- IP fragment reassembly ----

use super::defrag::{DefragStats, Defragmenter, FragKey, Fragment, MAX_PENDING};

/// A response with `n` A answers (192.0.2.1…): larger than one fragment.
fn big_response(n: u8) -> Vec<u8> {
    let mut b = MessageBuilder::new(7, RESPONSE_FLAGS);
    b.question("big.example.test", rtype::A);
    for i in 1..=n {
        b.answer(
            "big.example.test",
            rtype::A,
            60,
            &RData::A(Ipv4Addr::new(192, 0, 2, i)),
        );
    }
    b.finish()
}

/// `(time µs, frame)` pairs, one second apart.
fn timed(frames: Vec<Vec<u8>>) -> Vec<(u64, Vec<u8>)> {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, p)| ((T0 + i as u64) * 1_000_000, p))
        .collect()
}

fn eth(ip: &[u8]) -> Vec<u8> {
    Link::Ethernet { vlan: false }.frame(ip)
}

fn sorted(mut f: Vec<(String, String, u64)>) -> Vec<(String, String, u64)> {
    f.sort();
    f
}

/// The IPv6 transport of the tests: a Destination Options header (in the fragmentable part,
/// so only visible after reassembly) before UDP.
fn dstopts_udp(msg: &[u8]) -> Vec<u8> {
    let mut t = vec![17, 0, 1, 4, 0, 0, 0, 0]; // next UDP, 8 octets, PadN
    t.extend_from_slice(&udp(53, 40000, msg));
    t
}

/// The big response whole and in three fragments (v4: UDP; v6: destination options + UDP).
fn big_datagram(v6: bool) -> (Vec<u8>, Vec<Vec<u8>>) {
    let msg = big_response(40);
    if v6 {
        let t = dstopts_udp(&msg);
        let whole = ip_packet(server6(), client6(), 60, &t);
        let frags = ip_fragments(server6(), client6(), 60, 0xDEAD_BEEF, &t, 256);
        (whole, frags)
    } else {
        let t = udp(53, 40000, &msg);
        let whole = ip_packet(server(), client(), 17, &t);
        let frags = ip_fragments(server(), client(), 17, 0x1234, &t, 256);
        (whole, frags)
    }
}

#[test]
fn fragmented_response_imports_like_the_whole_datagram() {
    for v6 in [false, true] {
        let (whole, frags) = big_datagram(v6);
        assert_eq!(frags.len(), 3);
        let (want, _, whole_stats) = run(&pcap(LINKTYPE_ETHERNET, &timed(vec![eth(&whole)])));
        assert_eq!(want.len(), 40, "{whole_stats:?}");
        assert_eq!(whole_stats.fragments, 0);
        let other = udp_packets(Link::Ethernet { vlan: false }, v6)[4].clone();
        // out of order, a duplicate, and an unrelated packet in between
        let frames = vec![
            eth(&frags[2]),
            eth(&frags[0]),
            other,
            eth(&frags[0]),
            eth(&frags[1]),
        ];
        let (facts, stats, ps) = run(&pcap(LINKTYPE_ETHERNET, &timed(frames)));
        let mut want = want;
        want.push(("api.example.test".into(), "192.0.2.3".into(), 1));
        assert_eq!(sorted(facts), sorted(want), "v6 {v6}: {ps:?}");
        assert_eq!(ps.fragments, 4);
        assert_eq!(
            ps.defrag,
            DefragStats {
                reassembled: 1,
                duplicates: 1,
                ..DefragStats::default()
            }
        );
        assert_eq!(ps.udp_messages, 2);
        assert_eq!((stats.bad_units, stats.malformed_messages), (0, 0));
    }
}

#[test]
fn incomplete_datagrams_expire_in_capture_time() {
    for v6 in [false, true] {
        let (_, frags) = big_datagram(v6);
        // the middle fragment never comes: nothing, counted at the end of the capture
        let frames = vec![eth(&frags[0]), eth(&frags[2])];
        let (facts, _, ps) = run(&pcap(LINKTYPE_ETHERNET, &timed(frames)));
        assert!(facts.is_empty());
        assert_eq!(ps.fragments, 2);
        assert_eq!(
            (ps.defrag.reassembled, ps.defrag.expired, ps.udp_messages),
            (0, 1, 0),
            "{ps:?}"
        );
        // the last two fragments 29 s after the first: reassembled; 31 s after: the first has
        // expired, and the other two make an incomplete datagram of their own
        for (gap, reassembled, expired) in [(29, 1, 0), (31, 0, 2)] {
            let pkts: Vec<(u64, Vec<u8>)> = vec![
                (T0 * 1_000_000, eth(&frags[0])),
                ((T0 + gap) * 1_000_000, eth(&frags[2])),
                ((T0 + gap) * 1_000_000 + 1, eth(&frags[1])),
            ];
            let (facts, _, ps) = run(&pcap(LINKTYPE_ETHERNET, &pkts));
            assert_eq!(facts.len(), 40 * reassembled as usize, "{ps:?}");
            assert_eq!(
                (ps.defrag.reassembled, ps.defrag.expired),
                (reassembled, expired)
            );
        }
    }
}

#[test]
fn overlapping_fragments_drop_the_datagram() {
    for v6 in [false, true] {
        let (_, frags) = big_datagram(v6);
        let (s, c, proto, id, t) = if v6 {
            let t = dstopts_udp(&big_response(40));
            (server6(), client6(), 60, 0xDEAD_BEEF, t)
        } else {
            (
                server(),
                client(),
                17,
                0x1234,
                udp(53, 40000, &big_response(40)),
            )
        };
        // inside the second fragment's range, with other octets
        let mut forged = t[264..296].to_vec();
        forged[3] ^= 0xFF;
        let conflicting = ip_fragment(s, c, proto, id, 264, true, &forged);
        // same octets, other boundaries: an overlap too
        let shifted = ip_fragment(s, c, proto, id, 248, true, &t[248..304]);
        for bad in [conflicting, shifted] {
            let frames = vec![eth(&frags[1]), eth(&frags[0]), eth(&bad), eth(&frags[2])];
            let (facts, stats, ps) = run(&pcap(LINKTYPE_ETHERNET, &timed(frames)));
            assert!(facts.is_empty(), "{ps:?}");
            assert_eq!(ps.fragments, 4);
            assert_eq!(
                ps.defrag,
                DefragStats {
                    overlapping: 1,
                    // the rest of the datagram is discarded with it, not started anew
                    discarded: 1,
                    ..DefragStats::default()
                }
            );
            assert_eq!(stats.bad_units, 1);
        }
    }
}

#[test]
fn bad_fragments_are_counted_and_skipped() {
    let (s, c) = (server(), client());
    let t = udp(53, 40000, &big_response(40));
    let frames = vec![
        // More Fragments on a length that is not a multiple of 8
        eth(&ip_fragment(s, c, 17, 1, 0, true, &t[..13])),
        // beyond 65,535 octets
        eth(&ip_fragment(s, c, 17, 2, 65_528, false, &t[..16])),
        // two last fragments that disagree on the end
        eth(&ip_fragment(s, c, 17, 3, 16, false, &t[16..32])),
        eth(&ip_fragment(s, c, 17, 3, 32, false, &t[32..40])),
        // a UDP length that disagrees with the reassembled datagram
        eth(&ip_fragment(s, c, 17, 4, 0, true, &t[..256])),
        eth(&ip_fragment(s, c, 17, 4, 256, false, &t[256..300])),
        // a fragment cut inside its IP packet
        eth(&ip_fragment(s, c, 17, 5, 0, true, &t[..64]))[..60].to_vec(),
    ];
    let (facts, stats, ps) = run(&pcap(LINKTYPE_ETHERNET, &timed(frames)));
    assert!(facts.is_empty());
    assert_eq!((ps.malformed, ps.truncated), (2, 1), "{ps:?}");
    assert_eq!(ps.fragments, 5);
    assert_eq!(
        ps.defrag,
        DefragStats {
            reassembled: 1,
            overlapping: 1,
            too_large: 1,
            // the dropped datagrams do not expire again at the end
            ..DefragStats::default()
        }
    );
    assert_eq!(stats.bad_units, 5);
}

#[test]
fn pending_datagrams_are_bounded() {
    let mut d = Defragmenter::new();
    let time = DateTime::from_timestamp(T0 as i64, 0).unwrap();
    let data = [0u8; 8];
    for id in 0..=MAX_PENDING as u32 {
        let f = Fragment {
            key: FragKey {
                src: server(),
                dst: client(),
                proto: Some(17),
                id,
            },
            offset: 0,
            more: true,
            next: 17,
            data: &data,
        };
        assert_eq!(d.push(&f, time), Ok(None));
    }
    assert_eq!(d.pending(), MAX_PENDING);
    assert_eq!(d.stats.evicted, 1);
    d.advance(time + chrono::TimeDelta::seconds(31));
    assert_eq!((d.pending(), d.stats.expired), (0, MAX_PENDING as u64));
}

#[test]
fn random_fragment_sequences_never_panic() {
    use crate::dns::tests::Rng;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let msg = big_response(40);
    for round in 0..300 {
        let v6 = round % 2 == 1;
        let (s, c) = if v6 {
            (server6(), client6())
        } else {
            (server(), client())
        };
        let t = udp(53, 40000, &msg);
        let mut frames = Vec::new();
        for _ in 0..rng.below(40) + 1 {
            let id = rng.below(3) as u32;
            let offset = match rng.below(4) {
                0 => rng.below(70_000),
                _ => rng.below(t.len() / 8 + 2) * 8,
            };
            let len = match rng.below(3) {
                0 => rng.below(t.len() + 1),
                _ => (rng.below(64) + 1) * 8,
            };
            let from = if offset < t.len() { offset } else { 0 };
            let data = &t[from..(from + len).min(t.len())];
            let mut p = ip_fragment(s, c, 17, id, offset, rng.below(3) != 0, data);
            if rng.below(4) == 0 {
                let i = rng.below(p.len());
                p[i] = rng.next() as u8;
            }
            if rng.below(8) == 0 {
                p.truncate(rng.below(p.len() + 1));
            }
            let time = (T0 + rng.below(100) as u64) * 1_000_000;
            frames.push((time, eth(&p)));
        }
        frames.extend(
            ip_fragments(s, c, 17, 9, &t, 8 * (rng.below(100) + 1))
                .into_iter()
                .map(|p| (T0 * 1_000_000, eth(&p))),
        );
        for _ in 0..rng.below(4) {
            let again = frames[rng.below(frames.len())].clone();
            frames.push(again);
        }
        let n = frames.len();
        for i in (1..n).rev() {
            frames.swap(i, rng.below(i + 1));
        }
        let (_, _, ps) = run(&pcap(LINKTYPE_ETHERNET, &frames));
        assert_eq!(ps.packets, n as u64);
        assert!(ps.defrag.reassembled <= ps.fragments, "{ps:?}");
    }
}
