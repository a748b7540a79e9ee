//! Printing patterns back to STIX pattern text (the inverse of `parse`).

use std::fmt;

use super::*;

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && s.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        && !s.contains('-')
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => f.write_str(&quote(s)),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => f.write_str(x),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Binary(s) => write!(f, "b{}", quote(s)),
            Literal::Hex(s) => write!(f, "h{}", quote(s)),
            Literal::Time(s) => write!(f, "t{}", quote(s)),
            Literal::Set(items) => {
                f.write_str("(")?;
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{it}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, s) in self.steps.iter().enumerate() {
            match s {
                Step::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_ident(k) {
                        f.write_str(k)?;
                    } else {
                        f.write_str(&quote(k))?;
                    }
                }
                Step::Index(Some(n)) => write!(f, "[{n}]")?,
                Step::Index(None) => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for CompExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompExpr::And(a, b) => write!(f, "{a} AND {b}"),
            CompExpr::Or(a, b) => write!(f, "{a} OR {b}"),
            CompExpr::Group(a) => write!(f, "({a})"),
            CompExpr::Test(PropTest::Exists(p)) => write!(f, "EXISTS {p}"),
            CompExpr::Test(PropTest::Compare {
                path,
                negated,
                op,
                value,
            }) => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{path} {not}{} {value}", op.text())
            }
        }
    }
}

impl fmt::Display for ObsExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObsExpr::Observation(c) => write!(f, "[{c}]"),
            ObsExpr::And(a, b) => write!(f, "{a} AND {b}"),
            ObsExpr::Or(a, b) => write!(f, "{a} OR {b}"),
            ObsExpr::FollowedBy(a, b) => write!(f, "{a} FOLLOWEDBY {b}"),
            ObsExpr::Group(a) => write!(f, "({a})"),
            ObsExpr::Qualified(a, Qualifier::Within(n)) => write!(f, "{a} WITHIN {n} SECONDS"),
            ObsExpr::Qualified(a, Qualifier::Repeats(n)) => write!(f, "{a} REPEATS {n} TIMES"),
            ObsExpr::Qualified(a, Qualifier::StartStop(s, e)) => {
                write!(f, "{a} START t{} STOP t{}", quote(s), quote(e))
            }
        }
    }
}
