//! Turning vulnerability-source paths into pipeline inputs: a digest (SHA-256 of the bytes, for
//! a cvelistV5 directory of every file's relative path and bytes) and a record stream produced
//! on a worker thread.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{cve5, exploitdb, kev, nvd};
use crate::jsonstream::{spawn_records, stream_array, CountingReader, ThreadRecords};
use crate::pipeline::Record;

/// Version of the vulnerability mappings; part of every digest.
pub const MAPPING_VERSION: &str = "openti-vuln-1";

/// The vulnerability formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VulnFormat {
    /// CVE JSON 5 records (file or cvelistV5 directory).
    Cve,
    /// NVD API 2.0 JSON.
    Nvd,
    /// CISA KEV, JSON or CSV (by extension).
    Kev,
    /// Exploit-DB `files_exploits.csv`.
    ExploitDb,
}

/// One pipeline input.
#[derive(Debug, Clone)]
pub struct VulnInput {
    /// Display name (the path given).
    pub name: String,
    /// Batch digest.
    pub digest: String,
    /// Total bytes (for progress).
    pub size: u64,
    format: VulnFormat,
    files: Vec<PathBuf>,
}

fn cve_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            cve_files(&p, out)?;
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("CVE-") && n.ends_with(".json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

fn file_digest(p: &Path) -> Result<(String, u64), String> {
    let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let d = crate::pipeline::digest_reader(f).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok((d, size))
}

/// One input per path (a directory is one input of all its `CVE-*.json` files).
pub fn inputs(format: VulnFormat, paths: &[PathBuf]) -> Result<Vec<VulnInput>, String> {
    let mut out = Vec::new();
    for p in paths {
        let mut files = Vec::new();
        if p.is_dir() {
            if format != VulnFormat::Cve {
                return Err(format!(
                    "{}: a directory is only accepted for CVE JSON 5 trees",
                    p.display()
                ));
            }
            cve_files(p, &mut files).map_err(|e| format!("{}: {e}", p.display()))?;
            files.sort();
        } else {
            files.push(p.clone());
        }
        let mut h = Sha256::new();
        h.update(format!("{MAPPING_VERSION}:{format:?}").as_bytes());
        let mut size = 0;
        for f in &files {
            let (d, s) = file_digest(f)?;
            let rel = f.strip_prefix(p).unwrap_or(f);
            h.update(format!("\n{}:{d}", rel.display()).as_bytes());
            size += s;
        }
        out.push(VulnInput {
            name: p.display().to_string(),
            digest: hex::encode(h.finalize()),
            size,
            format,
            files,
        });
    }
    Ok(out)
}

fn is_csv(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

type Emit<'a> = &'a mut dyn FnMut(Record) -> bool;

fn stream_json(
    path: &Path,
    key: &str,
    emit: Emit<'_>,
    map: fn(&str) -> Result<Option<openti_model::Observation>, String>,
) -> Result<(), String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let count = Arc::new(AtomicU64::new(0));
    stream_array(
        CountingReader::new(f, Arc::clone(&count)),
        key,
        |position, raw| {
            let rec = Record {
                position,
                consumed: count.load(Ordering::Relaxed),
                outcome: map(raw.get()).map(|o| o.map(|o| vec![o])).transpose(),
            };
            if emit(rec) {
                Ok(())
            } else {
                Err("stopped".into())
            }
        },
    )
    .map(|_| ())
    .map_err(|e| format!("{}: {e}", path.display()))
}

fn stream_csv<T: serde::de::DeserializeOwned>(
    path: &Path,
    emit: Emit<'_>,
    map: impl Fn(T) -> Result<Option<Vec<openti_model::Observation>>, String>,
) -> Result<(), String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let count = Arc::new(AtomicU64::new(0));
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(CountingReader::new(f, Arc::clone(&count)));
    let mut rec = csv::StringRecord::new();
    let headers = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                let outcome = rec
                    .deserialize::<T>(Some(&headers))
                    .map_err(|e| format!("invalid row: {e}"))
                    .and_then(&map)
                    .transpose();
                if !emit(Record {
                    position: line,
                    consumed: count.load(Ordering::Relaxed),
                    outcome,
                }) {
                    return Ok(());
                }
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
}

impl VulnInput {
    /// The input's records, produced on a worker thread.
    pub fn records(&self) -> ThreadRecords {
        let me = self.clone();
        spawn_records(move |emit| {
            for (i, path) in me.files.iter().enumerate() {
                match me.format {
                    VulnFormat::Cve => {
                        let mut text = String::new();
                        let read =
                            std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text));
                        let outcome = match read {
                            Err(e) => Some(Err(format!("{}: {e}", path.display()))),
                            Ok(n) => {
                                let _ = n;
                                cve5::map_record(&text)
                                    .map(|o| o.map(|o| vec![o]))
                                    .map_err(|e| format!("{}: {e}", path.display()))
                                    .transpose()
                            }
                        };
                        if !emit(Record {
                            position: i as u64 + 1,
                            consumed: 0,
                            outcome,
                        }) {
                            return Ok(());
                        }
                    }
                    VulnFormat::Nvd => stream_json(path, "vulnerabilities", emit, nvd::map_item)?,
                    VulnFormat::Kev if is_csv(path) => {
                        stream_csv(path, emit, |e: kev::KevEntry| {
                            kev::map_entry(e).map(|o| Some(vec![o]))
                        })?
                    }
                    VulnFormat::Kev => stream_json(path, "vulnerabilities", emit, kev::map_json)?,
                    VulnFormat::ExploitDb => stream_csv(path, emit, exploitdb::map_row)?,
                }
            }
            Ok(())
        })
    }
}
