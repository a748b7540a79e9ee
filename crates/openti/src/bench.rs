//! `openti bench dnstap`: generates a dnstap file and measures messages/s for decode only and
//! for decode + aggregate + persist (embedded SQLite, the real `openti import dnstap` path),
//! next to Debian's `dnstap-ldns` and golang-dnstap's `dnstap` reading the same file.
//! Not part of the test suite; results go to BENCHMARKS.md.

use std::io::{BufReader, BufWriter, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use openti_ingest::dns::build::{MessageBuilder, RESPONSE_FLAGS};
use openti_ingest::dns::rdata::RData;
use openti_ingest::dns::wire::rtype;
use openti_ingest::dns::{scan_answers, DriverOptions, ScannedAnswers, Verdict};
use openti_ingest::dnstap::framestream::{
    encode_control, encode_data, Control, ControlType, FrameKind, FrameReader, DEFAULT_MAX_FRAME,
    DNSTAP_CONTENT_TYPE,
};
use openti_ingest::dnstap::{client_response_frame, response_of, unix_time};
use serde_json::json;

/// `openti bench …`.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// dnstap decode and decode+aggregate+persist throughput.
    Dnstap(BenchDnstapArgs),
}

/// Options of `openti bench dnstap`.
#[derive(Args, Debug)]
pub struct BenchDnstapArgs {
    /// Messages in the generated file.
    #[arg(long, default_value_t = 5_000_000)]
    messages: u64,
    /// Distinct names queried (popularity is skewed, as on real resolvers).
    #[arg(long, default_value_t = 50_000)]
    names: u64,
    /// Messages per second of message time (sets how many windows the file spans).
    #[arg(long, default_value_t = 20_000)]
    rate: u64,
    /// The dnstap file (generated when missing or with --regenerate).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Regenerate the file even if it exists.
    #[arg(long)]
    regenerate: bool,
    /// Also time `dnstap-ldns -q -r FILE` and `dnstap -q -r FILE` (output discarded).
    #[arg(long)]
    compare: bool,
    /// Aggregation window in seconds.
    #[arg(long, default_value_t = 60)]
    window: u64,
    /// Print the results as JSON on standard output.
    #[arg(long)]
    json: bool,
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes a unidirectional dnstap file of `n` CLIENT_RESPONSE frames.
pub fn generate(path: &Path, n: u64, names: u64, rate: u64) -> anyhow::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    w.write_all(&encode_control(&Control::new(
        ControlType::Start,
        Some(DNSTAP_CONTENT_TYPE),
    )))?;
    let mut rng = Rng(0x5EED_0F0F_1234_5678);
    let (mut payload, mut frame) = (Vec::with_capacity(512), Vec::with_capacity(512));
    let names = names.max(1);
    for i in 0..n {
        // popularity: the cube of a uniform variable favours a small head of names
        let idx = ((rng.unit().powi(3)) * names as f64) as u64 % names;
        let domain = idx % 5000;
        let name = format!("h{idx}.d{domain}.example");
        let mut b = MessageBuilder::new((i & 0xFFFF) as u16, RESPONSE_FLAGS);
        let ip = Ipv4Addr::from(0xC633_6400u32 | (idx as u32 & 0xFF)); // 198.51.100.x
        match idx % 10 {
            0..=5 => {
                b.question(&name, rtype::A);
                b.answer(&name, rtype::A, 300, &RData::A(ip));
                if idx.is_multiple_of(3) {
                    let ip2 = Ipv4Addr::from(0xCB00_7100u32 | ((idx as u32 >> 8) & 0xFF));
                    b.answer(&name, rtype::A, 300, &RData::A(ip2));
                }
            }
            6 | 7 => {
                b.question(&name, rtype::AAAA);
                let v6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, (idx >> 16) as u16, idx as u16);
                b.answer(&name, rtype::AAAA, 300, &RData::Aaaa(v6));
            }
            8 => {
                let target = format!("edge{}.cdn{}.example", idx % 97, idx % 7);
                b.question(&name, rtype::A);
                b.answer(&name, rtype::CNAME, 300, &RData::Name(target.clone()));
                b.answer(&target, rtype::A, 60, &RData::A(ip));
            }
            _ => {
                let d = format!("d{domain}.example");
                b.question(&d, rtype::MX);
                let mx = RData::Mx {
                    preference: 10,
                    exchange: format!("mx.d{domain}.example"),
                };
                b.answer(&d, rtype::MX, 3600, &mx);
            }
        }
        let secs = 1_700_000_000 + (i / rate.max(1)) as i64;
        let client = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        client_response_frame(
            Some(b"bench"),
            &b.finish(),
            unix_time(secs),
            client,
            (1024 + i % 60000) as u16,
            &mut payload,
        );
        frame.clear();
        encode_data(&payload, &mut frame);
        w.write_all(&frame)?;
    }
    w.write_all(&encode_control(&Control::new(ControlType::Stop, None)))?;
    w.flush()?;
    Ok(())
}

