//! The PostgreSQL side of [`super::Conn`]: a `postgres::Client` with a statement cache, the SQL
//! rewrite of [`super::rewrite`], and value conversion that follows the types the server
//! inferred for each placeholder and result column.

use std::collections::HashMap;
use std::error::Error as StdError;

use postgres::types::{to_sql_checked, FromSql, IsNull, Kind, ToSql, Type};
use postgres::{Client, Statement};

use super::pending::{Hold, Pending, Upsert};
use super::rewrite::{self, Columns};
use super::{Error, Result, Row, Value};

/// Most statements kept prepared per connection.
const STATEMENT_CACHE: usize = 512;

/// One PostgreSQL connection.
pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    columns: Option<Columns>,
    /// Inside an explicit transaction (upserts may be held back).
    in_tx: bool,
    /// Upserts held back ([`super::pending`]).
    pending: Pending,
    /// Portable SQL → its upsert shape (`None`: not bufferable).
    shapes: HashMap<String, Option<Upsert>>,
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn")
            .field("statements", &self.statements.len())
            .finish()
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => Error::PostgresState {
                code: db.code().code().to_string(),
                message: match db.detail() {
                    Some(d) => format!("{}: {d}", db.message()),
                    None => db.message().to_string(),
                },
            },
            None => Error::Postgres(e.to_string()),
        }
    }
}

impl PgConn {
    /// Wraps a connected client.
    pub fn new(client: Client) -> PgConn {
        PgConn {
            client,
            statements: HashMap::new(),
            columns: None,
            in_tx: false,
            pending: Pending::default(),
            shapes: HashMap::new(),
        }
    }

    /// Whether the connection is closed (broken).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    fn columns(&mut self) -> Result<&Columns> {
        if self.columns.is_none() {
            let rows = self.client.query(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema()",
                &[],
            )?;
            let mut m = Columns::new();
            for r in rows {
                let t: String = r.get(0);
                let c: String = r.get(1);
                m.entry(t).or_default().insert(c);
            }
            self.columns = Some(m);
        }
        Ok(self.columns.as_ref().expect("loaded above"))
    }

    /// The prepared statement for portable `sql` (rewritten for PostgreSQL).
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        self.prepared(sql, true)
    }

    /// The cached prepared statement for `sql`, rewritten from the portable spelling first
    /// when `portable`.
    fn prepared(&mut self, sql: &str, portable: bool) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let text = if portable {
            rewrite::to_postgres(sql, self.columns()?)
        } else {
            sql.to_string()
        };
        let stmt = self
            .client
            .prepare(&text)
            .map_err(|e| match Error::from(e) {
                Error::PostgresState { code, message } => Error::PostgresState {
                    code,
                    message: format!("{message} in: {text}"),
                },
                other => other,
            })?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// Sends the held upserts (see [`super::pending`]).
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunks = self.pending.drain();
        self.send(chunks)
    }

    fn send(&mut self, chunks: Vec<(String, Vec<Value>)>) -> Result<()> {
        for (sql, params) in chunks {
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
            self.client.execute(sql.as_str(), &refs)?;
        }
        Ok(())
    }

    /// The upsert shape of portable `sql`, if it can be held back.
    fn shape(&mut self, sql: &str) -> Result<Option<Upsert>> {
        if let Some(s) = self.shapes.get(sql) {
            return Ok(s.clone());
        }
        let shape = Upsert::parse(&rewrite::to_postgres(sql, self.columns()?));
        self.shapes.insert(sql.to_string(), shape.clone());
        Ok(shape)
    }

    /// Runs a statement; returns the number of changed rows (an upsert held back inside a
    /// transaction reports one).
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        if self.in_tx {
            if let Some(shape) = self.shape(sql)? {
                if let Hold::FlushFirst(n) = self.pending.hold(sql, &shape, params) {
                    let chunks = self.pending.drain_first(n);
                    self.send(chunks)?;
                    let _ = self.pending.hold(sql, &shape, params);
                }
                return Ok(1);
            }
        }
        self.flush()?;
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        Ok(self.client.execute(&stmt, &refs)? as usize)
    }

    /// Runs a PostgreSQL statement as written (no rewrite) with driver-typed parameters
    /// (arrays for bulk writes); prepared once per connection.
    pub fn execute_raw(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.flush()?;
        let stmt = self.prepared(sql, false)?;
        Ok(self.client.execute(&stmt, params)?)
    }

    /// Runs a query; returns its rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.flush()?;
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self.client.query(&stmt, &refs)?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get::<_, PgValue>(i)
                            .map(|v| v.0)
                            .map_err(|e| Error::conversion(i, e))
                    })
                    .collect::<Result<Vec<Value>>>()
                    .map(Row::new)
            })
            .collect()
    }

    /// Runs a script (no parameters). Forgets cached statements and the column catalogue when
    /// the script may change the schema.
    pub fn batch(&mut self, sql: &str) -> Result<()> {
        let head: String = sql
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_uppercase();
        if head == "ROLLBACK" {
            self.pending.clear();
            self.in_tx = false;
        } else {
            self.flush()?;
        }
        self.client.batch_execute(sql)?;
        match head.as_str() {
            "BEGIN" => self.in_tx = true,
            "COMMIT" => {
                self.in_tx = false;
                self.pending.clear();
            }
            _ => {}
        }
        // only scripts that may change the schema forget the prepared statements
        if !matches!(
            head.as_str(),
            "BEGIN" | "COMMIT" | "ROLLBACK" | "SET" | "SAVEPOINT" | "SELECT"
        ) {
            self.columns = None;
            self.statements.clear();
            self.shapes.clear();
        }
        Ok(())
    }
}

