//! The dnstap listener over a real Unix socket and real TCP loopback: the bidirectional Frame
//! Streams handshake (READY/ACCEPT/START … STOP/FINISH) with the blocking sender, one-way
//! senders, garbage senders, and the aggregated facts in a real SQLite store.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use openti_collect::dnstap::{run, CollectOptions, Listen};
use openti_ingest::dns::build::{MessageBuilder, RESPONSE_FLAGS};
use openti_ingest::dns::rdata::RData;
use openti_ingest::dns::wire::rtype;
use openti_ingest::dnstap::framestream::{Sender, DNSTAP_CONTENT_TYPE};
use openti_ingest::dnstap::{client_response_frame, session::LiveStats, unix_time};
use openti_store::{SqliteStore, Store};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("openti-collect-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn frame(name: &str, ip: [u8; 4], nx: bool) -> Vec<u8> {
    let mut b = MessageBuilder::new(
        1,
        if nx {
            RESPONSE_FLAGS | 3
        } else {
            RESPONSE_FLAGS
        },
    );
    b.question(name, rtype::A)
        .answer(name, rtype::A, 60, &RData::A(Ipv4Addr::from(ip)));
    let mut out = Vec::new();
    client_response_frame(
        Some(b"test"),
        &b.finish(),
        unix_time(1_700_000_000),
        [127, 0, 0, 1],
        5353,
        &mut out,
    );
    out
}

/// Starts the listener on a runtime thread; returns the bound address, a stop handle and the
/// join handle yielding the counters.
fn start(
    listen: Listen,
    store: Arc<dyn Store>,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<LiveStats>,
) {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let opts = CollectOptions {
                window: Duration::from_millis(200),
                sensor: Some("sensor-a".into()),
            };
            run(
                &listen,
                store,
                opts,
                async move {
                    let _ = stop_rx.await;
                },
                |a| {
                    ready_tx.send(a.to_string()).unwrap();
                },
            )
            .await
            .unwrap()
        })
    });
    let addr = ready_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("listener ready");
    (addr, stop_tx, h)
}

fn send_all<S: std::io::Read + Write>(stream: S, frames: &[Vec<u8>]) {
    let mut s = Sender::connect(stream, DNSTAP_CONTENT_TYPE).expect("READY/ACCEPT/START");
    for f in frames {
        s.send(f).unwrap();
    }
    // STOP, and the listener must answer FINISH
    s.finish().expect("FINISH");
}

fn check_store(store: &dyn Store, sightings: u64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let www = rt
        .block_on(store.passive_dns_facts("www.example.test"))
        .unwrap();
    assert_eq!(www.len(), 1, "{www:?}");
    assert_eq!(
        (www[0].rtype.as_str(), www[0].value.as_str()),
        ("A", "192.0.2.1")
    );
    assert_eq!(www[0].count, sightings, "every sighting counted once");
    assert!(rt
        .block_on(store.passive_dns_facts("nx.example.test"))
        .unwrap()
        .is_empty());
}

#[test]
fn unix_socket_bidirectional_handshake_and_store() {
    let dir = scratch("unix");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("db.sqlite")).unwrap());
    let sock = dir.join("dnstap.sock");
    let (addr, stop, h) = start(Listen::Unix(sock.clone()), store.clone());
    assert_eq!(addr, format!("unix:{}", sock.display()));
    let mut frames: Vec<Vec<u8>> = (0..500)
        .map(|_| frame("WWW.example.test", [192, 0, 2, 1], false))
        .collect();
    frames.push(frame("nx.example.test", [192, 0, 2, 9], true));
    frames.push(vec![0xFF, 0x01]); // not dnstap: counted, skipped
    send_all(
        std::os::unix::net::UnixStream::connect(&sock).unwrap(),
        &frames,
    );
    // a one-way sender (START without READY) on a second connection
    {
        let s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        let mut tx = Sender::unidirectional(s, DNSTAP_CONTENT_TYPE).unwrap();
        tx.send(&frame("www.example.test", [192, 0, 2, 1], false))
            .unwrap();
        tx.finish().unwrap();
    }
    // garbage: a control frame longer than allowed ends that connection only
    {
        let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        s.write_all(&[0, 0, 0, 0, 0, 0, 0x10, 0]).unwrap();
    }
    std::thread::sleep(Duration::from_millis(400));
    stop.send(()).unwrap();
    let stats = h.join().unwrap();
    assert_eq!(stats.connections, 3, "{stats:?}");
    assert_eq!(stats.connection_errors, 1, "{stats:?}");
    assert_eq!(stats.frames, 503);
    assert_eq!(stats.bad_frames, 1);
    assert_eq!(stats.noerror, 501);
    assert_eq!(stats.answers, 501);
    assert!(stats.facts_written >= 1);
    assert!(!sock.exists(), "socket removed at shutdown");
    check_store(store.as_ref(), 501);
}

#[test]
fn tcp_loopback_bidirectional_handshake_and_store() {
    let dir = scratch("tcp");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("db.sqlite")).unwrap());
    let (addr, stop, h) = start("tcp:127.0.0.1:0".parse().unwrap(), store.clone());
    let hostport = addr.strip_prefix("tcp:").unwrap().to_string();
    assert!(hostport.starts_with("127.0.0.1:"));
    let frames: Vec<Vec<u8>> = (0..100)
        .map(|_| frame("www.example.test", [192, 0, 2, 1], false))
        .collect();
    send_all(std::net::TcpStream::connect(&hostport).unwrap(), &frames);
    stop.send(()).unwrap();
    let stats = h.join().unwrap();
    assert_eq!(
        (stats.connections, stats.connection_errors),
        (1, 0),
        "{stats:?}"
    );
    assert_eq!(stats.answers, 100);
    assert_eq!(stats.facts_written, 1, "one fact for 100 sightings");
    check_store(store.as_ref(), 100);
}

#[test]
fn listen_specs_parse() {
    assert_eq!(
        "unix:/tmp/x.sock".parse::<Listen>(),
        Ok(Listen::Unix("/tmp/x.sock".into()))
    );
    assert!(matches!(
        "tcp:127.0.0.1:6000".parse::<Listen>(),
        Ok(Listen::Tcp(_))
    ));
    assert!("udp:1".parse::<Listen>().is_err());
    assert!("tcp:nope".parse::<Listen>().is_err());
    assert!("unix:".parse::<Listen>().is_err());
}
