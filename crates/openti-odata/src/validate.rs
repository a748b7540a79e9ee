//! Validation: untyped syntax tree + schema table → typed AST.
//!
//! Checks that every property exists on the addressed entity type (or, through a lambda
//! variable, on the collection's element type), that operand types match (string, numeric,
//! boolean, date-time, the same enum), that function arguments have the right types, that
//! lambda variables are used only inside their lambda and do not shadow each other, and that
//! collections are only reached through `any` / `all`. Literals are typed to the other side:
//! a bare string compared to an enum property becomes that enum's member (checked), a quoted
//! date-time compared to a `DateTimeOffset` becomes a date-time.

use openti_model::schema::{entity_type_by_qualified_name, enum_type, EdmType, NAMESPACE};

use crate::ast::*;
use crate::lexer::parse_datetime;
use crate::types::*;
use crate::{ODataError, QueryOption};

/// A resolved path: member plus where it went through.
struct Resolved {
    member: Member,
    /// True when a segment before the last is collection-valued.
    through_collection: bool,
}

/// Validation context for one entity type.
pub struct Validator<'a> {
    entity: &'a str,
    option: QueryOption,
    /// Lambda variables in scope: name and element type.
    vars: Vec<(String, EdmType)>,
}

fn err(option: QueryOption, pos: usize, msg: impl Into<String>) -> ODataError {
    ODataError::at(option, pos, msg)
}

impl<'a> Validator<'a> {
    /// A validator for members of `entity` (short entity type name) in `option`.
    pub fn new(entity: &'a str, option: QueryOption) -> Self {
        Validator {
            entity,
            option,
            vars: Vec::new(),
        }
    }

    fn err(&self, pos: usize, msg: impl Into<String>) -> ODataError {
        err(self.option, pos, msg)
    }

    /// Resolves a member path from the entity or a lambda variable.
    fn resolve(&self, segs: &[Segment]) -> Result<Resolved, ODataError> {
        let first = &segs[0];
        let (mut on, var, rest, mut ty) =
            match self.vars.iter().rev().find(|(n, _)| *n == first.name) {
                Some((name, ty)) => (on_type(*ty), Some(name.clone()), &segs[1..], *ty),
                None => (root(self.entity), None, segs, EdmType::Entity("entity")),
            };
        let mut path: Vec<&str> = Vec::new();
        let mut collection = false;
        let mut through_collection = false;
        for (i, seg) in rest.iter().enumerate() {
            if collection {
                through_collection = true;
            }
            if seg.name.contains('.') {
                // Type cast to a derived entity type.
                let On::Entity(from) = on else {
                    return Err(self.err(
                        seg.pos,
                        format!("type cast '{}' is not allowed here", seg.name),
                    ));
                };
                let to = entity_type_by_qualified_name(&seg.name)
                    .filter(|t| openti_model::schema::derives_from(t.name, from))
                    .ok_or_else(|| {
                        self.err(
                            seg.pos,
                            format!("'{}' is not a type derived from '{from}'", seg.name),
                        )
                    })?;
                on = On::Entity(to.name);
                ty = EdmType::Entity(to.name);
                continue;
            }
            let (mty, coll, _nav) = member_of(on, &seg.name).ok_or_else(|| {
                let owner = match on {
                    On::Entity(t) => format!("{NAMESPACE}.{t}"),
                    On::Complex(c) => EdmType::Complex(c).qualified_name(),
                    On::Leaf => {
                        let prev = if i == 0 {
                            first.name.as_str()
                        } else {
                            rest[i - 1].name.as_str()
                        };
                        return self.err(
                            seg.pos,
                            format!(
                                "'{prev}' has no properties; '{}' cannot follow it",
                                seg.name
                            ),
                        );
                    }
                };
                self.err(
                    seg.pos,
                    format!(
                        "could not find a property named '{}' on type '{owner}'",
                        seg.name
                    ),
                )
            })?;
            path.push(&seg.name);
            collection |= coll;
            ty = mty;
            on = on_type(mty);
        }
        Ok(Resolved {
            member: Member {
                var,
                path: path.join("/"),
                ty,
                collection,
            },
            through_collection,
        })
    }

    /// A single-valued member usable as a scalar operand.
    fn scalar_member(&self, segs: &[Segment]) -> Result<Member, ODataError> {
        let r = self.resolve(segs)?;
        let pos = segs[0].pos;
        let text = segs
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("/");
        if r.through_collection || r.member.collection {
            return Err(self.err(
                pos,
                format!("'{text}' is collection-valued; use any() or all() to test its elements"),
            ));
        }
        Ok(r.member)
    }

