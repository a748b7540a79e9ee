//! Streaming over the elements of a large JSON array without loading the document: serde's
//! `Deserializer` visits the top-level value, and the elements of the chosen array (a key of the
//! top-level object, e.g. `objects` in a STIX bundle or `vulnerabilities` in an NVD feed, or the
//! top-level array itself) are handed one at a time to a callback as raw JSON text, so one bad
//! element is reported with its position and does not stop the stream.
//!
//! [`spawn_records`] runs such a stream on a thread and exposes it as the iterator of
//! [`Record`]s the pipeline consumes, with the bytes read so far for progress.

use std::fmt;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::pipeline::Record;

/// A reader that counts the bytes it has delivered.
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> CountingReader<R> {
    /// Wraps `inner`; `count` receives the running total.
    pub fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        CountingReader { inner, count }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What the callback says after an element.
pub type Flow = Result<(), String>;

struct ArraySeed<'a, F> {
    sink: &'a mut F,
}

impl<'de, F: FnMut(u64, &RawValue) -> Flow> DeserializeSeed<'de> for ArraySeed<'_, F> {
    type Value = u64;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_seq(ArrayVisitor { sink: self.sink })
    }
}

struct ArrayVisitor<'a, F> {
    sink: &'a mut F,
}

impl<'de, F: FnMut(u64, &RawValue) -> Flow> Visitor<'de> for ArrayVisitor<'_, F> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0u64;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            n += 1;
            (self.sink)(n, &raw).map_err(de::Error::custom)?;
        }
        Ok(n)
    }
}

struct TopVisitor<'a, F> {
    key: &'a str,
    sink: &'a mut F,
}

impl<'de, F: FnMut(u64, &RawValue) -> Flow> Visitor<'de> for TopVisitor<'_, F> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with an array `{}`, or an array", self.key)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut n = 0;
        while let Some(k) = map.next_key::<String>()? {
            if k == self.key {
                n += map.next_value_seed(ArraySeed {
                    sink: &mut *self.sink,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(n)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<u64, A::Error> {
        ArrayVisitor { sink: self.sink }.visit_seq(seq)
    }
}

/// Streams the elements of array `key` of the top-level object (or of a top-level array) to
/// `sink(position, raw_json)`; returns the number of elements. A sink error stops the stream
/// and is returned as the error message.
pub fn stream_array<R: Read>(
    reader: R,
    key: &str,
    mut sink: impl FnMut(u64, &RawValue) -> Flow,
) -> Result<u64, String> {
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    let n = de::Deserializer::deserialize_any(
        &mut de,
        TopVisitor {
            key,
            sink: &mut sink,
        },
    )
    .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(n)
}

/// A running stream of records produced on a worker thread.
pub struct ThreadRecords {
    rx: Receiver<Result<Record, std::io::Error>>,
}

impl Iterator for ThreadRecords {
    type Item = Result<Record, std::io::Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
    }
}

/// Runs `work` on a thread; it emits records through the given function, which returns `false`
/// once the consumer has gone away (the work should then stop). A failure of `work` ends the
/// stream with an I/O error of kind `InvalidData`.
pub fn spawn_records<W>(work: W) -> ThreadRecords
where
    W: FnOnce(&mut dyn FnMut(Record) -> bool) -> Result<(), String> + Send + 'static,
{
    let (tx, rx) = sync_channel::<Result<Record, std::io::Error>>(512);
    std::thread::spawn(move || {
        let mut emit = |r: Record| tx.send(Ok(r)).is_ok();
        if let Err(e) = work(&mut emit) {
            let _ = tx.send(Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)));
        }
    });
    ThreadRecords { rx }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_the_named_array_and_ignores_the_rest() {
        let doc = br#"{"type":"bundle","id":"b","objects":[{"a":1},{"b":[2,3]},"x"],"tail":{"objects":[9]}}"#;
        let mut got = Vec::new();
        let n = stream_array(&doc[..], "objects", |i, raw| {
            got.push((i, raw.get().to_string()));
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 3);
        assert_eq!(got[1], (2, r#"{"b":[2,3]}"#.to_string()));
        let n = stream_array(&b"[1, 2]"[..], "objects", |_, _| Ok(())).unwrap();
        assert_eq!(n, 2);
        assert!(stream_array(&b"{\"objects\": [1,"[..], "objects", |_, _| Ok(())).is_err());
        let stop = stream_array(&b"[1,2,3]"[..], "x", |i, _| {
            if i == 2 {
                Err("stop".into())
            } else {
                Ok(())
            }
        });
        assert!(stop.unwrap_err().contains("stop"));
    }
}
