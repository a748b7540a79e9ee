//! The allocation-light path from a DNS message to its collectable answers.
//!
//! [`scan_answers`] validates a message exactly as [`parse`](super::parse) does (header,
//! every question, every answer record and its data) and classifies it as
//! [`collect_answers`](super::collect_answers) does, but writes the answers' names and values
//! into one reusable text buffer instead of a `String` per name: a resolver's stream costs no
//! allocation per message for A and AAAA answers. Tests check both paths agree on every input.

use std::fmt::Write;

use super::rdata::{parse_rdata, push_ipv4, RData};
use super::wire::{parse_header, rtype, type_name, Cursor, WireError};
use super::Verdict;

/// Answers of one message: names and values in one text buffer.
#[derive(Debug, Default)]
pub struct ScannedAnswers {
    text: String,
    /// (name end, type, value end) per answer; each name starts where the previous value ended.
    spans: Vec<(usize, &'static str, usize)>,
    /// Question names (validated, then dropped).
    question: String,
}

impl ScannedAnswers {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers held.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// `(name, type, value)` of each answer, in message order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &'static str, &str)> + '_ {
        let mut start = 0;
        self.spans.iter().map(move |&(name_end, rtype, value_end)| {
            let name = &self.text[start..name_end];
            let value = &self.text[name_end..value_end];
            start = value_end;
            (name, rtype, value)
        })
    }

    fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }
}

/// Validates `buf` as a DNS message and, for a NOERROR response, puts its answers of collected
/// types and class IN into `out` (cleared first). The outcome equals
/// `parse(buf).map(|m| collect_answers(m, …))`.
pub fn scan_answers(buf: &[u8], out: &mut ScannedAnswers) -> Result<Verdict, WireError> {
    out.clear();
    let header = parse_header(buf)?;
    let mut c = Cursor::new(buf, 12);
    for _ in 0..header.qdcount {
        out.question.clear();
        c.name_into(&mut out.question)?;
        c.u16()?;
        c.u16()?;
    }
    let keep = header.is_response() && header.opcode() == 0 && header.rcode() == 0;
    for _ in 0..header.ancount {
        let start = out.text.len();
        c.name_into(&mut out.text)?;
        let name_end = out.text.len();
        let rt = c.u16()?;
        let class = c.u16()?;
        c.u32()?;
        let rdlen = usize::from(c.u16()?);
        let data_start = c.pos();
        let data = c.bytes(rdlen)?;
        let kept = if keep && class == 1 {
            type_name(rt)
        } else {
            None
        };
        match (kept, rt, data.len()) {
            // the common records: validated and rendered without a temporary value
            (Some(t), rtype::A, 4) => {
                push_ipv4(&mut out.text, [data[0], data[1], data[2], data[3]]);
                out.spans.push((name_end, t, out.text.len()));
                continue;
            }
            (Some(t), rtype::AAAA, 16) => {
                let mut a = [0u8; 16];
                a.copy_from_slice(data);
                let _ = write!(out.text, "{}", std::net::Ipv6Addr::from(a));
                out.spans.push((name_end, t, out.text.len()));
                continue;
            }
            _ => {}
        }
        let data = parse_rdata(buf, rt, data_start, c.pos())?;
        match kept {
            Some(t) => {
                match data {
                    RData::Name(n) => out.text.push_str(&n),
                    RData::Mx { exchange, .. } => out.text.push_str(&exchange),
                    RData::Srv { target, .. } => out.text.push_str(&target),
                    other => out.text.push_str(&other.value()),
                }
                out.spans.push((name_end, t, out.text.len()));
            }
            None => out.text.truncate(start),
        }
    }
    Ok(if !header.is_response() {
        Verdict::Query
    } else if !keep {
        Verdict::NotNoError
    } else {
        Verdict::NoError
    })
}
