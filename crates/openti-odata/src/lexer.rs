//! Hand-written lexer for OData expressions (`$filter`, `$orderby`, `$select`, `$expand`).
//!
//! Every token carries the byte offset where it starts so that errors can point at it.
//! Keywords (`eq`, `and`, `any`, `asc`, …) are lexed as identifiers; the parser gives them
//! meaning by position.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{ODataError, QueryOption};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A name: `title`, `eq`, `microsoft.graph.security.hostname`, `$it`.
    Ident(String),
    /// A single-quoted string with `''` unescaped.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// A decimal or exponent literal.
    Double(f64),
    /// A `DateTimeOffset` (or date, taken as midnight UTC) literal.
    DateTime(DateTime<Utc>),
    /// A qualified enum literal `namespace.enumType'member'`.
    Enum {
        /// Qualified type name as written.
        ty: String,
        /// Member name.
        member: String,
    },
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `/`
    Slash,
    /// `:`
    Colon,
    /// `;` (separates options inside `$expand(...)`)
    Semi,
    /// `=` (inside `$expand(...)`)
    Equals,
    /// End of input.
    End,
}

/// A token and its start offset (bytes) in the option value.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Kind and payload.
    pub kind: TokenKind,
    /// Byte offset of the first character.
    pub pos: usize,
    /// The source text of the token.
    pub text: String,
}

/// Longest input the lexer accepts (bytes); longer option values are refused outright.
pub const MAX_INPUT: usize = 8192;

/// Splits `src` into tokens, ending with [`TokenKind::End`].
pub fn tokenize(option: QueryOption, src: &str) -> Result<Vec<Token>, ODataError> {
    if src.len() > MAX_INPUT {
        return Err(ODataError::at(
            option,
            0,
            format!("the value is longer than {MAX_INPUT} characters"),
        ));
    }
    let mut lx = Lexer {
        option,
        src,
        bytes: src.as_bytes(),
        pos: 0,
        out: Vec::new(),
    };
    lx.run()?;
    Ok(lx.out)
}