    /// Validates a `$filter` tree.
    pub fn filter(&mut self, e: &Expr) -> Result<Filter, ODataError> {
        self.boolean(e).map(Filter)
    }

    fn boolean(&mut self, e: &Expr) -> Result<BoolExpr, ODataError> {
        match e {
            Expr::And(a, b) => Ok(BoolExpr::And(
                Box::new(self.boolean(a)?),
                Box::new(self.boolean(b)?),
            )),
            Expr::Or(a, b) => Ok(BoolExpr::Or(
                Box::new(self.boolean(a)?),
                Box::new(self.boolean(b)?),
            )),
            Expr::Not(a, _) => Ok(BoolExpr::Not(Box::new(self.boolean(a)?))),
            Expr::Compare(op, a, b, pos) => self.compare(*op, a, b, *pos),
            Expr::In(v, list, pos) => self.in_list(v, list, *pos),
            Expr::Call(f, args, pos) => self.bool_call(*f, args, *pos),
            Expr::Lambda {
                path,
                kind,
                body,
                pos,
            } => self.lambda(path, *kind, body.as_ref(), *pos),
            Expr::Literal(Literal::Bool(b), _) => {
                Ok(BoolExpr::Truthy(Operand::Literal(Literal::Bool(*b))))
            }
            Expr::Literal(l, pos) => Err(self.err(
                *pos,
                format!(
                    "a {} literal is not a condition",
                    type_label(literal_type(l))
                ),
            )),
            Expr::Path(segs) => {
                let m = self.scalar_member(segs)?;
                if m.ty != EdmType::Boolean {
                    return Err(self.err(
                        segs[0].pos,
                        format!(
                            "'{}' is of type {}, not a condition",
                            m.path_or_var(),
                            m.ty.qualified_name()
                        ),
                    ));
                }
                Ok(BoolExpr::Truthy(Operand::Member(m)))
            }
        }
    }

    fn is_boolean_expr(e: &Expr) -> bool {
        matches!(
            e,
            Expr::And(..)
                | Expr::Or(..)
                | Expr::Not(..)
                | Expr::Compare(..)
                | Expr::In(..)
                | Expr::Lambda { .. }
        ) || matches!(e, Expr::Call(f, _, _) if matches!(f, Func::Contains | Func::StartsWith | Func::EndsWith))
    }

    /// A scalar operand and its type (`None` for `null`).
    fn operand(&mut self, e: &Expr) -> Result<(Operand, Option<EdmType>), ODataError> {
        match e {
            Expr::Literal(l, _) => Ok((Operand::Literal(l.clone()), literal_type(l))),
            Expr::Path(segs) => {
                let m = self.scalar_member(segs)?;
                let ty = m.ty;
                Ok((Operand::Member(m), Some(ty)))
            }
            Expr::Call(f @ (Func::ToLower | Func::ToUpper), args, pos) => {
                let [arg] = args.as_slice() else {
                    return Err(
                        self.err(*pos, format!("{}() takes exactly one argument", f.name()))
                    );
                };
                let (o, ty) = self.operand(arg)?;
                if ty != Some(EdmType::String) {
                    return Err(self.err(
                        arg.pos(),
                        format!(
                            "{}() needs an Edm.String argument, not {}",
                            f.name(),
                            type_label(ty)
                        ),
                    ));
                }
                Ok((Operand::Case(*f, Box::new(o)), Some(EdmType::String)))
            }
            other => Err(self.err(
                other.pos(),
                "expected a property, a literal or tolower()/toupper() here",
            )),
        }
    }

    fn compare(
        &mut self,
        op: CmpOp,
        a: &Expr,
        b: &Expr,
        pos: usize,
    ) -> Result<BoolExpr, ODataError> {
        // `cond eq true` / `cond ne false` on a boolean sub-expression.
        for (cond, other) in [(a, b), (b, a)] {
            if let (true, Expr::Literal(Literal::Bool(v), _)) = (Self::is_boolean_expr(cond), other)
            {
                if op.is_equality() {
                    let c = self.boolean(cond)?;
                    let keep = (op == CmpOp::Eq) == *v;
                    return Ok(if keep { c } else { BoolExpr::Not(Box::new(c)) });
                }
            }
        }
        let (l, lt) = self.operand(a)?;
        let (r, rt) = self.operand(b)?;
        if (lt.is_none() || rt.is_none()) && !op.is_equality() {
            return Err(self.err(pos, "null can only be compared with eq or ne"));
        }
        let (l, r) = self.unify(l, lt, a.pos(), r, rt, b.pos(), pos)?;
        if !op.is_equality() {
            let t = l.member().or(r.member()).map(|m| m.ty);
            if matches!(t, Some(EdmType::Complex(_) | EdmType::Entity(_))) {
                return Err(self.err(
                    pos,
                    "structured values can only be compared with eq or ne to null",
                ));
            }
        }
        Ok(BoolExpr::Compare {
            op,
            left: l,
            right: r,
        })
    }

