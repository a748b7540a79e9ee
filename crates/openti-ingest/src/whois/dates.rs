//! The date styles found in WHOIS text, to UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses a WHOIS date. Accepted: RFC 3339 (with or without offset or fraction),
/// `YYYY-MM-DD[ HH:MM:SS][ UTC|GMT|Z]`, `YYYY/MM/DD[ HH:MM:SS][ (JST)]` (JST = UTC+9),
/// `YYYY.MM.DD`, `YYYYMMDD` (registro.br, optionally followed by ` #…`), `DD-Mon-YYYY`
/// (Nominet), `DD.MM.YYYY`, `Mon DD YYYY` / `Www Mon DD YYYY` (DNS Belgium). Dates without a
/// time are midnight UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let jst = t.contains("JST");
    let cleaned: String = t
        .replace(['(', ')'], " ")
        .replace(" UTC", " ")
        .replace(" GMT", " ")
        .replace(" JST", " ")
        .replace(" CLST", " ")
        .replace(" CLT", " ");
    let cleaned = cleaned.split('#').next().unwrap_or("").trim().to_string();
    let cleaned = cleaned.trim_end_matches('Z').trim_end_matches('.').trim();
    let offset = if jst { 9 * 3600 } else { 0 };
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y/%m/%d %H:%M:%S",
        "%Y.%m.%d %H:%M:%S",
        "%d.%m.%Y %H:%M:%S",
        "%a %b %e %H:%M:%S %Y",
    ] {
        if let Ok(d) = DateTime::parse_from_str(cleaned, fmt) {
            return Some(d.with_timezone(&Utc));
        }
        if let Ok(n) = NaiveDateTime::parse_from_str(cleaned, fmt) {
            return local(n, offset);
        }
    }
    // Dates only: try the first one to four words.
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    for n in (1..=words.len().min(4)).rev() {
        let s = words[..n].join(" ");
        let s = s.trim_end_matches(['.', ',']);
        for fmt in [
            "%Y-%m-%d",
            "%Y/%m/%d",
            "%Y.%m.%d",
            "%Y%m%d",
            "%d-%b-%Y",
            "%d.%m.%Y",
            "%b %d %Y",
            "%a %b %d %Y",
            "%d %b %Y",
            "%Y. %m. %d",
        ] {
            if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
                if fmt == "%Y%m%d" && s.len() != 8 {
                    continue;
                }
                return local(d.and_hms_opt(0, 0, 0)?, if n == 1 { 0 } else { offset });
            }
        }
    }
    None
}

fn local(n: NaiveDateTime, offset_secs: i32) -> Option<DateTime<Utc>> {
    let tz = FixedOffset::east_opt(offset_secs)?;
    tz.from_local_datetime(&n)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        parse_date(s)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| format!("NONE({s})"))
    }

    #[test]
    fn styles() {
        assert_eq!(d("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05Z");
        assert_eq!(d("2024-01-02T03:04:05.0Z"), "2024-01-02T03:04:05Z");
        assert_eq!(d("2024-01-02T04:04:05+01:00"), "2024-01-02T03:04:05Z");
        assert_eq!(d("2024-01-02 03:04:05"), "2024-01-02T03:04:05Z");
        assert_eq!(d("2024-01-02"), "2024-01-02T00:00:00Z");
        assert_eq!(d("02-Jan-2024"), "2024-01-02T00:00:00Z");
        assert_eq!(d("2024/01/02"), "2024-01-02T00:00:00Z");
        assert_eq!(d("2024/01/02 09:00:00 (JST)"), "2024-01-02T00:00:00Z");
        assert_eq!(d("20240102 #123456"), "2024-01-02T00:00:00Z");
        assert_eq!(d("20240102"), "2024-01-02T00:00:00Z");
        assert_eq!(d("Tue Jan 2 2024"), "2024-01-02T00:00:00Z");
        assert_eq!(d("02.01.2024"), "2024-01-02T00:00:00Z");
        assert_eq!(d("2024.01.02 03:04:05"), "2024-01-02T03:04:05Z");
        assert_eq!(d("2024-01-02 03:04:05 UTC"), "2024-01-02T03:04:05Z");
        assert!(parse_date("yesterday").is_none());
        assert!(parse_date("").is_none());
    }
}