struct Lexer<'a> {
    option: QueryOption,
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: Vec<Token>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Lexer<'_> {
    fn err(&self, pos: usize, msg: impl Into<String>) -> ODataError {
        ODataError::at(self.option, pos, msg)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.out.push(Token {
            kind,
            pos: start,
            text: self.src[start..self.pos].to_string(),
        });
    }

    fn peek(&self, off: usize) -> Option<u8> {
        self.bytes.get(self.pos + off).copied()
    }

    fn run(&mut self) -> Result<(), ODataError> {
        while let Some(b) = self.peek(0) {
            let start = self.pos;
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'(' | b')' | b',' | b'/' | b':' | b';' | b'=' => {
                    self.pos += 1;
                    let kind = match b {
                        b'(' => TokenKind::LParen,
                        b')' => TokenKind::RParen,
                        b',' => TokenKind::Comma,
                        b'/' => TokenKind::Slash,
                        b':' => TokenKind::Colon,
                        b';' => TokenKind::Semi,
                        _ => TokenKind::Equals,
                    };
                    self.push(kind, start);
                }
                b'\'' => {
                    let s = self.string()?;
                    self.push(TokenKind::Str(s), start);
                }
                b'-' | b'0'..=b'9' => self.number()?,
                _ if is_ident_start(b) => self.ident()?,
                _ => {
                    let ch = self.src[start..].chars().next().unwrap_or('?');
                    return Err(self.err(start, format!("unexpected character '{ch}'")));
                }
            }
        }
        self.out.push(Token {
            kind: TokenKind::End,
            pos: self.src.len(),
            text: String::new(),
        });
        Ok(())
    }

    /// A quoted string starting at the current `'`; `''` is an escaped quote.
    fn string(&mut self) -> Result<String, ODataError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut seg = self.pos;
        loop {
            match self.peek(0) {
                None => return Err(self.err(start, "unterminated string literal")),
                Some(b'\'') if self.peek(1) == Some(b'\'') => {
                    out.push_str(&self.src[seg..self.pos]);
                    out.push('\'');
                    self.pos += 2;
                    seg = self.pos;
                }
                Some(b'\'') => {
                    out.push_str(&self.src[seg..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn ident(&mut self) -> Result<(), ODataError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            while self.peek(0).is_some_and(is_ident_char) {
                self.pos += 1;
            }
            // Qualified names: `microsoft.graph.security.hostname`.
            if self.peek(0) == Some(b'.') && self.peek(1).is_some_and(is_ident_start) {
                self.pos += 1;
                continue;
            }
            break;
        }
        let name = self.src[start..self.pos].to_string();
        if self.peek(0) == Some(b'\'') && name.contains('.') {
            let member = self.string()?;
            self.push(TokenKind::Enum { ty: name, member }, start);
        } else {
            self.push(TokenKind::Ident(name), start);
        }
        Ok(())
    }

    fn number(&mut self) -> Result<(), ODataError> {
        let start = self.pos;
        // Scan the widest run that may form a number or a date/time.
        let mut end = self.pos + 1;
        while end < self.bytes.len()
            && matches!(
                self.bytes[end],
                b'0'..=b'9' | b'.' | b'-' | b'+' | b':' | b'T' | b'Z' | b'e' | b'E' | b't' | b'z'
            )
        {
            end += 1;
        }
        let run = &self.src[start..end];
        let digits_then_dash = run.len() > 4
            && run.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && run.as_bytes()[4] == b'-';
        if digits_then_dash {
            let t = parse_datetime(run).ok_or_else(|| {
                self.err(start, format!("invalid DateTimeOffset literal '{run}'"))
            })?;
            self.pos = end;
            self.push(TokenKind::DateTime(t), start);
            return Ok(());
        }
        // A plain number: sign, digits, fraction, exponent.
        let mut i = self.pos;
        if self.bytes[i] == b'-' {
            i += 1;
        }
        let int_start = i;
        while i < self.bytes.len() && self.bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == int_start {
            return Err(self.err(start, "'-' must be followed by a number"));
        }
        let mut is_double = false;
        if i + 1 < self.bytes.len() && self.bytes[i] == b'.' && self.bytes[i + 1].is_ascii_digit() {
            is_double = true;
            i += 1;
            while i < self.bytes.len() && self.bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
        if i < self.bytes.len() && matches!(self.bytes[i], b'e' | b'E') {
            let mut j = i + 1;
            if j < self.bytes.len() && matches!(self.bytes[j], b'+' | b'-') {
                j += 1;
            }
            let exp_start = j;
            while j < self.bytes.len() && self.bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j == exp_start {
                return Err(self.err(start, "incomplete exponent in number"));
            }
            is_double = true;
            i = j;
        }
        // Optional type suffixes of OData literals.
        let text = &self.src[start..i];
        if i < self.bytes.len() && matches!(self.bytes[i], b'd' | b'D' | b'f' | b'F' | b'm' | b'M')
        {
            is_double = true;
            i += 1;
        } else if i < self.bytes.len() && matches!(self.bytes[i], b'L' | b'l') && !is_double {
            i += 1;
        }
        if i < self.bytes.len() && (is_ident_char(self.bytes[i]) || self.bytes[i] == b'.') {
            return Err(self.err(start, format!("invalid number '{}'", &self.src[start..=i])));
        }
        self.pos = i;
        let kind = if is_double {
            let v: f64 = text
                .parse()
                .map_err(|_| self.err(start, format!("invalid number '{text}'")))?;
            if !v.is_finite() {
                return Err(self.err(start, format!("number '{text}' is out of range")));
            }
            TokenKind::Double(v)
        } else {
            TokenKind::Int(
                text.parse()
                    .map_err(|_| self.err(start, format!("integer '{text}' is out of range")))?,
            )
        };
        self.push(kind, start);
        Ok(())
    }
}

/// Parses an RFC 3339 date-time (any offset, converted to UTC) or a plain date (midnight UTC).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // OData allows omitting seconds: 2024-01-01T10:00Z.
    if let Some((date, rest)) = s.split_once('T') {
        if rest.len() >= 5 && rest.as_bytes()[2] == b':' && !rest[3..].contains(':') {
            let (hm, zone) = rest.split_at(5);
            let with_secs = format!("{date}T{hm}:00{zone}");
            if let Ok(t) = DateTime::parse_from_rfc3339(&with_secs) {
                return Some(t.with_timezone(&Utc));
            }
        }
        return None;
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<TokenKind> {
        tokenize(QueryOption::Filter, s)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn strings_unescape_doubled_quotes() {
        assert_eq!(
            kinds("'it''s'"),
            vec![TokenKind::Str("it's".into()), TokenKind::End]
        );
        assert_eq!(
            kinds("''"),
            vec![TokenKind::Str(String::new()), TokenKind::End]
        );
        assert_eq!(
            kinds("''''"),
            vec![TokenKind::Str("'".into()), TokenKind::End]
        );
        let e = tokenize(QueryOption::Filter, "title eq 'abc").unwrap_err();
        assert_eq!(e.position, Some(9));
    }

    #[test]
    fn numbers() {
        assert_eq!(kinds("42")[0], TokenKind::Int(42));
        assert_eq!(kinds("-7")[0], TokenKind::Int(-7));
        assert_eq!(kinds("9.5")[0], TokenKind::Double(9.5));
        assert_eq!(kinds("1e3")[0], TokenKind::Double(1000.0));
        assert_eq!(kinds("2.5E-1")[0], TokenKind::Double(0.25));
        assert_eq!(kinds("3d")[0], TokenKind::Double(3.0));
        assert_eq!(kinds("3L")[0], TokenKind::Int(3));
        for bad in ["99999999999999999999", "1x", "-", "1e", "1.2.3"] {
            assert!(tokenize(QueryOption::Filter, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes() {
        let t = |s: &str| match &kinds(s)[0] {
            TokenKind::DateTime(d) => d.to_rfc3339(),
            other => panic!("{other:?}"),
        };
        assert_eq!(t("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05+00:00");
        assert_eq!(
            t("2024-01-02T03:04:05.250+02:00"),
            "2024-01-02T01:04:05.250+00:00"
        );
        assert_eq!(t("2024-01-02T03:04Z"), "2024-01-02T03:04:00+00:00");
        assert_eq!(t("2024-01-02"), "2024-01-02T00:00:00+00:00");
        assert!(tokenize(QueryOption::Filter, "2024-13-02T00:00:00Z").is_err());
    }

    #[test]
    fn names_enums_and_punctuation() {
        assert_eq!(
            kinds("a/b(c:d),x;y=z"),
            vec![
                TokenKind::Ident("a".into()),
                TokenKind::Slash,
                TokenKind::Ident("b".into()),
                TokenKind::LParen,
                TokenKind::Ident("c".into()),
                TokenKind::Colon,
                TokenKind::Ident("d".into()),
                TokenKind::RParen,
                TokenKind::Comma,
                TokenKind::Ident("x".into()),
                TokenKind::Semi,
                TokenKind::Ident("y".into()),
                TokenKind::Equals,
                TokenKind::Ident("z".into()),
                TokenKind::End,
            ]
        );
        assert_eq!(
            kinds("microsoft.graph.security.hostPortStatus'open'")[0],
            TokenKind::Enum {
                ty: "microsoft.graph.security.hostPortStatus".into(),
                member: "open".into()
            }
        );
        let e = tokenize(QueryOption::Filter, "a eq \"x\"").unwrap_err();
        assert_eq!(e.position, Some(5));
        assert!(tokenize(QueryOption::Filter, &"a".repeat(MAX_INPUT + 1)).is_err());
    }
}
