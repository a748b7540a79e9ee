//! Recursive-descent parser: tokens → untyped syntax tree.
//!
//! `$filter` precedence, loosest first (OData URL conventions 5.1.1.16):
//! `or` < `and` < `eq ne` < `gt ge lt le in` < `not` < primary (literal, path, call,
//! parenthesised expression). Nesting is limited to [`MAX_DEPTH`] so hostile input cannot
//! exhaust the stack.

use crate::ast::*;
use crate::lexer::{tokenize, Token, TokenKind};
use crate::{ODataError, QueryOption};

/// Deepest nesting of parentheses, `not`, calls and lambdas accepted.
pub const MAX_DEPTH: usize = 48;
/// Most items accepted in an `in (…)` list, `$orderby`, `$select` or `$expand`.
pub const MAX_ITEMS: usize = 200;
/// Most binary operators (`and`, `or`, comparisons, `in`) in one `$filter`.
pub const MAX_OPERATORS: usize = 256;

struct Parser {
    option: QueryOption,
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    ops: usize,
}

/// Parses a `$filter` expression.
pub fn parse_filter(src: &str) -> Result<Expr, ODataError> {
    let mut p = Parser::new(QueryOption::Filter, src)?;
    if p.at_end() {
        return Err(ODataError::at(
            QueryOption::Filter,
            0,
            "the expression is empty",
        ));
    }
    let e = p.expr()?;
    p.expect_end()?;
    Ok(e)
}

/// Parses `$orderby`: `path [asc|desc], …`.
pub fn parse_orderby(src: &str) -> Result<Vec<OrderItem>, ODataError> {
    let mut p = Parser::new(QueryOption::OrderBy, src)?;
    let mut out = Vec::new();
    loop {
        let path = p.path()?;
        let desc = match &p.peek().kind {
            TokenKind::Ident(k) if k == "asc" => {
                p.i += 1;
                false
            }
            TokenKind::Ident(k) if k == "desc" => {
                p.i += 1;
                true
            }
            _ => false,
        };
        out.push(OrderItem { path, desc });
        p.limit(out.len())?;
        if !p.eat(&TokenKind::Comma) {
            break;
        }
    }
    p.expect_end()?;
    Ok(out)
}

/// Parses `$select`: `path, …` (or `*`, which the lexer refuses: select all by omitting it).
pub fn parse_select(src: &str) -> Result<Vec<SelectItem>, ODataError> {
    let mut p = Parser::new(QueryOption::Select, src)?;
    let items = p.select_list()?;
    p.expect_end()?;
    Ok(items)
}

/// Parses `$expand`: `nav[($select=a,b)], …`.
pub fn parse_expand(src: &str) -> Result<Vec<ExpandItem>, ODataError> {
    let mut p = Parser::new(QueryOption::Expand, src)?;
    let mut out = Vec::new();
    loop {
        let path = p.path()?;
        let mut select = None;
        if p.eat(&TokenKind::LParen) {
            loop {
                let t = p.next();
                match &t.kind {
                    TokenKind::Ident(k) if k.eq_ignore_ascii_case("$select") => {
                        p.expect(&TokenKind::Equals, "'='")?;
                        if select.is_some() {
                            return Err(p.err_at(&t, "$select is given twice inside $expand"));
                        }
                        select = Some(p.select_list()?);
                    }
                    _ => {
                        return Err(p.err_at(
                            &t,
                            format!(
                                "unsupported nested option '{}' (only $select is supported inside $expand)",
                                t.text
                            ),
                        ))
                    }
                }
                if !p.eat(&TokenKind::Semi) {
                    break;
                }
            }
            p.expect(&TokenKind::RParen, "')'")?;
        }
        out.push(ExpandItem { path, select });
        p.limit(out.len())?;
        if !p.eat(&TokenKind::Comma) {
            break;
        }
    }
    p.expect_end()?;
    Ok(out)
}

fn describe(t: &Token) -> String {
    match t.kind {
        TokenKind::End => "end of input".into(),
        _ => format!("'{}'", t.text),
    }
}

