//! Output formats of the generator.

use std::io::{self, BufWriter, Write};

use openti_model::normalize::registered_domain;
use openti_model::Observation;
use serde::Serialize;

/// Where generated observations go.
pub trait Sink {
    /// Writes one observation.
    fn write(&mut self, o: &Observation) -> io::Result<()>;
    /// Flushes everything.
    fn finish(&mut self) -> io::Result<()>;
}

/// Observation NDJSON, one object per line.
pub struct NdjsonSink<W: Write> {
    out: BufWriter<W>,
}

impl<W: Write> NdjsonSink<W> {
    /// A sink writing to `w` (buffered).
    pub fn new(w: W) -> Self {
        NdjsonSink {
            out: BufWriter::with_capacity(1 << 20, w),
        }
    }
}

impl<W: Write> Sink for NdjsonSink<W> {
    fn write(&mut self, o: &Observation) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, o)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Passive DNS Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof): one JSON object
/// per DNS fact with `rrname`, `rrtype`, `rdata`, `time_first`, `time_last` (Unix seconds),
/// `count`, `bailiwick` and `sensor_id`. Other kinds are skipped.
pub struct CofSink<W: Write> {
    out: BufWriter<W>,
}

impl<W: Write> CofSink<W> {
    /// A sink writing to `w` (buffered).
    pub fn new(w: W) -> Self {
        CofSink {
            out: BufWriter::with_capacity(1 << 20, w),
        }
    }
}

#[derive(Serialize)]
struct Cof<'a> {
    rrname: String,
    rrtype: &'a str,
    rdata: String,
    time_first: i64,
    time_last: i64,
    count: u64,
    bailiwick: String,
    sensor_id: &'a str,
}

/// A host name in absolute form (trailing dot), as COF producers write it.
fn absolute(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

impl<W: Write> Sink for CofSink<W> {
    fn write(&mut self, o: &Observation) -> io::Result<()> {
        let Observation::Dns {
            name,
            record_type,
            value,
            sensor,
            seen,
        } = o
        else {
            return Ok(());
        };
        let Some(w) = seen.window() else {
            return Ok(());
        };
        let rdata = match record_type.as_str() {
            "CNAME" | "NS" | "PTR" | "DNAME" => absolute(value),
            _ => value.clone(),
        };
        let bailiwick = registered_domain(name).unwrap_or_else(|| name.clone());
        let rec = Cof {
            rrname: absolute(name),
            rrtype: record_type,
            rdata,
            time_first: w.first.timestamp(),
            time_last: w.last.timestamp(),
            count: w.count,
            bailiwick: absolute(&bailiwick),
            sensor_id: sensor.as_deref().unwrap_or("sensor-00"),
        };
        serde_json::to_writer(&mut self.out, &rec)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
