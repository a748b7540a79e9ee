//! DNS parser tests: every collected RR type, compression, loops, truncation, and a
//! deterministic mutation run that must never panic.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::build::{MessageBuilder, RESPONSE_FLAGS};
use super::rdata::RData;
use super::wire::{parse, rtype, WireError};
use super::{collect_answers, Answer, Verdict};

fn all_types_message() -> Vec<u8> {
    let mut b = MessageBuilder::new(0x1234, RESPONSE_FLAGS);
    b.question("WWW.Example.TEST", rtype::A);
    let n = "www.example.test";
    b.answer(n, rtype::A, 300, &RData::A(Ipv4Addr::new(192, 0, 2, 1)));
    b.answer(
        n,
        rtype::AAAA,
        300,
        &RData::Aaaa("2001:db8::1".parse::<Ipv6Addr>().unwrap()),
    );
    b.answer(
        n,
        rtype::CNAME,
        300,
        &RData::Name("cdn.example.test".into()),
    );
    b.answer(
        "example.test",
        rtype::NS,
        300,
        &RData::Name("ns1.example.test".into()),
    );
    b.answer(
        "example.test",
        rtype::MX,
        300,
        &RData::Mx {
            preference: 10,
            exchange: "mail.example.test".into(),
        },
    );
    b.answer(
        "example.test",
        rtype::TXT,
        300,
        &RData::Txt(vec![b"v=spf1 -all".to_vec(), b"say \"hi\"\x01".to_vec()]),
    );
    b.answer(
        "example.test",
        rtype::SOA,
        300,
        &RData::Soa {
            mname: "ns1.example.test".into(),
            rname: "hostmaster.example.test".into(),
            serial: 2024010101,
            refresh: 3600,
            retry: 600,
            expire: 86400,
            minimum: 300,
        },
    );
    b.answer(
        "1.2.0.192.in-addr.arpa",
        rtype::PTR,
        300,
        &RData::Name("www.example.test".into()),
    );
    b.answer(
        "_sip._tcp.example.test",
        rtype::SRV,
        300,
        &RData::Srv {
            priority: 0,
            weight: 5,
            port: 5060,
            target: "sip.example.test".into(),
        },
    );
    b.answer(
        "example.test",
        rtype::CAA,
        300,
        &RData::Caa {
            flags: 0,
            tag: "issue".into(),
            value: b"letsencrypt.org".to_vec(),
        },
    );
    b.answer(
        "example.test",
        rtype::HTTPS,
        300,
        &RData::Svcb {
            priority: 1,
            target: ".".into(),
            params: vec![
                (1, b"\x02h2\x02h3".to_vec()),
                (3, 443u16.to_be_bytes().to_vec()),
                (4, vec![192, 0, 2, 1, 192, 0, 2, 2]),
            ],
        },
    );
    b.answer(
        "_svc.example.test",
        rtype::SVCB,
        300,
        &RData::Svcb {
            priority: 0,
            target: "svc.example.test".into(),
            params: vec![],
        },
    );
    b.answer(
        "old.example.test",
        rtype::DNAME,
        300,
        &RData::Name("new.example.test".into()),
    );
    b.finish()
}