    /// Types literals against the other side and checks compatibility.
    #[allow(clippy::too_many_arguments)]
    fn unify(
        &self,
        l: Operand,
        lt: Option<EdmType>,
        lpos: usize,
        r: Operand,
        rt: Option<EdmType>,
        rpos: usize,
        pos: usize,
    ) -> Result<(Operand, Operand), ODataError> {
        match (&l, &r) {
            (Operand::Literal(lit), _) if !matches!(r, Operand::Literal(_)) => {
                let t = rt.unwrap_or(EdmType::String);
                Ok((Operand::Literal(self.coerce(lit, t, lpos)?), r))
            }
            (_, Operand::Literal(lit)) if !matches!(l, Operand::Literal(_)) => {
                let t = lt.unwrap_or(EdmType::String);
                Ok((l, Operand::Literal(self.coerce(lit, t, rpos)?)))
            }
            _ => {
                if let (Some(a), Some(b)) = (lt, rt) {
                    let (fa, fb) = (family(a), family(b));
                    if fa != fb || fa == Family::Other {
                        return Err(self.err(
                            pos,
                            format!(
                                "cannot compare {} with {}",
                                a.qualified_name(),
                                b.qualified_name()
                            ),
                        ));
                    }
                }
                Ok((l, r))
            }
        }
    }

    /// Types a literal to `target`.
    fn coerce(&self, lit: &Literal, target: EdmType, pos: usize) -> Result<Literal, ODataError> {
        let mismatch = || {
            self.err(
                pos,
                format!(
                    "a {} literal cannot be compared with {}",
                    type_label(literal_type(lit)),
                    target.qualified_name()
                ),
            )
        };
        Ok(match (lit, target) {
            (Literal::Null, _) => Literal::Null,
            (Literal::String(_), EdmType::String) => lit.clone(),
            (Literal::Int(n), EdmType::Int32) => {
                if i32::try_from(*n).is_err() {
                    return Err(self.err(pos, format!("{n} is out of range for Edm.Int32")));
                }
                lit.clone()
            }
            (
                Literal::Int(_) | Literal::Double(_),
                EdmType::Int32 | EdmType::Int64 | EdmType::Double,
            ) => lit.clone(),
            (Literal::Bool(_), EdmType::Boolean) => lit.clone(),
            (Literal::DateTime(_), EdmType::DateTimeOffset) => lit.clone(),
            (Literal::String(s), EdmType::DateTimeOffset) => {
                Literal::DateTime(parse_datetime(s).ok_or_else(|| {
                    self.err(pos, format!("'{s}' is not a valid Edm.DateTimeOffset"))
                })?)
            }
            (Literal::String(s), EdmType::Enum(e)) => self.enum_member(e, s, pos)?,
            (Literal::Enum { ty, member }, EdmType::Enum(e)) => {
                let short = ty.rsplit('.').next().unwrap_or("");
                let ns = ty.rsplit_once('.').map_or("", |(n, _)| n);
                if short != e || ns != NAMESPACE {
                    return Err(self.err(
                        pos,
                        format!(
                            "enum literal of type '{ty}' cannot be compared with {}",
                            target.qualified_name()
                        ),
                    ));
                }
                self.enum_member(e, member, pos)?
            }
            (Literal::Int(n), EdmType::Enum(e)) => {
                let members = enum_type(e).map_or(&[][..], |t| t.members);
                let m = usize::try_from(*n)
                    .ok()
                    .and_then(|i| members.get(i))
                    .ok_or_else(|| {
                        self.err(
                            pos,
                            format!("{n} is not a value of {}", target.qualified_name()),
                        )
                    })?;
                Literal::Enum {
                    ty: e.to_string(),
                    member: (*m).to_string(),
                }
            }
            _ => return Err(mismatch()),
        })
    }

