//! The STIX 2.x patterning language: a tokenizer, a recursive-descent parser producing an AST
//! (comparison expressions with AND/OR/NOT and brackets, observation expressions with
//! AND/OR/FOLLOWEDBY and the WITHIN / REPEATS / START…STOP qualifiers), printing back to
//! pattern text, and extraction of the observables an indicator names.
//!
//! Grammar: STIX 2.1 specification, section 9 (Patterning); precedence from low to high:
//! `FOLLOWEDBY`, observation `OR`, observation `AND`, qualifiers; inside brackets comparison
//! `OR`, then `AND`.

/// A parsed pattern (an observation expression).
#[derive(Debug, Clone, PartialEq)]
pub enum ObsExpr {
    /// `[ comparison ]`.
    Observation(CompExpr),
    /// `a AND b` (observation level).
    And(Box<ObsExpr>, Box<ObsExpr>),
    /// `a OR b` (observation level).
    Or(Box<ObsExpr>, Box<ObsExpr>),
    /// `a FOLLOWEDBY b`.
    FollowedBy(Box<ObsExpr>, Box<ObsExpr>),
    /// An expression with a qualifier.
    Qualified(Box<ObsExpr>, Qualifier),
    /// `( … )` grouping (kept so printing round-trips).
    Group(Box<ObsExpr>),
}

/// Observation qualifiers.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`.
    Within(String),
    /// `REPEATS n TIMES`.
    Repeats(u64),
    /// `START t'…' STOP t'…'`.
    StartStop(String, String),
}

/// A comparison expression (inside brackets).
#[derive(Debug, Clone, PartialEq)]
pub enum CompExpr {
    /// `a AND b`.
    And(Box<CompExpr>, Box<CompExpr>),
    /// `a OR b`.
    Or(Box<CompExpr>, Box<CompExpr>),
    /// `( … )`.
    Group(Box<CompExpr>),
    /// One property test.
    Test(PropTest),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `IN`
    In,
    /// `LIKE`
    Like,
    /// `MATCHES`
    Matches,
    /// `ISSUBSET`
    IsSubset,
    /// `ISSUPERSET`
    IsSuperset,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "IN",
            Op::Like => "LIKE",
            Op::Matches => "MATCHES",
            Op::IsSubset => "ISSUBSET",
            Op::IsSuperset => "ISSUPERSET",
        }
    }
}

/// `object-type:path NOT? op value`, or `EXISTS object-type:path`.
#[derive(Debug, Clone, PartialEq)]
pub enum PropTest {
    /// A comparison.
    Compare {
        /// The object path.
        path: ObjectPath,
        /// `NOT` given.
        negated: bool,
        /// Operator.
        op: Op,
        /// Right-hand side.
        value: Literal,
    },
    /// `EXISTS path`.
    Exists(ObjectPath),
}

/// `object-type:step(.step|[index])*`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectPath {
    /// The SCO type (`domain-name`, `file`, …).
    pub object_type: String,
    /// Property steps.
    pub steps: Vec<Step>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A property name (quoted in the source when it is not an identifier, e.g. `'SHA-256'`).
    Key(String),
    /// A list index; `None` is `*`.
    Index(Option<i64>),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'`.
    Str(String),
    /// Integer.
    Int(i64),
    /// Float (kept as written).
    Float(String),
    /// `true` / `false`.
    Bool(bool),
    /// `b'base64'`.
    Binary(String),
    /// `h'hex'`.
    Hex(String),
    /// `t'timestamp'`.
    Time(String),
    /// `( a, b, … )` for `IN`.
    Set(Vec<Literal>),
}

