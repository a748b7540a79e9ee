//! Reading STIX 2.0 / 2.1 bundles (a file, or every `*.json` under a directory) in two
//! streaming passes: pass 1 hashes every input and builds the [`StixIndex`]; pass 2 maps each
//! object to observations ([`map_object`]) and yields them as pipeline [`Record`]s (position =
//! the object's 1-based index in `objects`). Memory holds the index and one object at a time.
//!
//! Each file's batch digest combines its own SHA-256 with that of every input and the options,
//! because its observations depend on the whole index: re-importing the same inputs skips every
//! committed batch; a change anywhere re-applies everything, updating rows in place.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::index::{IndexObject, StixIndex};
use super::map::{map_object, MapOptions};
use crate::jsonstream::{spawn_records, stream_array, CountingReader, ThreadRecords};
use crate::pipeline::Record;

/// Version of the STIX mapping; part of every batch digest, so a changed mapping re-imports.
pub const MAPPING_VERSION: &str = "openti-stix-1";

/// The inputs of one `openti import stix` run, after pass 1.
pub struct StixInputs {
    /// Input files with their batch digests and sizes.
    pub files: Vec<(PathBuf, String, u64)>,
    /// The shared index.
    pub index: Arc<StixIndex>,
    /// Object ids not imported (revoked, unless included).
    pub skip: Arc<HashSet<String>>,
    /// Options.
    pub options: MapOptions,
}

/// Every input file under the given paths: files as given, directories searched recursively for
/// `*.json`, sorted for a stable order.
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("json"))
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

struct HashingReader<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Pass 1 over every input: digests and the index. A file that is not a JSON bundle (or array
/// of objects) is an error naming the file.
pub fn prepare(paths: &[PathBuf], options: MapOptions) -> Result<StixInputs, String> {
    let files = collect_files(paths).map_err(|e| format!("listing inputs: {e}"))?;
    let mut index = StixIndex::default();
    let mut own = Vec::new();
    for f in &files {
        let file = std::fs::File::open(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = HashingReader {
            inner: file,
            hash: Sha256::new(),
        };
        stream_array(&mut reader, "objects", |_, raw| {
            if let Ok(o) = serde_json::from_str::<IndexObject>(raw.get()) {
                index.add(o);
            }
            Ok(())
        })
        .map_err(|e| format!("{}: {e}", f.display()))?;
        // Drain what the parser did not need (trailing whitespace) so the digest covers all.
        std::io::copy(&mut reader, &mut std::io::sink())
            .map_err(|e| format!("{}: {e}", f.display()))?;
        own.push((hex::encode(reader.hash.finalize()), size));
    }
    let mut all = Sha256::new();
    all.update(MAPPING_VERSION.as_bytes());
    all.update(if options.include_revoked {
        b"+revoked"
    } else {
        b"-revoked"
    });
    for (d, _) in &own {
        all.update(d.as_bytes());
    }
    let all = hex::encode(all.finalize());
    let skip: HashSet<String> = if options.include_revoked {
        HashSet::new()
    } else {
        index.revoked.clone()
    };
    Ok(StixInputs {
        files: files
            .into_iter()
            .zip(own)
            .map(|(f, (d, size))| (f, hex::encode(Sha256::digest(format!("{all}:{d}"))), size))
            .collect(),
        index: Arc::new(index),
        skip: Arc::new(skip),
        options,
    })
}

impl StixInputs {
    /// Pass 2 over one file: its records, produced on a worker thread.
    pub fn records(&self, file: &Path) -> ThreadRecords {
        let ix = Arc::clone(&self.index);
        let skip = Arc::clone(&self.skip);
        let opts = self.options;
        let path = file.to_path_buf();
        spawn_records(move |emit| {
            let f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let count = Arc::new(AtomicU64::new(0));
            let reader = CountingReader::new(f, Arc::clone(&count));
            stream_array(reader, "objects", |position, raw| {
                let outcome = map_object(raw.get(), &ix, opts, &skip).transpose();
                let rec = Record {
                    position,
                    consumed: count.load(std::sync::atomic::Ordering::Relaxed),
                    outcome,
                };
                if emit(rec) {
                    Ok(())
                } else {
                    Err("stopped".into())
                }
            })
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", path.display()))
        })
    }
}
