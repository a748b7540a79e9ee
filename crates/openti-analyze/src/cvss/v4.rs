//! CVSS v4.0 score (specification section 8: macro vectors, the lookup table and the
//! interpolation by severity distance), following FIRST's reference calculator step by step so
//! that floating-point results agree with it to the last bit before the final rounding.

use super::v4_table::LOOKUP;
use super::{err, CvssError};

/// Every v4.0 metric in specification order, with its allowed values (mandatory ones first).
const METRICS: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];
const MANDATORY: usize = 11;

struct Vector<'a> {
    values: Vec<(&'static str, &'a str)>,
}

impl<'a> Vector<'a> {
    fn parse(body: &'a str) -> Result<Self, CvssError> {
        let mut values: Vec<(&'static str, &'a str)> = Vec::new();
        for part in body.split('/') {
            let (k, v) = part
                .split_once(':')
                .ok_or_else(|| err(format!("metric {part:?} has no value")))?;
            let (name, allowed) = METRICS
                .iter()
                .find(|(n, _)| *n == k)
                .ok_or_else(|| err(format!("unknown metric {k:?}")))?;
            if !allowed.contains(&v) {
                return Err(err(format!("invalid value {v:?} for {k}")));
            }
            if values.iter().any(|(n, _)| n == name) {
                return Err(err(format!("metric {k:?} given twice")));
            }
            values.push((name, v));
        }
        for (name, _) in &METRICS[..MANDATORY] {
            if !values.iter().any(|(n, _)| n == name) {
                return Err(err(format!("missing metric {name}")));
            }
        }
        Ok(Vector { values })
    }

    fn raw(&self, key: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, v)| *v)
            .unwrap_or("X")
    }

    /// Effective value: threat/requirement defaults to the worst case, modified metrics
    /// override base ones.
    fn m(&self, key: &str) -> &str {
        let selected = self.raw(key);
        match (key, selected) {
            ("E", "X") => return "A",
            ("CR" | "IR" | "AR", "X") => return "H",
            _ => {}
        }
        let modified = match key {
            "AV" => "MAV",
            "AC" => "MAC",
            "AT" => "MAT",
            "PR" => "MPR",
            "UI" => "MUI",
            "VC" => "MVC",
            "VI" => "MVI",
            "VA" => "MVA",
            "SC" => "MSC",
            "SI" => "MSI",
            "SA" => "MSA",
            _ => return selected,
        };
        match self.raw(modified) {
            "X" => selected,
            v => v,
        }
    }

    fn macro_vector(&self) -> [usize; 6] {
        let (av, pr, ui) = (self.m("AV"), self.m("PR"), self.m("UI"));
        let eq1 = if av == "N" && pr == "N" && ui == "N" {
            0
        } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
            1
        } else {
            2
        };
        let eq2 = if self.m("AC") == "L" && self.m("AT") == "N" {
            0
        } else {
            1
        };
        let (vc, vi, va) = (self.m("VC"), self.m("VI"), self.m("VA"));
        let eq3 = if vc == "H" && vi == "H" {
            0
        } else if vc == "H" || vi == "H" || va == "H" {
            1
        } else {
            2
        };
        let eq4 = if self.m("MSI") == "S" || self.m("MSA") == "S" {
            0
        } else if self.m("SC") == "H" || self.m("SI") == "H" || self.m("SA") == "H" {
            1
        } else {
            2
        };
        let eq5 = match self.m("E") {
            "P" => 1,
            "U" => 2,
            _ => 0,
        };
        let eq6 = if (self.m("CR") == "H" && vc == "H")
            || (self.m("IR") == "H" && vi == "H")
            || (self.m("AR") == "H" && va == "H")
        {
            0
        } else {
            1
        };
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }
}

fn lookup(eq: [usize; 6]) -> f64 {
    let [e1, e2, e3, e4, e5, e6] = eq;
    if e1 > 2 || e2 > 1 || e3 > 2 || e4 > 2 || e5 > 2 || e6 > 1 {
        return f64::NAN;
    }
    LOOKUP[((((e1 * 2 + e2) * 3 + e3) * 3 + e4) * 3 + e5) * 2 + e6]
}