/// A value read from PostgreSQL.
struct PgValue(Value);

type BoxError = Box<dyn StdError + Sync + Send>;

fn be_i64(raw: &[u8]) -> std::result::Result<i64, BoxError> {
    Ok(match raw.len() {
        2 => i64::from(i16::from_be_bytes([raw[0], raw[1]])),
        4 => i64::from(i32::from_be_bytes(raw.try_into()?)),
        8 => i64::from_be_bytes(raw.try_into()?),
        n => return Err(format!("integer of {n} bytes").into()),
    })
}

/// Decodes a binary NUMERIC (base-10000 digits) into an integer or a real.
fn numeric(raw: &[u8]) -> std::result::Result<Value, BoxError> {
    if raw.len() < 8 {
        return Err("short numeric".into());
    }
    let ndigits = u16::from_be_bytes([raw[0], raw[1]]) as usize;
    let weight = i16::from_be_bytes([raw[2], raw[3]]) as i32;
    let sign = u16::from_be_bytes([raw[4], raw[5]]);
    let dscale = u16::from_be_bytes([raw[6], raw[7]]);
    if sign == 0xC000 {
        return Ok(Value::Null);
    }
    let mut v = 0f64;
    for k in 0..ndigits {
        let d = u16::from_be_bytes([raw[8 + 2 * k], raw[9 + 2 * k]]) as f64;
        v += d * 10000f64.powi(weight - k as i32);
    }
    if sign == 0x4000 {
        v = -v;
    }
    if dscale == 0 && v.abs() < 9.0e15 {
        Ok(Value::Int(v as i64))
    } else {
        Ok(Value::Real(v))
    }
}

impl<'a> FromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        let v = match *ty {
            Type::BOOL => Value::Int(i64::from(raw.first().copied().unwrap_or(0) != 0)),
            Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => Value::Int(be_i64(raw)?),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_be_bytes(raw.try_into()?))),
            Type::FLOAT8 => Value::Real(f64::from_be_bytes(raw.try_into()?)),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => Value::Text(String::from_utf8(raw.get(1..).unwrap_or(&[]).to_vec())?),
            _ if matches!(ty.kind(), Kind::Simple) => Value::Text(String::from_utf8(raw.to_vec())?),
            _ => return Err(format!("unsupported column type {ty}").into()),
        };
        Ok(PgValue(v))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, BoxError> {
        use postgres::types::private::BytesMut;
        fn put(out: &mut BytesMut, b: &[u8]) {
            out.extend_from_slice(b);
        }
        let text = |v: &Value| -> String {
            match v {
                Value::Int(i) => i.to_string(),
                Value::Real(r) => r.to_string(),
                Value::Text(s) => s.clone(),
                Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
                Value::Null => String::new(),
            }
        };
        let int = |v: &Value| -> std::result::Result<i64, BoxError> {
            match v {
                Value::Int(i) => Ok(*i),
                Value::Real(r) => Ok(*r as i64),
                Value::Text(s) => Ok(s.trim().parse()?),
                other => Err(format!("cannot bind {other:?} as an integer").into()),
            }
        };
        if matches!(self, Value::Null) {
            return Ok(IsNull::Yes);
        }
        match *ty {
            Type::INT8 => put(out, &int(self)?.to_be_bytes()),
            Type::INT4 => put(out, &i32::try_from(int(self)?)?.to_be_bytes()),
            Type::INT2 => put(out, &i16::try_from(int(self)?)?.to_be_bytes()),
            Type::BOOL => put(out, &[u8::from(int(self)? != 0)]),
            Type::FLOAT8 => {
                let f = match self {
                    Value::Real(r) => *r,
                    Value::Int(i) => *i as f64,
                    other => text(other).parse()?,
                };
                put(out, &f.to_be_bytes())
            }
            Type::FLOAT4 => {
                let f = match self {
                    Value::Real(r) => *r as f32,
                    Value::Int(i) => *i as f32,
                    other => text(other).parse()?,
                };
                put(out, &f.to_be_bytes())
            }
            Type::BYTEA => match self {
                Value::Blob(b) => put(out, b),
                other => put(out, text(other).as_bytes()),
            },
            Type::JSONB => {
                put(out, &[1]);
                put(out, text(self).as_bytes())
            }
            Type::NUMERIC => {
                return Err("NUMERIC parameters are not supported; cast to bigint".into())
            }
            _ if matches!(ty.kind(), Kind::Simple) => put(out, text(self).as_bytes()),
            _ => return Err(format!("cannot bind a value as {ty}").into()),
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_digits_decode() {
        // 12345 = digits [1, 2345], weight 1, positive, scale 0.
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0, 1, 0x09, 0x29];
        assert_eq!(numeric(&raw).expect("numeric"), Value::Int(12345));
    }
}