/// Decode only: frames → protobuf → DNS message → answers (as text, the importer's path);
/// returns (messages, answers).
pub fn decode_only(path: &Path) -> anyhow::Result<(u64, u64)> {
    let f = std::fs::File::open(path)?;
    let mut r = FrameReader::new(BufReader::with_capacity(1 << 20, f), DEFAULT_MAX_FRAME);
    let (mut buf, mut answers) = (Vec::new(), ScannedAnswers::new());
    let (mut msgs, mut n_answers) = (0u64, 0u64);
    while let Some(k) = r.read_into(&mut buf)? {
        if k != FrameKind::Data {
            continue;
        }
        if let Ok(Some(resp)) = response_of(&buf) {
            msgs += 1;
            if scan_answers(resp.wire, &mut answers) == Ok(Verdict::NoError) {
                n_answers += answers.len() as u64;
            }
        }
    }
    Ok((msgs, n_answers))
}

fn time_tool(cmd: &str, args: &[&str]) -> Option<f64> {
    let start = Instant::now();
    let status = Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| start.elapsed().as_secs_f64())
}

/// Runs `openti bench`.
pub async fn run(cmd: BenchCommand) -> anyhow::Result<u8> {
    let BenchCommand::Dnstap(a) = cmd;
    let path = a
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/bench/dnstap-{}.fstrm", a.messages)));
    if a.regenerate || !path.exists() {
        let t = Instant::now();
        eprintln!(
            "generating {} messages into {} …",
            a.messages,
            path.display()
        );
        generate(&path, a.messages, a.names, a.rate)?;
        eprintln!("generated in {:.1} s", t.elapsed().as_secs_f64());
    }
    let size = std::fs::metadata(&path)?.len();
    let p2 = path.clone();
    let t = Instant::now();
    let (msgs, answers) = tokio::task::spawn_blocking(move || decode_only(&p2)).await??;
    let decode_s = t.elapsed().as_secs_f64();

    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let store = crate::db::open(&db.display().to_string()).await?;
    let opts = DriverOptions {
        window: crate::import::dns::chrono_secs(a.window),
        ..DriverOptions::default()
    };
    let t = Instant::now();
    let (summary, report) = crate::import::dns::import_messages(
        store.as_ref(),
        crate::import::dns::Kind::Dnstap,
        &path,
        opts,
        vec![53],
        10_000,
    )
    .await?;
    let persist_s = t.elapsed().as_secs_f64();

    let file = path.display().to_string();
    let mut refs = Vec::new();
    if a.compare {
        for (label, cmd, args) in [
            (
                "dnstap-ldns -q",
                "dnstap-ldns",
                vec!["-q", "-r", file.as_str()],
            ),
            (
                "dnstap -q (golang-dnstap)",
                "dnstap",
                vec!["-q", "-r", file.as_str()],
            ),
        ] {
            eprintln!("timing {label} …");
            match time_tool(cmd, &args) {
                Some(s) => refs.push((label, s)),
                None => eprintln!("{cmd} not available or failed: skipped"),
            }
        }
    }
    let rate = |s: f64| msgs as f64 / s.max(1e-9);
    println!(
        "dnstap benchmark: {msgs} messages ({answers} answers), {} ({:.0} MB)",
        file,
        size as f64 / 1e6
    );
    let line = |label: &str, s: f64| {
        println!("  {label:<44} {s:>8.2} s  {:>12.0} msg/s", rate(s));
    };
    line("openti decode only", decode_s);
    line("openti decode+aggregate+persist (SQLite)", persist_s);
    for (label, s) in &refs {
        line(label, *s);
    }
    let fastest = refs.iter().map(|(_, s)| *s).fold(f64::INFINITY, f64::min);
    if fastest.is_finite() {
        println!(
            "  persist vs fastest Debian reader: {:.2}x",
            fastest / persist_s.max(1e-9)
        );
    }
    println!(
        "  facts stored: {} (windows: {})",
        summary.accepted, report["dns"]["windows"]
    );
    if a.json {
        println!(
            "{}",
            json!({
                "messages": msgs, "answers": answers, "file_bytes": size,
                "decode_seconds": decode_s, "decode_msgs_per_s": rate(decode_s),
                "persist_seconds": persist_s, "persist_msgs_per_s": rate(persist_s),
                "facts": summary.accepted,
                "references": refs.iter().map(|(l, s)| json!({"tool": l, "seconds": s, "msgs_per_s": rate(*s)})).collect::<Vec<_>>(),
            })
        );
    }
    Ok(0)
}