/// Highest-severity vectors of each equivalence class (specification table 24-29).
fn max_vectors(
    eq: [usize; 6],
) -> (
    Vec<&'static str>,
    Vec<&'static str>,
    Vec<&'static str>,
    Vec<&'static str>,
) {
    let eq1: &[&[&str]] = &[
        &["AV:N/PR:N/UI:N/"],
        &["AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"],
        &["AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"],
    ];
    let eq2: &[&[&str]] = &[&["AC:L/AT:N/"], &["AC:H/AT:N/", "AC:L/AT:P/"]];
    let eq3eq6: &[&[&[&str]]] = &[
        &[
            &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"],
            &[
                "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/",
                "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/",
            ],
        ],
        &[
            &[
                "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/",
                "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/",
            ],
            &[
                "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/",
                "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/",
                "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/",
                "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/",
                "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/",
            ],
        ],
        &[&[], &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"]],
    ];
    let eq4: &[&[&str]] = &[
        &["SC:H/SI:S/SA:S/"],
        &["SC:H/SI:H/SA:H/"],
        &["SC:L/SI:L/SA:L/"],
    ];
    (
        eq1[eq[0]].to_vec(),
        eq2[eq[1]].to_vec(),
        eq3eq6[eq[2]][eq[5]].to_vec(),
        eq4[eq[3]].to_vec(),
    )
}

fn level(metric: &str, value: &str) -> f64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") => 0.1,
        ("VC" | "VI" | "VA", "N") => 0.2,
        ("SC", "H") => 0.1,
        ("SC", "L") => 0.2,
        ("SC", "N") => 0.3,
        ("SI" | "SA", "S") => 0.0,
        ("SI" | "SA", "H") => 0.1,
        ("SI" | "SA", "L") => 0.2,
        ("SI" | "SA", "N") => 0.3,
        ("CR" | "IR" | "AR", "H") => 0.0,
        ("CR" | "IR" | "AR", "M") => 0.1,
        ("CR" | "IR" | "AR", "L") => 0.2,
        _ => f64::NAN,
    }
}

fn extract<'a>(metric: &str, max_vector: &'a str) -> &'a str {
    max_vector
        .split('/')
        .find_map(|p| p.strip_prefix(metric).and_then(|r| r.strip_prefix(':')))
        .unwrap_or("")
}

const DISTANCE_METRICS: [&str; 14] = [
    "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
];