#[test]
fn every_type_parses_and_renders() {
    let wire = all_types_message();
    let m = parse(&wire).unwrap();
    assert!(m.header.is_response());
    assert_eq!(m.header.rcode(), 0);
    assert_eq!(m.questions[0].name, "www.example.test");
    let got: Vec<(u16, String)> = m
        .answers
        .iter()
        .map(|rr| (rr.rtype, rr.data.presentation()))
        .collect();
    let want: Vec<(u16, &str)> = vec![
        (rtype::A, "192.0.2.1"),
        (rtype::AAAA, "2001:db8::1"),
        (rtype::CNAME, "cdn.example.test."),
        (rtype::NS, "ns1.example.test."),
        (rtype::MX, "10 mail.example.test."),
        (rtype::TXT, r#""v=spf1 -all" "say \"hi\"\001""#),
        (
            rtype::SOA,
            "ns1.example.test. hostmaster.example.test. 2024010101 3600 600 86400 300",
        ),
        (rtype::PTR, "www.example.test."),
        (rtype::SRV, "0 5 5060 sip.example.test."),
        (rtype::CAA, r#"0 issue "letsencrypt.org""#),
        (
            rtype::HTTPS,
            r#"1 . alpn="h2,h3" port=443 ipv4hint=192.0.2.1,192.0.2.2"#,
        ),
        (rtype::SVCB, "0 svc.example.test."),
        (rtype::DNAME, "new.example.test."),
    ];
    let want: Vec<(u16, String)> = want.into_iter().map(|(t, s)| (t, s.to_string())).collect();
    assert_eq!(got, want);

    let mut out = Vec::new();
    assert_eq!(collect_answers(m, &mut out), Verdict::NoError);
    assert_eq!(out.len(), 13);
    assert_eq!(
        out[4],
        Answer {
            name: "example.test".into(),
            rtype: "MX",
            value: "mail.example.test".into()
        }
    );
    assert_eq!(out[7].name, "1.2.0.192.in-addr.arpa");
    assert_eq!(out[8].value, "sip.example.test");
    // every fact normalises into an observation
    for a in out {
        let f = super::AggregatedFact {
            answer: a.clone(),
            first: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            last: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            count: 1,
        };
        f.observation(Some("t"))
            .unwrap_or_else(|e| panic!("{a:?}: {e}"));
    }
}

#[test]
fn only_noerror_responses_count() {
    let mut q = MessageBuilder::new(1, 0x0100);
    q.question("a.test", rtype::A);
    let mut out = Vec::new();
    assert_eq!(
        collect_answers(parse(&q.finish()).unwrap(), &mut out),
        Verdict::Query
    );
    let mut nx = MessageBuilder::new(1, RESPONSE_FLAGS | 3);
    nx.question("a.test", rtype::A)
        .answer("a.test", rtype::A, 1, &RData::A(Ipv4Addr::LOCALHOST));
    assert_eq!(
        collect_answers(parse(&nx.finish()).unwrap(), &mut out),
        Verdict::NotNoError
    );
    assert!(out.is_empty());
}

#[test]
fn compression_is_followed_and_loops_rejected() {
    // header + question "a.test" at 12, then an answer whose owner is a pointer to 12
    let wire = all_types_message();
    assert!(
        wire.windows(2).any(|w| w == [0xC0, 12]),
        "builder compresses"
    );

    let mut base = vec![0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
    // pointer to itself
    let mut m = base.clone();
    m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
    assert_eq!(parse(&m), Err(WireError::BadPointer(12)));
    // forward pointer
    let mut m = base.clone();
    m.extend_from_slice(&[0xC0, 20, 0, 1, 0, 1, 0, 0, 0]);
    assert_eq!(parse(&m), Err(WireError::BadPointer(12)));
    // loop: label at 12 then pointer back to 12 (each pass adds a label: caught by the hop or
    // length limit, never spins)
    let mut m = base.clone();
    m.extend_from_slice(&[1, b'a', 0xC0, 12, 0, 1, 0, 1]);
    assert!(matches!(
        parse(&m),
        Err(WireError::BadPointer(_) | WireError::NameTooLong(_))
    ));
    // reserved label type
    let mut m = base.clone();
    m.extend_from_slice(&[0x40, 0, 0, 1, 0, 1]);
    assert_eq!(parse(&m), Err(WireError::BadLabel(12)));
    // a name longer than 255 octets
    base.extend(
        std::iter::repeat_n([63u8; 64], 5)
            .flatten()
            .collect::<Vec<_>>(),
    );
    assert!(matches!(
        parse(&base),
        Err(WireError::NameTooLong(_) | WireError::Truncated(_))
    ));
}

#[test]
fn truncation_anywhere_is_an_error() {
    let wire = all_types_message();
    for n in 0..wire.len() {
        assert!(parse(&wire[..n]).is_err(), "prefix of {n} octets parsed");
    }
}

#[test]
fn bad_rdata_is_rejected() {
    let bad = |rt: u16, rdata: &[u8]| {
        let mut b = MessageBuilder::new(1, RESPONSE_FLAGS);
        b.answer_raw("x.test", rt, rdata);
        parse(&b.finish())
    };
    assert!(matches!(
        bad(rtype::A, &[1, 2, 3]),
        Err(WireError::BadRdata { .. })
    ));
    assert!(matches!(
        bad(rtype::AAAA, &[0; 4]),
        Err(WireError::BadRdata { .. })
    ));
    assert!(bad(rtype::TXT, &[]).is_err());
    assert!(bad(rtype::TXT, &[5, b'a']).is_err());
    assert!(bad(rtype::CNAME, &[1, b'a', 0, 9]).is_err()); // trailing octet
    assert!(bad(rtype::CAA, &[0, 0]).is_err());
    assert!(bad(rtype::CAA, &[0, 9, b'a']).is_err());
    assert!(bad(rtype::MX, &[0]).is_err());
    assert!(bad(rtype::SOA, &[0, 0, 1]).is_err());
    assert!(bad(rtype::HTTPS, &[0, 1, 0, 0, 1, 0, 5]).is_err());
    assert!(bad(999, &[1, 2, 3]).is_ok());
}

#[test]
fn names_are_lowercased_and_escaped() {
    let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(&[
        3, b'W', b'.', 0x07, 4, b'T', b'E', b'S', b'T', 0, 0, 1, 0, 1,
    ]);
    let msg = parse(&m).unwrap();
    assert_eq!(msg.questions[0].name, "w\\.\\007.test");
    let mut root = vec![0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1];
    assert_eq!(parse(&root).unwrap().questions[0].name, ".");
    root.truncate(14);
    assert!(parse(&root).is_err());
}

/// A small deterministic PRNG (xorshift) so the mutation runs need no dependency (shared with
/// the pcap tests).
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random damage (overwritten octets, a cut) never panics the parser or the rendering, and the
/// importer's scanner says the same as the parser about every damaged message.
#[test]
fn random_mutations_never_panic_and_scan_agrees() {
    let wire = all_types_message();
    let mut scanned = crate::dns::ScannedAnswers::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let mut m = wire.clone();
        for _ in 0..(rng.next() % 8 + 1) {
            let i = (rng.next() as usize) % m.len();
            m[i] = rng.next() as u8;
        }
        let cut = (rng.next() as usize) % (m.len() + 1);
        if let Ok(msg) = parse(&m[..cut]) {
            for rr in &msg.answers {
                let _ = rr.data.presentation();
            }
        }
        assert_scan_agrees(&m[..cut], &mut scanned);
    }
}

#[test]
fn ipv4_text_matches_display() {
    use crate::dns::rdata::ipv4_text;
    use std::net::Ipv4Addr;
    let mut r = Rng(0x1234_5678_9ABC_DEF1);
    let mut all = vec![0u32, u32::MAX, 0x0A00_0001, 0x6464_6464, 0x0909_0909];
    all.extend((0..2000).map(|_| r.next() as u32));
    for v in all {
        let ip = Ipv4Addr::from(v);
        assert_eq!(ipv4_text(ip), ip.to_string());
    }
}

/// `scan_answers` must say what `parse` + `collect_answers` say: the same error, the same
/// verdict, the same answers in the same order.
fn assert_scan_agrees(m: &[u8], scanned: &mut crate::dns::ScannedAnswers) {
    use crate::dns::{collect_answers, scan_answers};
    let slow = parse(m).map(|msg| {
        let mut v = Vec::new();
        let verdict = collect_answers(msg, &mut v);
        (verdict, v)
    });
    let fast = scan_answers(m, scanned).map(|verdict| {
        let v: Vec<_> = scanned
            .iter()
            .map(|(name, rtype, value)| crate::dns::Answer {
                name: name.to_string(),
                rtype,
                value: value.to_string(),
            })
            .collect();
        (verdict, v)
    });
    assert_eq!(fast, slow, "message {m:?}");
}

#[test]
fn scan_agrees_with_parse_and_collect() {
    let mut scanned = crate::dns::ScannedAnswers::new();
    let wire = all_types_message();
    assert_scan_agrees(&wire, &mut scanned);
    assert!(scanned.len() >= 10, "the all-types message has answers");
    // every header variant (query, other opcodes and rcodes) and every truncation point
    for flags in [0x0100u16, 0x8180, 0x8183, 0x8980, 0x8182, 0xA180] {
        let mut m = wire.clone();
        m[2..4].copy_from_slice(&flags.to_be_bytes());
        assert_scan_agrees(&m, &mut scanned);
        for cut in 0..m.len() {
            assert_scan_agrees(&m[..cut], &mut scanned);
        }
    }
}
