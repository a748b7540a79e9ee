//! `openti token`: create, list and revoke API tokens (only their hashes are stored).

use anyhow::bail;
use chrono::{Duration, Utc};
use clap::Subcommand;
use openti_server::auth::{hash_secret, new_secret, READ, READ_WRITE};
use openti_store::{Store, TokenRecord};

/// Token subcommands.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (once) on standard output.
    Create {
        /// Database path (SQLite) or URL [default: ./openti.db].
        #[arg(long, env = "OPENTI_DATABASE")]
        database: Option<String>,
        /// Name shown in listings.
        #[arg(long)]
        name: String,
        /// ThreatIntelligence.Read.All or ThreatIntelligence.ReadWrite.All.
        #[arg(long, default_value = READ)]
        permission: String,
        /// Lifetime such as 90d, 12h, 30m or 45s (default: no expiry).
        #[arg(long)]
        expires: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        /// Database path (SQLite) or URL [default: ./openti.db].
        #[arg(long, env = "OPENTI_DATABASE")]
        database: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        /// Database path (SQLite) or URL [default: ./openti.db].
        #[arg(long, env = "OPENTI_DATABASE")]
        database: Option<String>,
        /// Token id (from `token list`).
        id: String,
    },
}

/// Parses `90d`, `12h`, `30m`, `45s`.
pub fn parse_lifetime(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.len().saturating_sub(1));
    let n: i64 = num.parse().map_err(|_| {
        anyhow::anyhow!("--expires {text:?}: expected a number followed by d, h, m or s")
    })?;
    if n < 0 {
        bail!("--expires {text:?}: the lifetime must not be negative");
    }
    match unit {
        "d" => Ok(Duration::days(n)),
        "h" => Ok(Duration::hours(n)),
        "m" => Ok(Duration::minutes(n)),
        "s" => Ok(Duration::seconds(n)),
        _ => bail!("--expires {text:?}: expected a number followed by d, h, m or s"),
    }
}

/// Creates a token in `store` and returns its secret.
pub async fn create(
    store: &dyn Store,
    name: &str,
    permission: &str,
    lifetime: Option<Duration>,
) -> anyhow::Result<String> {
    if permission != READ && permission != READ_WRITE {
        bail!("--permission {permission:?}: expected {READ} or {READ_WRITE}");
    }
    let secret = new_secret();
    let now = Utc::now();
    let record = TokenRecord {
        id: hash_secret(&secret)[..12].to_string(),
        name: name.to_string(),
        permission: permission.to_string(),
        created: now,
        expires: lifetime.map(|d| now + d),
        revoked: None,
    };
    store.create_token(&record, &hash_secret(&secret)).await?;
    Ok(secret)
}

/// Runs a token subcommand.
pub async fn run(cmd: TokenCommand, file: &crate::config::FileConfig) -> anyhow::Result<()> {
    let db = |flag: Option<String>| crate::config::database(flag, file);
    match cmd {
        TokenCommand::Create {
            database,
            name,
            permission,
            expires,
        } => {
            let lifetime = expires.as_deref().map(parse_lifetime).transpose()?;
            let store = crate::db::open(&db(database)).await?;
            let secret = create(store.as_ref(), &name, &permission, lifetime).await?;
            println!("{secret}");
        }
        TokenCommand::List { database } => {
            let store = crate::db::open(&db(database)).await?;
            println!(
                "{:<14} {:<20} {:<34} {:<22} {:<22} status",
                "id", "name", "permission", "created", "expires"
            );
            for t in store.list_tokens().await? {
                let status = if t.revoked.is_some() {
                    "revoked"
                } else if t.expires.is_some_and(|e| e <= Utc::now()) {
                    "expired"
                } else {
                    "active"
                };
                let fmt = |d: Option<chrono::DateTime<Utc>>| {
                    d.map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                        .unwrap_or("-".into())
                };
                println!(
                    "{:<14} {:<20} {:<34} {:<22} {:<22} {status}",
                    t.id,
                    t.name,
                    t.permission,
                    fmt(Some(t.created)),
                    fmt(t.expires)
                );
            }
        }
        TokenCommand::Revoke { database, id } => {
            let store = crate::db::open(&db(database)).await?;
            if !store.revoke_token(&id).await? {
                bail!("no token with id {id:?}");
            }
            eprintln!("revoked {id}");
        }
    }
    Ok(())
}