/// Score of a `CVSS:4.0/…` vector (CVSS-B, -BT, -BE or -BTE, depending on the metrics given).
pub fn score_v4(vector: &str) -> Result<f64, CvssError> {
    let body = vector
        .trim()
        .strip_prefix("CVSS:4.0/")
        .ok_or_else(|| err("expected CVSS:4.0/ prefix"))?;
    let v = Vector::parse(body)?;
    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|k| v.m(k) == "N")
    {
        return Ok(0.0);
    }
    let eq = v.macro_vector();
    let value = lookup(eq);
    let with = |i: usize, d: usize| {
        let mut e = eq;
        e[i] += d;
        e
    };
    let next_eq1 = lookup(with(0, 1));
    let next_eq2 = lookup(with(1, 1));
    let next_eq3eq6 = match (eq[2], eq[5]) {
        (1, 1) | (0, 1) => lookup(with(2, 1)),
        (1, 0) => lookup(with(5, 1)),
        (0, 0) => {
            let left = lookup(with(5, 1));
            let right = lookup(with(2, 1));
            // max() of the reference: the left value unless the right one is greater
            // (a NaN left stays NaN).
            if right > left {
                right
            } else {
                left
            }
        }
        _ => {
            let mut e = with(2, 1);
            e[5] += 1;
            lookup(e)
        }
    };
    let next_eq4 = lookup(with(3, 1));
    let next_eq5 = lookup(with(4, 1));

    let (m1, m2, m36, m4) = max_vectors(eq);
    let eq5_max = ["E:A/", "E:P/", "E:U/"][eq[4]];
    let mut distances = [0.0f64; 14];
    'search: for a in &m1 {
        for b in &m2 {
            for c in &m36 {
                for d in &m4 {
                    let max = format!("{a}{b}{c}{d}{eq5_max}");
                    for (i, metric) in DISTANCE_METRICS.iter().enumerate() {
                        distances[i] =
                            level(metric, v.m(metric)) - level(metric, extract(metric, &max));
                    }
                    if !distances.iter().any(|d| *d < 0.0) {
                        break 'search;
                    }
                }
            }
        }
    }
    let [av, pr, ui, ac, at, vc, vi, va, sc, si, sa, cr, ir, ar] = distances;
    let current_eq1 = av + pr + ui;
    let current_eq2 = ac + at;
    let current_eq3eq6 = vc + vi + va + cr + ir + ar;
    let current_eq4 = sc + si + sa;
    let step = 0.1;
    let max_sev_eq1 = [1.0, 4.0, 5.0][eq[0]] * step;
    let max_sev_eq2 = [1.0, 2.0][eq[1]] * step;
    let max_sev_eq3eq6 = match (eq[2], eq[5]) {
        (0, 0) => 7.0,
        (0, _) => 6.0,
        (1, _) => 8.0,
        _ => 10.0,
    } * step;
    let max_sev_eq4 = [6.0, 5.0, 4.0][eq[3]] * step;

    let mut n_lower = 0u32;
    let mut normalized = [0.0f64; 5];
    let parts = [
        (value - next_eq1, current_eq1, max_sev_eq1),
        (value - next_eq2, current_eq2, max_sev_eq2),
        (value - next_eq3eq6, current_eq3eq6, max_sev_eq3eq6),
        (value - next_eq4, current_eq4, max_sev_eq4),
    ];
    for (i, (available, current, max_sev)) in parts.iter().enumerate() {
        if *available >= 0.0 {
            n_lower += 1;
            normalized[i] = available * (current / max_sev);
        }
    }
    if value - next_eq5 >= 0.0 {
        n_lower += 1;
        normalized[4] = (value - next_eq5) * 0.0;
    }
    let mean = if n_lower == 0 {
        0.0
    } else {
        (normalized[0] + normalized[1] + normalized[2] + normalized[3] + normalized[4])
            / f64::from(n_lower)
    };
    let score = (value - mean).clamp(0.0, 10.0);
    Ok(round_half_up_exact(score + 1e-6))
}

/// Rounds the exact binary value of a non-negative `f64` to one decimal, halves up.
fn round_half_up_exact(y: f64) -> f64 {
    if y.is_nan() || y <= 0.0 {
        return 0.0;
    }
    let bits = y.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (mant, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp - 1075)
    };
    if e >= 0 {
        return y;
    }
    let k = (-e) as u32;
    if k > 120 {
        return 0.0;
    }
    let ten_m = u128::from(mant) * 10;
    let q = ten_m >> k;
    let r = ten_m - (q << k);
    let q = if 2 * r >= (1u128 << k) { q + 1 } else { q };
    q as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_examples() {
        let s = |v: &str| score_v4(v).unwrap();
        assert_eq!(
            s("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"),
            10.0
        );
        assert_eq!(
            s("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            8.5
        );
        assert_eq!(
            s("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"),
            8.1
        );
        assert!(score_v4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N").is_err());
        assert!(
            score_v4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N").is_err()
        );
    }

    #[test]
    fn exact_rounding() {
        assert_eq!(round_half_up_exact(4.25), 4.3);
        assert_eq!(round_half_up_exact(4.249999), 4.2);
        assert_eq!(round_half_up_exact(0.0), 0.0);
        assert_eq!(round_half_up_exact(9.95), 9.9); // 9.95 is 9.949999… in binary
    }
}