impl Parser {
    fn new(option: QueryOption, src: &str) -> Result<Self, ODataError> {
        Ok(Parser {
            option,
            toks: tokenize(option, src)?,
            i: 0,
            depth: 0,
            ops: 0,
        })
    }

    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek2(&self) -> &Token {
        &self.toks[(self.i + 1).min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn at_end(&self) -> bool {
        self.peek().kind == TokenKind::End
    }

    fn eat(&mut self, k: &TokenKind) -> bool {
        if &self.peek().kind == k {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn err_at(&self, t: &Token, msg: impl Into<String>) -> ODataError {
        ODataError::at(self.option, t.pos, msg)
    }

    fn expect(&mut self, k: &TokenKind, what: &str) -> Result<(), ODataError> {
        if self.eat(k) {
            return Ok(());
        }
        let t = self.peek().clone();
        Err(self.err_at(&t, format!("expected {what} but found {}", describe(&t))))
    }

    fn expect_end(&mut self) -> Result<(), ODataError> {
        let t = self.peek().clone();
        if t.kind == TokenKind::End {
            Ok(())
        } else {
            Err(self.err_at(&t, format!("unexpected {}", describe(&t))))
        }
    }

    fn limit(&self, n: usize) -> Result<(), ODataError> {
        if n > MAX_ITEMS {
            let t = self.peek().clone();
            return Err(self.err_at(&t, format!("more than {MAX_ITEMS} items")));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), ODataError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek().clone();
            return Err(self.err_at(&t, format!("expression nested deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    /// Counts one binary operator.
    fn operator(&mut self) -> Result<(), ODataError> {
        self.ops += 1;
        if self.ops > MAX_OPERATORS {
            let t = self.peek().clone();
            return Err(self.err_at(&t, format!("more than {MAX_OPERATORS} operators")));
        }
        Ok(())
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident(k) if k == kw)
    }

    fn expr(&mut self) -> Result<Expr, ODataError> {
        self.enter()?;
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            self.operator()?;
            self.i += 1;
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, ODataError> {
        let mut left = self.equality()?;
        while self.keyword("and") {
            self.operator()?;
            self.i += 1;
            let right = self.equality()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, ODataError> {
        let mut left = self.relational()?;
        loop {
            let op = match &self.peek().kind {
                TokenKind::Ident(k) => CmpOp::from_keyword(k).filter(|o| o.is_equality()),
                _ => None,
            };
            let Some(op) = op else { break };
            self.operator()?;
            let pos = self.next().pos;
            let right = self.relational()?;
            left = Expr::Compare(op, Box::new(left), Box::new(right), pos);
        }
        Ok(left)
    }

    fn relational(&mut self) -> Result<Expr, ODataError> {
        let mut left = self.unary()?;
        loop {
            if self.keyword("in") {
                self.operator()?;
                let pos = self.next().pos;
                self.expect(&TokenKind::LParen, "'(' after 'in'")?;
                let mut list = Vec::new();
                loop {
                    list.push(self.unary()?);
                    self.limit(list.len())?;
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                self.expect(&TokenKind::RParen, "')' closing the 'in' list")?;
                left = Expr::In(Box::new(left), list, pos);
                continue;
            }
            let op = match &self.peek().kind {
                TokenKind::Ident(k) => CmpOp::from_keyword(k).filter(|o| !o.is_equality()),
                _ => None,
            };
            let Some(op) = op else { break };
            self.operator()?;
            let pos = self.next().pos;
            let right = self.unary()?;
            left = Expr::Compare(op, Box::new(left), Box::new(right), pos);
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ODataError> {
        if self.keyword("not") {
            let pos = self.next().pos;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner), pos));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ODataError> {
        let t = self.peek().clone();
        match &t.kind {
            TokenKind::LParen => {
                self.i += 1;
                let e = self.expr()?;
                self.expect(&TokenKind::RParen, "')'")?;
                Ok(e)
            }
            TokenKind::Str(s) => {
                self.i += 1;
                Ok(Expr::Literal(Literal::String(s.clone()), t.pos))
            }
            TokenKind::Int(n) => {
                self.i += 1;
                Ok(Expr::Literal(Literal::Int(*n), t.pos))
            }
            TokenKind::Double(d) => {
                self.i += 1;
                Ok(Expr::Literal(Literal::Double(*d), t.pos))
            }
            TokenKind::DateTime(d) => {
                self.i += 1;
                Ok(Expr::Literal(Literal::DateTime(*d), t.pos))
            }
            TokenKind::Enum { ty, member } => {
                self.i += 1;
                Ok(Expr::Literal(
                    Literal::Enum {
                        ty: ty.clone(),
                        member: member.clone(),
                    },
                    t.pos,
                ))
            }
            TokenKind::Ident(name) => {
                let lit = match name.as_str() {
                    "null" => Some(Literal::Null),
                    "true" => Some(Literal::Bool(true)),
                    "false" => Some(Literal::Bool(false)),
                    _ => None,
                };
                if let Some(l) = lit {
                    self.i += 1;
                    return Ok(Expr::Literal(l, t.pos));
                }
                if self.peek2().kind == TokenKind::LParen && !name.contains('.') {
                    return self.call();
                }
                self.member_expr()
            }
            _ => Err(self.err_at(
                &t,
                format!("expected an operand but found {}", describe(&t)),
            )),
        }
    }

    fn call(&mut self) -> Result<Expr, ODataError> {
        let t = self.next();
        let name = t.text.clone();
        let func = Func::from_name(&name)
            .ok_or_else(|| self.err_at(&t, format!("unknown function '{name}'")))?;
        self.expect(&TokenKind::LParen, "'('")?;
        self.enter()?;
        let mut args = Vec::new();
        if !self.eat(&TokenKind::RParen) {
            loop {
                args.push(self.expr()?);
                self.limit(args.len())?;
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
            self.expect(&TokenKind::RParen, "')' closing the function call")?;
        }
        self.depth -= 1;
        Ok(Expr::Call(func, args, t.pos))
    }

    fn segment(&mut self) -> Result<Segment, ODataError> {
        let t = self.next();
        match &t.kind {
            TokenKind::Ident(name) => Ok(Segment {
                name: name.clone(),
                pos: t.pos,
            }),
            _ => Err(self.err_at(
                &t,
                format!("expected a property name but found {}", describe(&t)),
            )),
        }
    }

    /// A plain `/`-separated path (no lambdas).
    fn path(&mut self) -> Result<Vec<Segment>, ODataError> {
        let mut segs = vec![self.segment()?];
        while self.eat(&TokenKind::Slash) {
            segs.push(self.segment()?);
            self.limit(segs.len())?;
        }
        Ok(segs)
    }

    /// A path that may end in `/any(…)` or `/all(…)`.
    fn member_expr(&mut self) -> Result<Expr, ODataError> {
        let mut segs = vec![self.segment()?];
        while self.eat(&TokenKind::Slash) {
            let is_lambda = matches!(&self.peek().kind, TokenKind::Ident(k) if k == "any" || k == "all")
                && self.peek2().kind == TokenKind::LParen;
            if is_lambda {
                return self.lambda(segs);
            }
            segs.push(self.segment()?);
            self.limit(segs.len())?;
        }
        Ok(Expr::Path(segs))
    }

    fn lambda(&mut self, path: Vec<Segment>) -> Result<Expr, ODataError> {
        let kw = self.next();
        let kind = if kw.text == "any" {
            LambdaKind::Any
        } else {
            LambdaKind::All
        };
        self.expect(&TokenKind::LParen, "'('")?;
        if self.eat(&TokenKind::RParen) {
            if kind == LambdaKind::All {
                return Err(self.err_at(&kw, "all() needs a variable and a condition"));
            }
            return Ok(Expr::Lambda {
                path,
                kind,
                body: None,
                pos: kw.pos,
            });
        }
        let var = self.segment()?;
        if var.name.contains('.') || var.name.starts_with('$') {
            return Err(ODataError::at(
                self.option,
                var.pos,
                format!("invalid lambda variable name '{}'", var.name),
            ));
        }
        self.expect(&TokenKind::Colon, "':' after the lambda variable")?;
        self.enter()?;
        let body = self.expr()?;
        self.depth -= 1;
        self.expect(&TokenKind::RParen, "')' closing the lambda")?;
        Ok(Expr::Lambda {
            path,
            kind,
            body: Some((var, Box::new(body))),
            pos: kw.pos,
        })
    }

    fn select_list(&mut self) -> Result<Vec<SelectItem>, ODataError> {
        let mut out = Vec::new();
        loop {
            out.push(SelectItem { path: self.path()? });
            self.limit(out.len())?;
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        Ok(out)
    }
}
