//! Typed `$filter` / `$orderby` → SQL fragments for one scope.
//!
//! Three-valued logic: atoms may be NULL when a property is NULL, which is falsy at the top
//! of a WHERE clause as OData wants (`title eq 'x'` is false for a missing title). Under
//! `not` and inside `all` the negated condition is made two-valued with
//! [`Dialect::definitely`], so `not (title eq 'x')` includes rows without a title. `ne` is
//! null-safe (`null ne 'x'` is true).

use openti_model::schema::{enum_type, EdmType};
use openti_odata::{BoolExpr, CmpOp, Filter, Func, LambdaKind, Literal, Member, Operand, OrderKey};

use super::fields::{resolve, Collection, IdDecoder, Mapped, RowSource};
use super::{Dialect, Frag, Param};
use crate::{Scope, StoreError, StoreResult};

/// An ORDER BY key: an SQL expression and its direction.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The expression (may carry parameters, e.g. a JSON path).
    pub expr: Frag,
    /// Descending.
    pub desc: bool,
}

/// What a lambda variable stands for.
#[derive(Debug, Clone)]
enum Var {
    /// An element of a JSON array (`scalar`: the element is a primitive value).
    Json { alias: String, scalar: bool },
    /// A child-table row.
    Row(&'static RowSource),
    /// A WHOIS name server (JSON string) with the record's window columns.
    Nameserver {
        alias: String,
        first: &'static str,
        last: &'static str,
    },
}

/// Translator state for one query.
pub struct Translator<'a> {
    d: &'a dyn Dialect,
    scope: &'a Scope,
    vars: Vec<(String, Var)>,
}

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::InvalidQuery(msg.into())
}

fn unsupported(m: &Member, what: &str) -> StoreError {
    invalid(format!(
        "The property '{}' cannot be used in {what} on this collection.",
        m.path_or_var()
    ))
}

/// A resolved operand.
enum Val {
    Sql(Frag),
    Id(&'static [&'static str], IdDecoder),
    Lit(Literal),
}

impl<'a> Translator<'a> {
    /// A translator for `scope` in dialect `d`.
    pub fn new(d: &'a dyn Dialect, scope: &'a Scope) -> Self {
        Translator {
            d,
            scope,
            vars: Vec::new(),
        }
    }

    /// The WHERE fragment of a `$filter`.
    pub fn filter(&mut self, f: &Filter) -> StoreResult<Frag> {
        self.boolean(&f.0)
    }

    /// The sort keys of `$orderby` (a composite id expands to its key columns).
    pub fn order(&mut self, keys: &[OrderKey]) -> StoreResult<Vec<SortKey>> {
        let mut out = Vec::new();
        for k in keys {
            match self.member(&k.member, "$orderby")? {
                Val::Sql(expr) => {
                    let expr = match k.member.ty {
                        EdmType::Enum(e) => self.enum_ordinal(e, &expr),
                        _ => expr,
                    };
                    out.push(SortKey { expr, desc: k.desc });
                }
                Val::Id(cols, _) => out.extend(cols.iter().map(|c| SortKey {
                    expr: Frag::raw(*c),
                    desc: k.desc,
                })),
                Val::Lit(_) => return Err(unsupported(&k.member, "$orderby")),
            }
        }
        Ok(out)
    }

    fn member(&self, m: &Member, what: &str) -> StoreResult<Val> {
        Ok(match self.member_raw(m, what)? {
            Val::Sql(f) => Val::Sql(match m.ty {
                EdmType::Int32 | EdmType::Int64 | EdmType::Double => self.d.number(&f),
                EdmType::Boolean => self.d.flag(&f),
                _ => f,
            }),
            other => other,
        })
    }

