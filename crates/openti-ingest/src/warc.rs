//! WARC reader (ISO 28500, WARC/1.0 and 1.1; plain or gzip members as in Common Crawl).
//!
//! Every `response` record with an HTTP payload goes through the same page analyser as the
//! live crawler (`openti-analyze::web`): a 3xx with `Location` yields a `redirect` host pair
//! and its cookies; anything else yields host pairs, cookies, trackers and components. The
//! record's `WARC-Date` is the observation time. Other record types (warcinfo, request,
//! metadata, WAT/WET conversions) yield nothing.

use std::io::{BufRead, BufReader, Read};

use chrono::{DateTime, Utc};
use openti_analyze::web::{cause, host_of, parse_set_cookie, Analyzer, Page, PageFacts};
use openti_model::Observation;
use url::Url;

use crate::pipeline::Record;

/// One WARC record: its headers and block.
#[derive(Debug, Clone, Default)]
pub struct WarcRecord {
    /// Header fields (names as written).
    pub headers: Vec<(String, String)>,
    /// The block (Content-Length bytes).
    pub block: Vec<u8>,
}

impl WarcRecord {
    /// A header value (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads WARC records from a (possibly gzip-compressed) stream.
pub struct WarcReader {
    inner: Box<dyn BufRead + Send>,
    consumed: u64,
}

impl WarcReader {
    /// Wraps a reader; gzip (one member per record or a single member) is detected by magic.
    pub fn new(r: impl Read + Send + 'static) -> std::io::Result<WarcReader> {
        let mut br = BufReader::with_capacity(1 << 16, r);
        let gz = br.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        let inner: Box<dyn BufRead + Send> = if gz {
            Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(br)))
        } else {
            Box::new(br)
        };
        Ok(WarcReader { inner, consumed: 0 })
    }

    fn line(&mut self) -> std::io::Result<Option<String>> {
        let mut buf = Vec::new();
        let n = self.inner.read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.consumed += n as u64;
        Ok(Some(
            String::from_utf8_lossy(&buf)
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        ))
    }

    /// The next record, `None` at the end.
    pub fn next_record(&mut self) -> std::io::Result<Option<WarcRecord>> {
        // skip blank lines between records
        let version = loop {
            match self.line()? {
                None => return Ok(None),
                Some(l) if l.trim().is_empty() => continue,
                Some(l) => break l,
            }
        };
        if !version.starts_with("WARC/") {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "expected a WARC/ version line, found {:?}",
                    version.chars().take(40).collect::<String>()
                ),
            ));
        }
        let mut rec = WarcRecord::default();
        while let Some(l) = self.line()? {
            if l.is_empty() {
                break;
            }
            if let Some((n, v)) = l.split_once(':') {
                rec.headers
                    .push((n.trim().to_string(), v.trim().to_string()));
            }
        }
        let len: u64 = rec
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut block = Vec::new();
        (&mut self.inner).take(len).read_to_end(&mut block)?;
        self.consumed += block.len() as u64;
        rec.block = block;
        Ok(Some(rec))
    }

    /// Decompressed bytes consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }
}

/// An HTTP response parsed from a WARC block.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body (de-chunked and decompressed when the headers say so).
    pub body: Vec<u8>,
}

/// Parses an HTTP/1.x response message.
pub fn parse_http(block: &[u8]) -> Option<HttpResponse> {
    let split = block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, p + 4))
        .or_else(|| {
            block
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|p| (p, p + 2))
        })?;
    let head = String::from_utf8_lossy(&block[..split.0]);
    let mut lines = head.lines();
    let status_line = lines.next()?;
    if !status_line.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let mut body = block[split.1..].to_vec();
    if get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        if let Some(b) = dechunk(&body) {
            body = b;
        }
    }
    match get("content-encoding").as_deref() {
        Some("gzip") | Some("x-gzip") => {
            let mut out = Vec::new();
            if flate2::read::MultiGzDecoder::new(&body[..])
                .read_to_end(&mut out)
                .is_ok()
            {
                body = out;
            }
        }
        Some("deflate") => {
            let mut out = Vec::new();
            if flate2::read::ZlibDecoder::new(&body[..])
                .read_to_end(&mut out)
                .is_ok()
            {
                body = out;
            }
        }
        _ => {}
    }
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..nl]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[nl + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..).unwrap_or(&[]);
    }
}

