//! One synchronous SQL connection interface over both backends.
//!
//! The store's logic (batch aggregation, reads, rendering, reputation) is written once against
//! [`Conn`], a small subset of the `rusqlite` API shape (`prepare_cached`, `execute`,
//! `query_row`, `query_map`, `params!`). A [`Conn`] is either a SQLite connection or a
//! PostgreSQL connection ([`pg`]); the PostgreSQL side rewrites the portable SQL text once per
//! statement (numbered placeholders, `min`/`max` of two values, upsert column qualification,
//! `INSERT OR IGNORE`, null-safe `IS`) and caches the prepared statement.
//!
//! Values cross the interface as [`Value`]s (NULL, integer, real, text, blob); rows are read
//! into owned [`Row`]s, so a row closure may issue further statements on the same connection.

mod pending;
pub mod pg;
mod rewrite;

use std::cell::RefCell;

use crate::query::{Dialect, Param, Postgres, Sqlite};
use crate::StoreError;

pub use pg::PgConn;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// A 64-bit integer (also booleans as 0/1).
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl From<&Param> for Value {
    fn from(p: &Param) -> Value {
        match p {
            Param::Null => Value::Null,
            Param::Int(i) => Value::Int(*i),
            Param::Real(r) => Value::Real(*r),
            Param::Text(s) => Value::Text(s.clone()),
        }
    }
}

/// A database error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `query_row` found no row.
    #[error("query returned no rows")]
    NoRows,
    /// A column could not be converted to the requested type.
    #[error("column {idx}: {message}")]
    Conversion {
        /// Column index.
        idx: usize,
        /// What went wrong.
        message: String,
    },
    /// SQLite reported an error.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("{0}")]
    Postgres(String),
    /// A PostgreSQL error with SQLSTATE `code` (serialization failure, deadlock, …).
    #[error("{message} (SQLSTATE {code})")]
    PostgresState {
        /// The SQLSTATE.
        code: String,
        /// The server's message.
        message: String,
    },
}

impl Error {
    /// A conversion failure on column `idx`.
    pub fn conversion(idx: usize, message: impl std::fmt::Display) -> Error {
        Error::Conversion {
            idx,
            message: message.to_string(),
        }
    }

    /// Whether retrying the whole transaction may succeed (PostgreSQL serialization failure or
    /// deadlock; SQLite busy).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::PostgresState { code, .. } => code == "40001" || code == "40P01",
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DatabaseBusy
            }
            _ => false,
        }
    }
}

impl Error {
    /// Whether the database is (temporarily) not serving: connection lost or refused, server
    /// shutting down, statement cancelled by `statement_timeout`.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Postgres(_) => true,
            Error::PostgresState { code, .. } => {
                code.starts_with("08") || code.starts_with("57P") || code == "57014"
            }
            _ => false,
        }
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        if e.is_retryable() {
            StoreError::Conflict(e.to_string())
        } else if e.is_unavailable() {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Database(e.to_string())
        }
    }
}

/// Result of a database call.
pub type Result<T> = std::result::Result<T, Error>;

/// A Rust value that binds as a [`Value`].
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

/// A Rust value read from a [`Value`].
pub trait FromValue: Sized {
    /// Converts, or explains why not.
    fn from_value(v: &Value) -> std::result::Result<Self, String>;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for Param {
    fn to_value(&self) -> Value {
        Value::from(self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_to_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize);
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

impl FromValue for Value {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        Ok(v.clone())
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Real(r) => Ok(r.to_string()),
            Value::Blob(b) => String::from_utf8(b.clone()).map_err(|e| e.to_string()),
            Value::Null => Err("unexpected NULL".into()),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Real(r) => Ok(*r),
            Value::Int(i) => Ok(*i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Int(i) => Ok(*i != 0),
            Value::Text(t) if t == "true" || t == "t" => Ok(true),
            Value::Text(t) if t == "false" || t == "f" => Ok(false),
            other => Err(format!("expected a boolean, found {other:?}")),
        }
    }
}
macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> std::result::Result<Self, String> {
                match v {
                    Value::Int(i) => <$t>::try_from(*i).map_err(|e| e.to_string()),
                    other => Err(format!("expected an integer, found {other:?}")),
                }
            }
        }
    )*};
}
int_from_value!(i32, i64, u8, u16, u32, u64, usize);
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// An owned result row.
#[derive(Debug, Clone, Default)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    /// Wraps column values.
    pub fn new(values: Vec<Value>) -> Row {
        Row { values }
    }

    /// Column `idx` converted to `T`.
    pub fn get<T: FromValue>(&self, idx: usize) -> Result<T> {
        let v = self
            .values
            .get(idx)
            .ok_or_else(|| Error::conversion(idx, "no such column"))?;
        T::from_value(v).map_err(|m| Error::conversion(idx, m))
    }

    /// Column `idx` as a raw value.
    pub fn value(&self, idx: usize) -> Result<&Value> {
        self.values
            .get(idx)
            .ok_or_else(|| Error::conversion(idx, "no such column"))
    }
}

/// Statement parameters.
pub trait Params {
    /// The values, in placeholder order.
    fn into_values(self) -> Vec<Value>;
}

impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self
    }
}
impl Params for &[&dyn ToValue] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
impl<T: ToValue, const N: usize> Params for [T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}
impl<T: ToValue, const N: usize> Params for &[T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}

/// Parameters from an iterator of values.
pub fn params_from_iter<I>(iter: I) -> Vec<Value>
where
    I: IntoIterator,
    I::Item: ToValue,
{
    iter.into_iter().map(|v| v.to_value()).collect()
}

/// `params![a, b, …]`: a parameter list of mixed types.
#[macro_export]
#[doc(hidden)]
macro_rules! __db_params {
    () => {
        &[] as &[&dyn $crate::db::ToValue]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToValue),+] as &[&dyn $crate::db::ToValue]
    };
}
pub use crate::__db_params as params;

/// `query_row(...).optional()`: no row becomes `None`.
pub trait OptionalExtension<T> {
    /// `Err(NoRows)` → `Ok(None)`.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which backend a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A connection (SQLite, or PostgreSQL behind a `RefCell` so statements take `&self`).
#[derive(Clone, Copy)]
pub enum Conn<'a> {
    /// SQLite.
    Sqlite(&'a rusqlite::Connection),
    /// PostgreSQL.
    Postgres(&'a RefCell<PgConn>),
}

impl<'a> Conn<'a> {
    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// The OData SQL dialect of this backend.
    pub fn dialect(&self) -> &'static dyn Dialect {
        match self {
            Conn::Sqlite(_) => &Sqlite,
            Conn::Postgres(_) => &Postgres,
        }
    }

    /// Picks the SQL text for this backend where the two cannot share one.
    pub fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Conn::Sqlite(_) => sqlite,
            Conn::Postgres(_) => postgres,
        }
    }

    /// A (cached) statement.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'a>> {
        Ok(Stmt {
            conn: *self,
            sql: sql.to_string(),
        })
    }

    /// A statement (same as [`Conn::prepare_cached`]: both backends cache).
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'a>> {
        self.prepare_cached(sql)
    }

    /// Runs one statement; returns the number of changed rows.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// The first row mapped by `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Runs a script of statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => c.borrow_mut().batch(sql),
        }
    }

    /// Starts a transaction (`immediate`: take the write lock now, SQLite only); it rolls back
    /// when dropped without [`Tx::commit`].
    pub fn transaction(&self, immediate: bool) -> Result<Tx<'a>> {
        match self {
            Conn::Sqlite(c) => {
                c.execute_batch(if immediate {
                    "BEGIN IMMEDIATE"
                } else {
                    "BEGIN"
                })?;
            }
            Conn::Postgres(c) => c.borrow_mut().batch("BEGIN")?,
        }
        Ok(Tx {
            conn: *self,
            done: false,
        })
    }

    fn run(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
        match self {
            Conn::Sqlite(c) => sqlite_query(c, sql, params),
            Conn::Postgres(c) => c.borrow_mut().query(sql, &params),
        }
    }

    fn run_execute(&self, sql: &str, params: Vec<Value>) -> Result<usize> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter().map(SqliteValue)))?)
            }
            Conn::Postgres(c) => c.borrow_mut().execute(sql, &params),
        }
    }
}

struct SqliteValue<'v>(&'v Value);

impl rusqlite::ToSql for SqliteValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn sqlite_query(c: &rusqlite::Connection, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
    use rusqlite::types::ValueRef;
    let mut stmt = c.prepare_cached(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(SqliteValue)))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(v) => Value::Real(v),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            });
        }
        out.push(Row::new(values));
    }
    Ok(out)
}

/// A statement bound to a connection.
pub struct Stmt<'a> {
    conn: Conn<'a>,
    sql: String,
}

impl Stmt<'_> {
    /// Runs it; returns the number of changed rows.
    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.conn.run_execute(&self.sql, params.into_values())
    }

    /// Every row mapped by `f`.
    pub fn query_map<T, F>(
        &mut self,
        params: impl Params,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>>
    where
        F: FnMut(&Row) -> Result<T>,
    {
        let rows = self.conn.run(&self.sql, params.into_values())?;
        Ok(rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }

    /// The first row mapped by `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let rows = self.conn.run(&self.sql, params.into_values())?;
        match rows.first() {
            Some(r) => f(r),
            None => Err(Error::NoRows),
        }
    }

    /// The rows, to walk with [`Rows::next`].
    pub fn query(&mut self, params: impl Params) -> Result<Rows> {
        Ok(Rows {
            rows: self.conn.run(&self.sql, params.into_values())?.into_iter(),
            current: None,
        })
    }
}

/// Rows of a query, walked with `while let Some(row) = rows.next()? { … }`.
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    /// The next row.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<&Row>> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
    }
}

/// An open transaction; rolls back on drop unless committed.
pub struct Tx<'a> {
    conn: Conn<'a>,
    done: bool,
}

impl<'a> Tx<'a> {
    /// Commits.
    pub fn commit(mut self) -> Result<()> {
        let r = self.conn.execute_batch("COMMIT");
        self.done = r.is_ok();
        r
    }
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = Conn<'a>;
    fn deref(&self) -> &Conn<'a> {
        &self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
