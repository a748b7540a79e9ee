//! CVSS v3.0 and v3.1 base scores (CVSS v3.1 specification, section 7.1).

use super::fixed::Fx;
use super::{err, get, metrics, CvssError};

const KNOWN: &[&str] = &[
    "AV", "AC", "PR", "UI", "S", "C", "I", "A", "E", "RL", "RC", "CR", "IR", "AR", "MAV", "MAC",
    "MPR", "MUI", "MS", "MC", "MI", "MA",
];

fn value<'a>(m: &[(&'a str, &'a str)], key: &str) -> Result<&'a str, CvssError> {
    get(m, key).ok_or_else(|| err(format!("missing metric {key}")))
}

fn pick(m: &[(&str, &str)], key: &str, table: &[(&str, i128)]) -> Result<Fx, CvssError> {
    let v = value(m, key)?;
    table
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, x)| Fx::milli(*x))
        .ok_or_else(|| err(format!("invalid value {v:?} for {key}")))
}

/// Base score of a `CVSS:3.0/…` or `CVSS:3.1/…` vector. Both versions share the base
/// formula; the scores are computed exactly and rounded up to one decimal (v3.1's `Roundup`
/// is the exact-decimal form of v3.0's).
pub fn score_v3(vector: &str) -> Result<f64, CvssError> {
    let v = vector.trim();
    let body = v
        .strip_prefix("CVSS:3.1/")
        .or_else(|| v.strip_prefix("CVSS:3.0/"))
        .ok_or_else(|| err("expected CVSS:3.0/ or CVSS:3.1/ prefix"))?;
    let m = metrics(body, KNOWN)?;
    let changed = match value(&m, "S")? {
        "U" => false,
        "C" => true,
        other => return Err(err(format!("invalid value {other:?} for S"))),
    };
    let av = pick(&m, "AV", &[("N", 850), ("A", 620), ("L", 550), ("P", 200)])?;
    let ac = pick(&m, "AC", &[("L", 770), ("H", 440)])?;
    let pr = if changed {
        pick(&m, "PR", &[("N", 850), ("L", 680), ("H", 500)])?
    } else {
        pick(&m, "PR", &[("N", 850), ("L", 620), ("H", 270)])?
    };
    let ui = pick(&m, "UI", &[("N", 850), ("R", 620)])?;
    let cia = [("H", 560), ("L", 220), ("N", 0)];
    let c = pick(&m, "C", &cia)?;
    let i = pick(&m, "I", &cia)?;
    let a = pick(&m, "A", &cia)?;
    let one = Fx::int(1);
    let iss = one.sub(one.sub(c).mul(one.sub(i)).mul(one.sub(a)));
    let impact = if changed {
        Fx::milli(7520)
            .mul(iss.sub(Fx::milli(29)))
            .sub(Fx::milli(3250).mul(iss.sub(Fx::milli(20)).pow(15)))
    } else {
        Fx::milli(6420).mul(iss)
    };
    let exploitability = Fx::milli(8220).mul(av).mul(ac).mul(pr).mul(ui);
    if impact <= Fx::int(0) {
        return Ok(0.0);
    }
    let sum = impact.add(exploitability);
    let raw = if changed {
        Fx::milli(1080).mul(sum).min(Fx::int(10))
    } else {
        sum.min(Fx::int(10))
    };
    Ok(raw.round_up_tenth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert_eq!(
            score_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap(),
            9.8
        );
        assert_eq!(
            score_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N").unwrap(),
            6.1
        );
        assert_eq!(
            score_v3("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N").unwrap(),
            0.0
        );
        assert!(score_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H").is_err());
    }
}