/// A pattern that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid STIX pattern at offset {offset}: {message}")]
pub struct PatternError {
    /// Byte offset in the pattern.
    pub offset: usize,
    /// What was expected.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Colon,
    Star,
    Dot,
    Op(Op),
    Ident(String),
    Str(String),
    Prefixed(char, String),
    Num(String),
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, PatternError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let fail = |offset: usize, m: &str| PatternError {
        offset,
        message: m.to_string(),
    };
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'[' | b']' | b'(' | b')' | b',' | b':' | b'.' | b'*' => {
                i += 1;
                out.push((
                    start,
                    match c {
                        b'[' => Tok::LBracket,
                        b']' => Tok::RBracket,
                        b'(' => Tok::LParen,
                        b')' => Tok::RParen,
                        b',' => Tok::Comma,
                        b':' => Tok::Colon,
                        b'*' => Tok::Star,
                        _ => Tok::Dot,
                    },
                ));
                continue;
            }
            b'=' => {
                i += 1;
                out.push((start, Tok::Op(Op::Eq)));
                continue;
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                out.push((start, Tok::Op(Op::Ne)));
                continue;
            }
            b'<' | b'>' => {
                let (op, n) = match (c, b.get(i + 1)) {
                    (b'<', Some(b'=')) => (Op::Le, 2),
                    (b'<', Some(b'>')) => (Op::Ne, 2),
                    (b'>', Some(b'=')) => (Op::Ge, 2),
                    (b'<', _) => (Op::Lt, 1),
                    _ => (Op::Gt, 1),
                };
                i += n;
                out.push((start, Tok::Op(op)));
                continue;
            }
            _ => {}
        }
        let prefixed = matches!(c, b'b' | b'h' | b't') && b.get(i + 1) == Some(&b'\'');
        if c == b'\'' || prefixed {
            if prefixed {
                i += 1;
            }
            i += 1;
            let mut s = String::new();
            loop {
                let Some(ch) = src[i..].chars().next() else {
                    return Err(fail(start, "unterminated string"));
                };
                i += ch.len_utf8();
                match ch {
                    '\'' => break,
                    '\\' => match src[i..].chars().next() {
                        Some(e @ ('\'' | '\\')) => {
                            s.push(e);
                            i += 1;
                        }
                        _ => return Err(fail(i, "only \\' and \\\\ may be escaped")),
                    },
                    _ => s.push(ch),
                }
            }
            out.push((
                start,
                if prefixed {
                    Tok::Prefixed(c as char, s)
                } else {
                    Tok::Str(s)
                },
            ));
            continue;
        }
        if c.is_ascii_digit()
            || ((c == b'-' || c == b'+') && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            out.push((start, Tok::Num(src[start..i].to_string())));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            out.push((start, Tok::Ident(src[start..i].to_string())));
            continue;
        }
        return Err(fail(start, "unexpected character"));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.pos).map(|(o, _)| *o).unwrap_or(self.end)
    }
    fn fail<T>(&self, m: &str) -> Result<T, PatternError> {
        Err(PatternError {
            offset: self.offset(),
            message: m.to_string(),
        })
    }
    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(k))
    }
    fn eat_keyword(&mut self, k: &str) -> bool {
        let hit = self.keyword(k);
        if hit {
            self.pos += 1;
        }
        hit
    }
    fn expect(&mut self, t: Tok, what: &str) -> Result<(), PatternError> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            self.fail(&format!("expected {what}"))
        }
    }

    fn followed_by(&mut self) -> Result<ObsExpr, PatternError> {
        let mut left = self.obs_or()?;
        while self.eat_keyword("FOLLOWEDBY") {
            left = ObsExpr::FollowedBy(Box::new(left), Box::new(self.obs_or()?));
        }
        Ok(left)
    }
    fn obs_or(&mut self) -> Result<ObsExpr, PatternError> {
        let mut left = self.obs_and()?;
        while self.eat_keyword("OR") {
            left = ObsExpr::Or(Box::new(left), Box::new(self.obs_and()?));
        }
        Ok(left)
    }
    fn obs_and(&mut self) -> Result<ObsExpr, PatternError> {
        let mut left = self.obs_qualified()?;
        while self.eat_keyword("AND") {
            left = ObsExpr::And(Box::new(left), Box::new(self.obs_qualified()?));
        }
        Ok(left)
    }
    fn obs_qualified(&mut self) -> Result<ObsExpr, PatternError> {
        let mut e = match self.peek() {
            Some(Tok::LBracket) => {
                self.pos += 1;
                let c = self.comp_or()?;
                self.expect(Tok::RBracket, "`]`")?;
                ObsExpr::Observation(c)
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let inner = self.followed_by()?;
                self.expect(Tok::RParen, "`)`")?;
                ObsExpr::Group(Box::new(inner))
            }
            _ => return self.fail("expected `[` or `(`"),
        };
        loop {
            let q = if self.eat_keyword("WITHIN") {
                let n = match self.peek().cloned() {
                    Some(Tok::Num(n)) if !n.starts_with('-') => n,
                    _ => return self.fail("expected a positive number after WITHIN"),
                };
                self.pos += 1;
                if !self.eat_keyword("SECONDS") {
                    return self.fail("expected SECONDS");
                }
                Qualifier::Within(n)
            } else if self.eat_keyword("REPEATS") {
                let n = match self.peek().cloned() {
                    Some(Tok::Num(n)) => n.parse::<u64>().ok(),
                    _ => None,
                };
                let Some(n) = n else {
                    return self.fail("expected a positive integer after REPEATS");
                };
                self.pos += 1;
                if !self.eat_keyword("TIMES") {
                    return self.fail("expected TIMES");
                }
                Qualifier::Repeats(n)
            } else if self.eat_keyword("START") {
                let a = self.timestamp()?;
                if !self.eat_keyword("STOP") {
                    return self.fail("expected STOP");
                }
                Qualifier::StartStop(a, self.timestamp()?)
            } else {
                break;
            };
            e = ObsExpr::Qualified(Box::new(e), q);
        }
        Ok(e)
    }
    fn timestamp(&mut self) -> Result<String, PatternError> {
        match self.peek().cloned() {
            Some(Tok::Prefixed('t', s)) => {
                self.pos += 1;
                Ok(s)
            }
            _ => self.fail("expected a t'…' timestamp"),
        }
    }
    fn comp_or(&mut self) -> Result<CompExpr, PatternError> {
        let mut left = self.comp_and()?;
        while self.eat_keyword("OR") {
            left = CompExpr::Or(Box::new(left), Box::new(self.comp_and()?));
        }
        Ok(left)
    }
    fn comp_and(&mut self) -> Result<CompExpr, PatternError> {
        let mut left = self.prop_test()?;
        while self.eat_keyword("AND") {
            left = CompExpr::And(Box::new(left), Box::new(self.prop_test()?));
        }
        Ok(left)
    }
    fn prop_test(&mut self) -> Result<CompExpr, PatternError> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let inner = self.comp_or()?;
            self.expect(Tok::RParen, "`)`")?;
            return Ok(CompExpr::Group(Box::new(inner)));
        }
        if self.eat_keyword("EXISTS") {
            return Ok(CompExpr::Test(PropTest::Exists(self.path()?)));
        }
        let path = self.path()?;
        let negated = self.eat_keyword("NOT");
        let op = match self.peek().cloned() {
            Some(Tok::Op(op)) => op,
            Some(Tok::Ident(k)) => match k.to_ascii_uppercase().as_str() {
                "IN" => Op::In,
                "LIKE" => Op::Like,
                "MATCHES" => Op::Matches,
                "ISSUBSET" => Op::IsSubset,
                "ISSUPERSET" => Op::IsSuperset,
                _ => return self.fail("expected a comparison operator"),
            },
            _ => return self.fail("expected a comparison operator"),
        };
        self.pos += 1;
        let at = self.pos;
        let value = if op == Op::In {
            self.set()?
        } else {
            self.literal()?
        };
        let string_only = matches!(op, Op::Like | Op::Matches | Op::IsSubset | Op::IsSuperset);
        if string_only && !matches!(value, Literal::Str(_)) {
            self.pos = at;
            return self.fail("expected a string");
        }
        Ok(CompExpr::Test(PropTest::Compare {
            path,
            negated,
            op,
            value,
        }))
    }
    fn set(&mut self) -> Result<Literal, PatternError> {
        self.expect(Tok::LParen, "`(`")?;
        let mut items = vec![self.literal()?];
        while self.peek() == Some(&Tok::Comma) {
            self.pos += 1;
            items.push(self.literal()?);
        }
        self.expect(Tok::RParen, "`)`")?;
        Ok(Literal::Set(items))
    }
    fn literal(&mut self) -> Result<Literal, PatternError> {
        let lit = match self.peek().cloned() {
            Some(Tok::Str(s)) => Literal::Str(s),
            Some(Tok::Prefixed('b', s)) => Literal::Binary(s),
            Some(Tok::Prefixed('h', s)) => Literal::Hex(s),
            Some(Tok::Prefixed(_, s)) => Literal::Time(s),
            Some(Tok::Num(n)) if n.contains('.') => {
                if n.parse::<f64>().is_err() {
                    return self.fail("invalid number");
                }
                Literal::Float(n)
            }
            Some(Tok::Num(n)) => match n.parse::<i64>() {
                Ok(v) => Literal::Int(v),
                Err(_) => return self.fail("invalid integer"),
            },
            Some(Tok::Ident(k)) if k == "true" || k == "false" => Literal::Bool(k == "true"),
            _ => return self.fail("expected a literal"),
        };
        self.pos += 1;
        Ok(lit)
    }
    fn path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match self.peek().cloned() {
            Some(Tok::Ident(t)) => t,
            _ => return self.fail("expected an object type"),
        };
        self.pos += 1;
        self.expect(Tok::Colon, "`:` after the object type")?;
        let mut steps = vec![self.key()?];
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    steps.push(self.key()?);
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    let idx = match self.peek().cloned() {
                        Some(Tok::Num(n)) => match n.parse::<i64>() {
                            Ok(v) => Some(v),
                            Err(_) => return self.fail("invalid index"),
                        },
                        Some(Tok::Star) => None,
                        _ => return self.fail("expected an index or `*`"),
                    };
                    self.pos += 1;
                    self.expect(Tok::RBracket, "`]`")?;
                    steps.push(Step::Index(idx));
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }
    fn key(&mut self) -> Result<Step, PatternError> {
        let k = match self.peek().cloned() {
            Some(Tok::Ident(s)) | Some(Tok::Str(s)) => s,
            _ => return self.fail("expected a property name"),
        };
        self.pos += 1;
        Ok(Step::Key(k))
    }
}

/// Parses a STIX pattern.
pub fn parse(pattern: &str) -> Result<ObsExpr, PatternError> {
    let mut p = Parser {
        toks: lex(pattern)?,
        pos: 0,
        end: pattern.len(),
    };
    let e = p.followed_by()?;
    if p.pos != p.toks.len() {
        return p.fail("unexpected input after the pattern");
    }
    Ok(e)
}

#[path = "pattern_fmt.rs"]
mod fmt;

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