/// The observations of one record (`None`: the record carries no page).
pub fn analyze_record(
    rec: &WarcRecord,
    analyzer: &Analyzer,
) -> Option<Result<Vec<Observation>, String>> {
    if !rec.header("warc-type")?.eq_ignore_ascii_case("response") {
        return None;
    }
    let target = rec
        .header("warc-target-uri")?
        .trim_matches(|c| c == '<' || c == '>');
    let url = match Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(_) => return None,
        Err(e) => return Some(Err(format!("WARC-Target-URI {target:?}: {e}"))),
    };
    let time: DateTime<Utc> = match rec.header("warc-date").map(DateTime::parse_from_rfc3339) {
        Some(Ok(t)) => t.with_timezone(&Utc),
        Some(Err(e)) => return Some(Err(format!("WARC-Date: {e}"))),
        None => return Some(Err("missing WARC-Date".into())),
    };
    let Some(resp) = parse_http(&rec.block) else {
        return Some(Err(format!("{url}: the block is not an HTTP response")));
    };
    let location = resp
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("location"))
        .and_then(|(_, v)| url.join(v).ok());
    let facts = match location {
        Some(next) if (300..400).contains(&resp.status) => {
            let mut f = PageFacts {
                host: host_of(&url),
                ..PageFacts::default()
            };
            f.add_pair(&host_of(&url), &host_of(&next), cause::REDIRECT);
            f.cookies = resp
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
                .filter_map(|(_, v)| parse_set_cookie(v))
                .collect();
            f
        }
        _ => analyzer.analyze(
            &Page {
                url,
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
                cert_issuer: None,
            },
            None,
        ),
    };
    let mut ok = Vec::new();
    let mut first_error = None;
    for o in facts.observations(time) {
        match o.normalize() {
            Ok(o) => ok.push(o),
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    match first_error {
        Some(e) if ok.is_empty() => Some(Err(e)),
        _ => Some(Ok(ok)),
    }
}

/// Records for [`ingest_records`](crate::ingest_records): one per WARC record.
pub fn records<'a>(
    mut reader: WarcReader,
    analyzer: &'a Analyzer,
) -> impl Iterator<Item = Result<Record, std::io::Error>> + Send + 'a {
    let mut position = 0u64;
    std::iter::from_fn(move || match reader.next_record() {
        Ok(None) => None,
        Ok(Some(rec)) => {
            position += 1;
            Some(Ok(Record {
                position,
                consumed: reader.consumed(),
                outcome: analyze_record(&rec, analyzer),
            }))
        }
        Err(e) => Some(Err(e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_parsing() {
        let b = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        let r = parse_http(b).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello");
    }

    #[test]
    fn reads_records() {
        let body = "HTTP/1.1 302 Found\r\nLocation: https://b.example.test/\r\nSet-Cookie: s=1; Domain=.a.example.test\r\n\r\n";
        let warc = format!(
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://a.example.test/\r\nWARC-Date: 2024-01-01T00:00:00Z\r\nContent-Length: {}\r\n\r\n{}\r\n\r\n",
            body.len(),
            body
        );
        let mut r = WarcReader::new(std::io::Cursor::new(warc.into_bytes())).unwrap();
        let rec = r.next_record().unwrap().unwrap();
        let obs = analyze_record(&rec, &Analyzer::default()).unwrap().unwrap();
        assert_eq!(obs.len(), 2, "{obs:?}");
        assert!(r.next_record().unwrap().is_none());
    }
}