    fn member_raw(&self, m: &Member, what: &str) -> StoreResult<Val> {
        let Some(var) = &m.var else {
            return match resolve(self.d, self.scope, &m.path) {
                Some(Mapped::Scalar(f)) => Ok(Val::Sql(f)),
                Some(Mapped::Id(cols, dec)) => Ok(Val::Id(cols, dec)),
                _ => Err(unsupported(m, what)),
            };
        };
        let bind = self
            .vars
            .iter()
            .rev()
            .find(|(n, _)| n == var)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| unsupported(m, what))?;
        let frag = match bind {
            Var::Json {
                alias,
                scalar: true,
            } if m.path.is_empty() => self.d.element(&alias),
            Var::Json {
                alias,
                scalar: false,
            } => {
                let segs: Vec<&str> = m.path.split('/').filter(|s| !s.is_empty()).collect();
                self.d.json_value(&self.d.element_json(&alias), &segs)
            }
            Var::Row(src) => src
                .fields
                .iter()
                .find(|(p, _)| *p == m.path)
                .map(|(_, c)| Frag::raw(*c))
                .ok_or_else(|| unsupported(m, what))?,
            Var::Nameserver { alias, first, last } => match m.path.as_str() {
                "host" | "host/id" => self.d.element(&alias),
                "firstSeenDateTime" => Frag::raw(first),
                "lastSeenDateTime" => Frag::raw(last),
                _ => return Err(unsupported(m, what)),
            },
            Var::Json { .. } => return Err(unsupported(m, what)),
        };
        Ok(Val::Sql(frag))
    }

    fn param(&self, l: &Literal) -> Param {
        match l {
            Literal::Null => Param::Null,
            Literal::Bool(b) => self.d.boolean(*b),
            Literal::Int(i) => Param::Int(*i),
            Literal::Double(f) => Param::Real(*f),
            Literal::String(s) => Param::Text(s.clone()),
            Literal::DateTime(t) => self.d.time(*t),
            Literal::Enum { member, .. } => Param::Text(member.clone()),
        }
    }

    fn operand(&self, o: &Operand, what: &str) -> StoreResult<Val> {
        match o {
            Operand::Literal(l) => Ok(Val::Lit(l.clone())),
            Operand::Member(m) => self.member(m, what),
            Operand::Case(f, inner) => {
                let Val::Sql(x) = self.operand(inner, what)? else {
                    return Err(invalid(format!(
                        "{}() needs a text property here.",
                        f.name()
                    )));
                };
                let t = if *f == Func::ToLower {
                    "lower({})"
                } else {
                    "upper({})"
                };
                Ok(Val::Sql(Frag::template(t, &[&x])))
            }
        }
    }

    fn sql(&self, v: Val) -> StoreResult<Frag> {
        match v {
            Val::Sql(f) => Ok(f),
            Val::Lit(l) => Ok(Frag::param(self.param(&l))),
            Val::Id(..) => Err(invalid(
                "On this collection 'id' can only be compared with eq, ne or in.",
            )),
        }
    }

    /// `CASE x WHEN 'm0' THEN 0 … END`: enum members ordered by their schema value.
    fn enum_ordinal(&self, e: &str, x: &Frag) -> Frag {
        let mut f = Frag::raw("(CASE ");
        f.append(x);
        for (i, m) in enum_type(e)
            .map_or(&[][..], |t| t.members)
            .iter()
            .enumerate()
        {
            f.push(" WHEN ");
            f.append(&Frag::param(Param::Text((*m).to_string())));
            f.push(&format!(" THEN {i}"));
        }
        f.push(" END)");
        f
    }

    fn id_eq(cols: &[&str], dec: IdDecoder, lit: &Literal) -> Frag {
        let Literal::String(s) = lit else {
            return Frag::raw("(1 = 0)");
        };
        let Some(vals) = dec(s).filter(|v| v.len() == cols.len()) else {
            return Frag::raw("(1 = 0)");
        };
        let mut f = Frag::raw("(");
        for (i, (c, v)) in cols.iter().zip(vals).enumerate() {
            if i > 0 {
                f.push(" AND ");
            }
            f.push(c).push(" = ").append(&Frag::param(v));
        }
        f.push(")");
        f
    }

    fn compare(&self, op: CmpOp, l: &Operand, r: &Operand) -> StoreResult<Frag> {
        let enum_ty = l.member().or(r.member()).and_then(|m| match m.ty {
            EdmType::Enum(e) => Some(e),
            _ => None,
        });
        let (lv, rv) = (self.operand(l, "$filter")?, self.operand(r, "$filter")?);
        // Comparisons with null.
        for (a, b) in [(&lv, &rv), (&rv, &lv)] {
            if let Val::Lit(Literal::Null) = b {
                let not = if op == CmpOp::Ne { "NOT " } else { "" };
                return Ok(match a {
                    Val::Id(..) => Frag::raw(if op == CmpOp::Ne {
                        "(1 = 1)"
                    } else {
                        "(1 = 0)"
                    }),
                    Val::Lit(Literal::Null) => Frag::raw(if op == CmpOp::Eq {
                        "(1 = 1)"
                    } else {
                        "(1 = 0)"
                    }),
                    Val::Lit(x) => Frag::template(
                        &format!("({{}} IS {not}NULL)"),
                        &[&Frag::param(self.param(x))],
                    ),
                    Val::Sql(x) => Frag::template(&format!("({{}} IS {not}NULL)"), &[x]),
                });
            }
        }
        // Composite ids.
        for (a, b) in [(&lv, &rv), (&rv, &lv)] {
            if let (Val::Id(cols, dec), Val::Lit(lit)) = (a, b) {
                let eq = Self::id_eq(cols, *dec, lit);
                return match op {
                    CmpOp::Eq => Ok(eq),
                    CmpOp::Ne => Ok(Frag::template("(NOT {})", &[&eq])),
                    _ => Err(invalid(
                        "On this collection 'id' can only be compared with eq, ne or in.",
                    )),
                };
            }
        }
        let both_members = matches!(lv, Val::Sql(_)) && matches!(rv, Val::Sql(_));
        let (mut a, mut b) = (self.sql(lv)?, self.sql(rv)?);
        if let (Some(e), false) = (enum_ty, op.is_equality()) {
            let ord = |x: Frag, o: &Operand| match o {
                Operand::Literal(Literal::Enum { member, .. }) => {
                    let i = enum_type(e)
                        .and_then(|t| t.members.iter().position(|m| m == member))
                        .unwrap_or(0);
                    Frag::param(Param::Int(i as i64))
                }
                _ => self.enum_ordinal(e, &x),
            };
            a = ord(a, l);
            b = ord(b, r);
        }
        Ok(match op {
            CmpOp::Eq if both_members => self.d.null_safe_eq(&a, &b, false),
            CmpOp::Ne => self.d.null_safe_eq(&a, &b, true),
            _ => {
                let sym = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Ne => "<>",
                };
                Frag::template(&format!("({{}} {sym} {{}})"), &[&a, &b])
            }
        })
    }

    fn boolean(&mut self, e: &BoolExpr) -> StoreResult<Frag> {
        Ok(match e {
            BoolExpr::And(a, b) => {
                let (a, b) = (self.boolean(a)?, self.boolean(b)?);
                Frag::template("({} AND {})", &[&a, &b])
            }
            BoolExpr::Or(a, b) => {
                let (a, b) = (self.boolean(a)?, self.boolean(b)?);
                Frag::template("({} OR {})", &[&a, &b])
            }
            BoolExpr::Not(a) => {
                let a = self.boolean(a)?;
                Frag::template("(NOT {})", &[&self.d.definitely(&a)])
            }
            BoolExpr::Compare { op, left, right } => self.compare(*op, left, right)?,
            BoolExpr::In { value, list } => match self.operand(value, "$filter")? {
                Val::Id(cols, dec) => {
                    let mut f = Frag::raw("(");
                    for (i, l) in list.iter().enumerate() {
                        if i > 0 {
                            f.push(" OR ");
                        }
                        f.append(&Self::id_eq(cols, dec, l));
                    }
                    f.push(")");
                    f
                }
                v => {
                    let mut f = self.sql(v)?;
                    f = Frag::template("({} IN (", &[&f]);
                    for (i, l) in list.iter().enumerate() {
                        if i > 0 {
                            f.push(", ");
                        }
                        f.append(&Frag::param(self.param(l)));
                    }
                    f.push("))");
                    f
                }
            },
            BoolExpr::Text { func, text, part } => {
                let t = self.operand(text, "$filter")?;
                let p = self.operand(part, "$filter")?;
                let (t, p) = (self.sql(t)?, self.sql(p)?);
                match func {
                    Func::Contains => self.d.contains(&t, &p),
                    Func::StartsWith => self.d.starts_with(&t, &p),
                    _ => self.d.ends_with(&t, &p),
                }
            }
            BoolExpr::Truthy(o) => match self.operand(o, "$filter")? {
                Val::Lit(Literal::Bool(b)) => Frag::raw(if b { "(1 = 1)" } else { "(1 = 0)" }),
                v => {
                    let x = self.sql(v)?;
                    self.d.truthy(&x)
                }
            },
            BoolExpr::Lambda {
                kind,
                collection,
                var,
                body,
            } => self.lambda(*kind, collection, var.as_deref(), body.as_deref())?,
        })
    }

    fn collection(&self, m: &Member) -> StoreResult<Collection> {
        let Some(v) = &m.var else {
            return match resolve(self.d, self.scope, &m.path) {
                Some(Mapped::Collection(c)) => Ok(c),
                _ => Err(unsupported(m, "any/all")),
            };
        };
        // A JSON array inside the element of an enclosing lambda.
        match self.vars.iter().rev().find(|(n, _)| n == v).map(|(_, b)| b) {
            Some(Var::Json {
                alias,
                scalar: false,
            }) => {
                let segs: Vec<&str> = m.path.split('/').collect();
                let arr = self.d.json_value(&self.d.element_json(alias), &segs);
                Ok(match m.ty {
                    EdmType::Complex(_) => Collection::Objects(arr),
                    _ => Collection::Scalars(arr),
                })
            }
            _ => Err(unsupported(m, "any/all")),
        }
    }

    fn lambda(
        &mut self,
        kind: LambdaKind,
        m: &Member,
        var: Option<&str>,
        body: Option<&BoolExpr>,
    ) -> StoreResult<Frag> {
        let coll = self.collection(m)?;
        let alias = format!("j{}", self.vars.len());
        let (from, bind) = match coll {
            Collection::Scalars(arr) => (
                Frag::template(
                    "FROM {} WHERE 1 = 1",
                    &[&self.d.json_elements(&arr, &alias)],
                ),
                Var::Json {
                    alias,
                    scalar: true,
                },
            ),
            Collection::Objects(arr) => (
                Frag::template(
                    "FROM {} WHERE 1 = 1",
                    &[&self.d.json_elements(&arr, &alias)],
                ),
                Var::Json {
                    alias,
                    scalar: false,
                },
            ),
            Collection::Nameservers(arr, first, last) => (
                Frag::template(
                    "FROM {} WHERE 1 = 1",
                    &[&self.d.json_elements(&arr, &alias)],
                ),
                Var::Nameserver { alias, first, last },
            ),
            Collection::Rows(src) => {
                if self.vars.iter().any(|(_, b)| matches!(b, Var::Row(_))) {
                    return Err(unsupported(m, "nested any/all"));
                }
                (
                    Frag::raw(format!("FROM {} WHERE {}", src.from, src.join)),
                    Var::Row(src),
                )
            }
        };
        let (Some(var), Some(body)) = (var, body) else {
            return Ok(Frag::template("EXISTS (SELECT 1 {})", &[&from]));
        };
        self.vars.push((var.to_string(), bind));
        let cond = self.boolean(body);
        self.vars.pop();
        let cond = cond?;
        Ok(match kind {
            LambdaKind::Any => Frag::template("EXISTS (SELECT 1 {} AND {})", &[&from, &cond]),
            LambdaKind::All => Frag::template(
                "NOT EXISTS (SELECT 1 {} AND NOT {})",
                &[&from, &self.d.definitely(&cond)],
            ),
        })
    }
}
