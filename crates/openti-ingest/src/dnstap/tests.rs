//! dnstap tests: protobuf round trip, file framing, bad and truncated frames.

use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};

use super::framestream::*;
use super::*;
use crate::dns::build::{MessageBuilder, RESPONSE_FLAGS};
use crate::dns::rdata::RData;
use crate::dns::wire::rtype;
use crate::dns::{DnsRecords, DriverOptions};

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 5).unwrap()
}

fn response(name: &str, ip: [u8; 4]) -> Vec<u8> {
    let mut b = MessageBuilder::new(7, RESPONSE_FLAGS);
    b.question(name, rtype::A)
        .answer(name, rtype::A, 60, &RData::A(Ipv4Addr::from(ip)));
    b.finish()
}

fn file_of(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = encode_control(&Control::new(ControlType::Start, Some(DNSTAP_CONTENT_TYPE)));
    for f in frames {
        encode_data(f, &mut out);
    }
    out.extend(encode_control(&Control::new(ControlType::Stop, None)));
    out
}

#[test]
fn protobuf_round_trip() {
    let wire = response("a.test", [192, 0, 2, 1]);
    let mut buf = Vec::new();
    client_response_frame(
        Some(b"sensor-1"),
        &wire,
        t(1_700_000_000),
        [10, 0, 0, 1],
        4242,
        &mut buf,
    );
    let d = proto::decode(&buf).unwrap();
    assert_eq!(d.identity, Some(&b"sensor-1"[..]));
    let m = d.message.as_ref().unwrap();
    assert_eq!(m.kind, proto::message_type::CLIENT_RESPONSE);
    assert_eq!(m.query_port, Some(4242));
    assert_eq!(m.response_time_nsec, Some(5));
    let r = response_of(&buf).unwrap().unwrap();
    assert_eq!(r.wire, &wire[..]);
    assert_eq!(r.time, Some(t(1_700_000_000)));
    // a query frame carries no response
    let q = proto::Dnstap {
        kind: 1,
        message: Some(proto::Message {
            kind: proto::message_type::CLIENT_QUERY,
            query_message: Some(&wire),
            ..Default::default()
        }),
        ..Default::default()
    };
    proto::encode(&q, &mut buf);
    assert_eq!(response_of(&buf).unwrap(), None);
    // garbage
    assert!(proto::decode(&[0xFF; 3]).is_err());
    assert!(proto::decode(&[0x0A, 0x05, 1]).is_err());
    assert!(proto::decode(&[]).is_err());
}

#[test]
fn control_frames_round_trip_and_reject_garbage() {
    let c = Control::new(ControlType::Ready, Some(DNSTAP_CONTENT_TYPE));
    let bytes = encode_control(&c);
    let (f, n) = decode_frame(&bytes, DEFAULT_MAX_FRAME).unwrap().unwrap();
    assert_eq!(n, bytes.len());
    assert_eq!(f, Frame::Control(c));
    assert!(decode_frame(&bytes[..bytes.len() - 1], DEFAULT_MAX_FRAME)
        .unwrap()
        .is_none());
    assert!(decode_control(&[0, 0, 0, 9]).is_err());
    assert!(decode_control(&[0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 99]).is_err());
    let stop_with_type = [0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, b'x'];
    assert!(decode_control(&stop_with_type).is_err());
    assert!(matches!(
        decode_frame(&[0, 0x10, 0, 0, 1], 1024),
        Err(FrameError::TooLarge(_))
    ));
}

fn import(bytes: &[u8]) -> (Vec<crate::Record>, crate::dns::DnsStats, DnstapStats) {
    let src = DnstapFile::new(bytes, t(0));
    let mut it = DnsRecords::new(src, DriverOptions::default());
    let recs: Vec<_> = (&mut it).map(|r| r.unwrap()).collect();
    (recs, it.stats().clone(), it.source().stats().clone())
}

#[test]
fn file_aggregates_and_counts_bad_frames() {
    let mut frames = Vec::new();
    for i in 0..10 {
        let mut f = Vec::new();
        let ip = [192, 0, 2, (i % 2) as u8 + 1];
        client_response_frame(
            None,
            &response("WWW.Example.test", ip),
            t(1000 + i),
            [127, 0, 0, 1],
            1,
            &mut f,
        );
        frames.push(f);
    }
    frames.insert(3, vec![0xFF, 0xFF, 0xFF]); // bad protobuf
    let mut malformed = Vec::new();
    client_response_frame(
        None,
        &[0, 1, 0x81, 0x80, 0, 1],
        t(1000),
        [127, 0, 0, 1],
        1,
        &mut malformed,
    );
    frames.insert(5, malformed);
    let (recs, stats, ds) = import(&file_of(&frames));
    assert_eq!(ds.data_frames, 12);
    assert_eq!(ds.control_frames, 2);
    assert_eq!(ds.bad_frames, 1);
    assert_eq!(stats.malformed_messages, 1);
    assert_eq!(stats.noerror, 10);
    assert_eq!(stats.facts, 2);
    let obs: Vec<_> = recs
        .iter()
        .filter_map(|r| match &r.outcome {
            Some(Ok(o)) => Some(o.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(obs.len(), 2);
    match &obs[0] {
        openti_model::Observation::Dns {
            name, value, seen, ..
        } => {
            assert_eq!(name, "www.example.test");
            assert_eq!(value, "192.0.2.1");
            assert_eq!(seen.count, Some(5));
            assert_eq!(seen.first_seen, Some(t(1000)));
            assert_eq!(seen.last_seen, Some(t(1008)));
        }
        o => panic!("{o:?}"),
    }
    let errors = recs
        .iter()
        .filter(|r| matches!(r.outcome, Some(Err(_))))
        .count();
    assert_eq!(errors, 2);
}

#[test]
fn truncated_file_keeps_what_came_before() {
    let mut f = Vec::new();
    client_response_frame(
        None,
        &response("a.test", [192, 0, 2, 9]),
        t(5),
        [127, 0, 0, 1],
        1,
        &mut f,
    );
    let mut bytes = file_of(&[f.clone(), f]);
    bytes.truncate(bytes.len() - 20);
    let (_recs, stats, ds) = import(&bytes);
    assert!(ds.framing_error.is_some());
    assert_eq!(stats.facts, 1);
    assert_eq!(stats.bad_units, 1);
    // wrong content type: nothing read
    let mut other = encode_control(&Control::new(ControlType::Start, Some(b"text/plain")));
    encode_data(b"hello", &mut other);
    let (_, stats, ds) = import(&other);
    assert_eq!(stats.messages, 0);
    assert!(ds.framing_error.unwrap().contains("content type"));
}

#[test]
fn window_splits_by_message_time() {
    let mut frames = Vec::new();
    for s in [0i64, 10, 100, 110] {
        let mut f = Vec::new();
        client_response_frame(
            None,
            &response("a.test", [192, 0, 2, 1]),
            t(2000 + s),
            [127, 0, 0, 1],
            1,
            &mut f,
        );
        frames.push(f);
    }
    let (_, stats, _) = import(&file_of(&frames));
    assert_eq!(stats.windows, 2);
    assert_eq!(stats.facts, 2);
}
