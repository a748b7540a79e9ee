//! dnstap output: one Frame Streams file of `CLIENT_RESPONSE` messages, one per generated DNS
//! observation, written with the dnstap and DNS-message writers of `openti-ingest` (the same
//! ones `openti bench dnstap` uses), so `openti import dnstap` reads it back.

use std::io::{self, BufWriter, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use openti_ingest::dns::build::{MessageBuilder, RESPONSE_FLAGS};
use openti_ingest::dns::rdata::RData;
use openti_ingest::dns::wire::rtype;
use openti_ingest::dnstap::client_response_frame;
use openti_ingest::dnstap::framestream::{
    encode_control, encode_data, Control, ControlType, DNSTAP_CONTENT_TYPE,
};
use openti_model::Observation;

use super::Sink;

/// Frame Streams dnstap writer. A DNS observation becomes one response message (question and
/// one answer) stamped with the observation's last-seen time; its `count` is not repeated
/// (a dnstap message is one sighting). Other kinds are skipped.
pub struct DnstapSink<W: Write> {
    out: BufWriter<W>,
    started: bool,
    id: u16,
    payload: Vec<u8>,
    frame: Vec<u8>,
}

impl<W: Write> DnstapSink<W> {
    /// A sink writing to `w` (buffered).
    pub fn new(w: W) -> Self {
        DnstapSink {
            out: BufWriter::with_capacity(1 << 20, w),
            started: false,
            id: 0,
            payload: Vec::with_capacity(512),
            frame: Vec::with_capacity(512),
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            let start = Control::new(ControlType::Start, Some(DNSTAP_CONTENT_TYPE));
            self.out.write_all(&encode_control(&start))?;
        }
        Ok(())
    }
}

/// The question type and answer data of a generated record; `None` for types not produced.
fn answer(rtype_name: &str, value: &str) -> Option<(u16, RData)> {
    Some(match rtype_name {
        "A" => (rtype::A, RData::A(value.parse::<Ipv4Addr>().ok()?)),
        "AAAA" => (rtype::AAAA, RData::Aaaa(value.parse::<Ipv6Addr>().ok()?)),
        "CNAME" => (rtype::CNAME, RData::Name(value.to_string())),
        "NS" => (rtype::NS, RData::Name(value.to_string())),
        "MX" => {
            let (pref, host) = value.trim().split_once(' ')?;
            (
                rtype::MX,
                RData::Mx {
                    preference: pref.parse().ok()?,
                    exchange: host.trim_end_matches('.').to_string(),
                },
            )
        }
        "TXT" => (
            rtype::TXT,
            RData::Txt(vec![value.trim_matches('"').as_bytes().to_vec()]),
        ),
        _ => return None,
    })
}

impl<W: Write> Sink for DnstapSink<W> {
    fn write(&mut self, o: &Observation) -> io::Result<()> {
        self.start()?;
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
        let (Some(w), Some((rt, data))) = (seen.window(), answer(record_type, value)) else {
            return Ok(());
        };
        self.id = self.id.wrapping_add(1);
        let mut b = MessageBuilder::new(self.id, RESPONSE_FLAGS);
        b.question(name, rt);
        b.answer(name, rt, 300, &data);
        // Clients in the documentation range 192.0.2.0/24.
        let client = [192, 0, 2, (self.id % 254 + 1) as u8];
        let identity = sensor.as_deref().map(str::as_bytes);
        self.payload.clear();
        client_response_frame(
            identity,
            &b.finish(),
            w.last,
            client,
            1024 + self.id % 60_000,
            &mut self.payload,
        );
        self.frame.clear();
        encode_data(&self.payload, &mut self.frame);
        self.out.write_all(&self.frame)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.out
            .write_all(&encode_control(&Control::new(ControlType::Stop, None)))?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use openti_ingest::dns::{collect_answers, parse, Verdict};
    use openti_ingest::dnstap::framestream::{FrameKind, FrameReader, DEFAULT_MAX_FRAME};
    use openti_ingest::dnstap::response_of;

    use crate::gen::{generate_to, Format, GenConfig};

    #[test]
    fn every_dns_observation_reads_back_as_one_answer() {
        let cfg = GenConfig::for_rows(2000, 3);
        let mut bytes = Vec::new();
        let summary = generate_to(&cfg, Format::Dnstap, &mut bytes).unwrap();
        let mut r = FrameReader::new(&bytes[..], DEFAULT_MAX_FRAME);
        let (mut buf, mut answers) = (Vec::new(), Vec::new());
        let mut n = 0u64;
        while let Some(k) = r.read_into(&mut buf).unwrap() {
            if k != FrameKind::Data {
                continue;
            }
            let resp = response_of(&buf).unwrap().expect("a response message");
            let m = parse(resp.wire).unwrap();
            assert_eq!(collect_answers(m, &mut answers), Verdict::NoError);
            assert_eq!(answers.len(), 1);
            answers.clear();
            n += 1;
        }
        assert_eq!(n, summary.dns);
    }
}