    fn enum_member(&self, e: &'static str, s: &str, pos: usize) -> Result<Literal, ODataError> {
        let t = enum_type(e).ok_or_else(|| self.err(pos, format!("unknown enum type '{e}'")))?;
        let m = t
            .members
            .iter()
            .find(|m| m.eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                self.err(
                    pos,
                    format!(
                        "'{s}' is not a member of {} (members: {})",
                        t.qualified_name(),
                        t.members.join(", ")
                    ),
                )
            })?;
        Ok(Literal::Enum {
            ty: e.to_string(),
            member: (*m).to_string(),
        })
    }

    fn in_list(&mut self, v: &Expr, list: &[Expr], pos: usize) -> Result<BoolExpr, ODataError> {
        let (value, ty) = self.operand(v)?;
        let Some(ty) = ty else {
            return Err(self.err(v.pos(), "the left side of 'in' cannot be null"));
        };
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            let Expr::Literal(l, lpos) = item else {
                return Err(self.err(item.pos(), "'in' lists may only contain literals"));
            };
            if *l == Literal::Null {
                return Err(self.err(*lpos, "'in' lists may not contain null"));
            }
            if let Operand::Literal(_) = value {
                return Err(self.err(pos, "the left side of 'in' must be a property"));
            }
            out.push(self.coerce(l, ty, *lpos)?);
        }
        Ok(BoolExpr::In { value, list: out })
    }

    fn bool_call(&mut self, f: Func, args: &[Expr], pos: usize) -> Result<BoolExpr, ODataError> {
        if matches!(f, Func::ToLower | Func::ToUpper) {
            return Err(self.err(
                pos,
                format!("{}() returns Edm.String, not a condition", f.name()),
            ));
        }
        let [a, b] = args else {
            return Err(self.err(pos, format!("{}() takes exactly two arguments", f.name())));
        };
        let mut text_args = Vec::with_capacity(2);
        for arg in [a, b] {
            let (o, ty) = self.operand(arg)?;
            if ty != Some(EdmType::String) {
                return Err(self.err(
                    arg.pos(),
                    format!(
                        "{}() needs Edm.String arguments, not {}",
                        f.name(),
                        type_label(ty)
                    ),
                ));
            }
            text_args.push(o);
        }
        let part = text_args.pop().unwrap_or(Operand::Literal(Literal::Null));
        let text = text_args.pop().unwrap_or(Operand::Literal(Literal::Null));
        Ok(BoolExpr::Text {
            func: f,
            text,
            part,
        })
    }

    fn lambda(
        &mut self,
        path: &[Segment],
        kind: LambdaKind,
        body: Option<&(Segment, Box<Expr>)>,
        pos: usize,
    ) -> Result<BoolExpr, ODataError> {
        let r = self.resolve(path)?;
        let text = path
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("/");
        if !r.member.collection {
            return Err(self.err(
                pos,
                format!("'{text}' is not a collection; any()/all() need one"),
            ));
        }
        if r.through_collection {
            return Err(self.err(
                pos,
                format!("'{text}' goes through another collection; nest any()/all() instead"),
            ));
        }
        let Some((var, body)) = body else {
            return Ok(BoolExpr::Lambda {
                kind,
                collection: r.member,
                var: None,
                body: None,
            });
        };
        if self.vars.iter().any(|(n, _)| *n == var.name) {
            return Err(self.err(
                var.pos,
                format!("lambda variable '{}' is already in scope", var.name),
            ));
        }
        if member_of(root(self.entity), &var.name).is_some() {
            return Err(self.err(
                var.pos,
                format!("lambda variable '{}' has the name of a property", var.name),
            ));
        }
        self.vars.push((var.name.clone(), r.member.ty));
        let b = self.boolean(body);
        self.vars.pop();
        Ok(BoolExpr::Lambda {
            kind,
            collection: r.member,
            var: Some(var.name.clone()),
            body: Some(Box::new(b?)),
        })
    }

    /// Validates `$orderby` items.
    pub fn orderby(&self, items: &[OrderItem]) -> Result<Vec<OrderKey>, ODataError> {
        items
            .iter()
            .map(|it| {
                let m = self.scalar_member(&it.path)?;
                if !m.ty.is_primitive() && !matches!(m.ty, EdmType::Enum(_)) {
                    return Err(self.err(
                        it.path[0].pos,
                        format!(
                            "cannot order by '{}' of type {}",
                            m.path,
                            m.ty.qualified_name()
                        ),
                    ));
                }
                Ok(OrderKey {
                    member: m,
                    desc: it.desc,
                })
            })
            .collect()
    }
}

impl Member {
    /// The path, or the variable name for a bare variable.
    pub fn path_or_var(&self) -> &str {
        if self.path.is_empty() {
            self.var.as_deref().unwrap_or("")
        } else {
            &self.path
        }
    }
}

pub use crate::select::{expand, select};
