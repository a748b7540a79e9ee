//! CVSS v2 base score (CVSS v2 guide, section 3.2.1).

use super::fixed::Fx;
use super::{err, get, metrics, CvssError};

const KNOWN: &[&str] = &[
    "AV", "AC", "Au", "C", "I", "A", "E", "RL", "RC", "CDP", "TD", "CR", "IR", "AR",
];

fn pick(m: &[(&str, &str)], key: &str, table: &[(&str, i128)]) -> Result<Fx, CvssError> {
    let v = get(m, key).ok_or_else(|| err(format!("missing metric {key}")))?;
    table
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, x)| Fx::milli(*x))
        .ok_or_else(|| err(format!("invalid value {v:?} for {key}")))
}

/// Base score of a CVSS v2 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, optionally in parentheses;
/// temporal and environmental metrics are accepted and ignored).
pub fn score_v2(vector: &str) -> Result<f64, CvssError> {
    let body = vector.trim().trim_start_matches('(').trim_end_matches(')');
    let m = metrics(body, KNOWN)?;
    let av = pick(&m, "AV", &[("L", 395), ("A", 646), ("N", 1000)])?;
    let ac = pick(&m, "AC", &[("H", 350), ("M", 610), ("L", 710)])?;
    let au = pick(&m, "Au", &[("M", 450), ("S", 560), ("N", 704)])?;
    let cia = [("N", 0), ("P", 275), ("C", 660)];
    let c = pick(&m, "C", &cia)?;
    let i = pick(&m, "I", &cia)?;
    let a = pick(&m, "A", &cia)?;
    let one = Fx::int(1);
    // Impact = 10.41 × (1 − (1−C)(1−I)(1−A))
    let impact = Fx::milli(10410).mul(one.sub(one.sub(c).mul(one.sub(i)).mul(one.sub(a))));
    // Exploitability = 20 × AV × AC × Au
    let exploitability = Fx::int(20).mul(av).mul(ac).mul(au);
    let f = if impact == Fx::int(0) {
        Fx::int(0)
    } else {
        Fx::milli(1176)
    };
    let base = Fx::milli(600)
        .mul(impact)
        .add(Fx::milli(400).mul(exploitability))
        .sub(Fx::milli(1500))
        .mul(f);
    if base < Fx::int(0) {
        return Ok(0.0);
    }
    Ok(base.round_half_up_tenth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_examples() {
        // CVSS v2 guide examples (CVE-2002-0392, CVE-2003-0818, CVE-2003-0062).
        assert_eq!(score_v2("AV:N/AC:L/Au:N/C:N/I:N/A:C").unwrap(), 7.8);
        assert_eq!(score_v2("AV:N/AC:L/Au:N/C:C/I:C/A:C").unwrap(), 10.0);
        assert_eq!(score_v2("AV:L/AC:H/Au:N/C:C/I:C/A:C").unwrap(), 6.2);
        assert_eq!(score_v2("(AV:N/AC:L/Au:N/C:N/I:N/A:N)").unwrap(), 0.0);
        assert!(score_v2("AV:N/AC:L/Au:N/C:N/I:N").is_err());
        assert!(score_v2("AV:X/AC:L/Au:N/C:N/I:N/A:N").is_err());
    }
}
