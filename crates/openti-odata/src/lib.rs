//! OData query options → typed AST.
//!
//! The pipeline for one request is:
//!
//! 1. [`lexer`]: option text → tokens with byte positions;
//! 2. [`parser`]: tokens → an untyped syntax tree ([`ast::Expr`], order-by items, select and
//!    expand items);
//! 3. [`validate`]: the syntax tree is checked against the schema table of the addressed
//!    entity type (`openti_model::schema`) and the per-endpoint allow-rules ([`rules`]),
//!    producing the typed AST ([`ast::Filter`], [`ast::OrderKey`], …) that the store translates
//!    to parameterised SQL.
//!
//! [`compile`] runs all three for the options of one request. Every failure is an
//! [`ODataError`] naming the option, the position and the offending token; the server renders it
//! as a Graph `BadRequest`. [`cursor`] encodes and checks the opaque `$skiptoken`.

pub mod ast;
mod compile;
pub mod cursor;
pub mod lexer;
pub mod parser;
pub mod rules;
mod select;
mod types;
pub mod validate;

pub use ast::*;
pub use compile::{compile, Compiled, RawOptions};
pub use cursor::{Cursor, CursorValue};
pub use rules::{endpoint, Endpoint, SearchMode};

/// The query option an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryOption {
    /// `$filter`
    Filter,
    /// `$orderby`
    OrderBy,
    /// `$select`
    Select,
    /// `$expand`
    Expand,
    /// `$search`
    Search,
    /// `$skiptoken`
    SkipToken,
    /// `$top` / `$skip` / `$count` and other options
    Other,
}

impl QueryOption {
    /// The option name as written in a URL.
    pub fn name(self) -> &'static str {
        match self {
            QueryOption::Filter => "$filter",
            QueryOption::OrderBy => "$orderby",
            QueryOption::Select => "$select",
            QueryOption::Expand => "$expand",
            QueryOption::Search => "$search",
            QueryOption::SkipToken => "$skiptoken",
            QueryOption::Other => "query option",
        }
    }
}

/// A rejected query option: which option, where, and why. Always a client error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ODataError {
    /// The option.
    pub option: QueryOption,
    /// Byte offset in the option value, when the error has one.
    pub position: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl ODataError {
    /// An error at a position.
    pub fn at(option: QueryOption, pos: usize, message: impl Into<String>) -> Self {
        ODataError {
            option,
            position: Some(pos),
            message: message.into(),
        }
    }

    /// An error without a position.
    pub fn new(option: QueryOption, message: impl Into<String>) -> Self {
        ODataError {
            option,
            position: None,
            message: message.into(),
        }
    }

    fn render(&self) -> String {
        match self.position {
            Some(p) => format!(
                "Invalid {} at position {p}: {}.",
                self.option.name(),
                self.message
            ),
            None => format!("Invalid {}: {}.", self.option.name(), self.message),
        }
    }
}
