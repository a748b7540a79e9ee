//! Configuration: a TOML file, `OPENTI_*` environment variables and command-line flags.
//!
//! Precedence, highest first: **flags > environment > file > defaults**. Flags and their
//! environment variables are read by clap (a flag wins over its variable); values still unset
//! are taken from the file named by `--config` / `OPENTI_CONFIG`, then from the defaults.
//! `docs/configuration.md` lists every key.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use openti_server::oidc::OidcConfig;
use openti_server::throttle::ThrottleConfig;
use openti_server::ServerConfig;
use serde::Deserialize;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The TOML file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Database path or URL.
    pub database: Option<String>,
    /// Listen address.
    pub listen: Option<String>,
    /// Public base URL.
    pub public_url: Option<String>,
    /// `[oidc]`.
    pub oidc: Option<FileOidc>,
    /// `[throttle]`.
    pub throttle: Option<FileThrottle>,
    /// Host reputation rule file (TOML; default: the embedded rules).
    pub reputation_rules: Option<String>,
    /// Seconds between background rescoring passes of `serve` (0: none).
    pub rescore_interval_secs: Option<u64>,
}

/// `[oidc]` in the file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileOidc {
    /// Expected issuer.
    pub issuer: Option<String>,
    /// Accepted audiences: one string or a list.
    pub audience: Option<OneOrMany>,
    /// JWKS URL.
    pub jwks_url: Option<String>,
    /// Maximum age of the cached key set, seconds.
    pub jwks_max_age_secs: Option<u64>,
    /// Minimum seconds between refreshes forced by unknown `kid`s.
    pub jwks_min_refresh_secs: Option<u64>,
}

/// `[throttle]` in the file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileThrottle {
    /// Requests per second per caller (0 disables).
    pub rate: Option<f64>,
    /// Burst size.
    pub burst: Option<u32>,
}

/// A string or a list of strings.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => split_list(&s),
            OneOrMany::Many(v) => v,
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Reads the file named by `--config` (no file: empty configuration).
pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--config {}: cannot read", path.display()))?;
    toml::from_str(&text).with_context(|| format!("--config {}: invalid", path.display()))
}

/// Serve settings as given by flags or environment (clap has already merged those two).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ServeFlags {
    /// `--database` / `OPENTI_DATABASE`.
    pub database: Option<String>,
    /// `--listen` / `OPENTI_LISTEN`.
    pub listen: Option<String>,
    /// `--public-url` / `OPENTI_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `--oidc-issuer` / `OPENTI_OIDC_ISSUER`.
    pub oidc_issuer: Option<String>,
    /// `--oidc-audience` / `OPENTI_OIDC_AUDIENCE` (comma-separated).
    pub oidc_audience: Option<String>,
    /// `--oidc-jwks-url` / `OPENTI_OIDC_JWKS_URL`.
    pub oidc_jwks_url: Option<String>,
    /// `--oidc-jwks-min-refresh-secs` / `OPENTI_OIDC_JWKS_MIN_REFRESH_SECS`.
    pub oidc_jwks_min_refresh_secs: Option<u64>,
    /// `--throttle-rate` / `OPENTI_THROTTLE_RATE`.
    pub throttle_rate: Option<f64>,
    /// `--throttle-burst` / `OPENTI_THROTTLE_BURST`.
    pub throttle_burst: Option<u32>,
    /// `--rescore-interval` / `OPENTI_RESCORE_INTERVAL_SECS`.
    pub rescore_interval_secs: Option<u64>,
}

/// Effective serve settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database (None: the default, or a temporary one for `--demo`).
    pub database: Option<String>,
    /// Listen address.
    pub listen: String,
    /// What the server needs.
    pub server: ServerConfig,
    /// Time between background rescoring passes; `None` when disabled.
    pub rescore_interval: Option<Duration>,
}

/// Default seconds between background rescoring passes.
pub const DEFAULT_RESCORE_INTERVAL_SECS: u64 = 2;

/// The database for non-serve commands: flag/env, else file, else the default.
pub fn database(flag: Option<String>, file: &FileConfig) -> String {
    flag.or_else(|| file.database.clone())
        .unwrap_or_else(|| crate::DEFAULT_DATABASE.to_string())
}

/// Merges flags/env over the file over the defaults.
pub fn resolve(flags: ServeFlags, file: FileConfig) -> anyhow::Result<Settings> {
    let fo = file.oidc.unwrap_or_default();
    let issuer = flags.oidc_issuer.or(fo.issuer);
    let audiences = flags
        .oidc_audience
        .map(|a| split_list(&a))
        .or(fo.audience.map(OneOrMany::into_vec));
    let jwks_url = flags.oidc_jwks_url.or(fo.jwks_url);
    let oidc = match (issuer, audiences, jwks_url) {
        (None, None, None) => None,
        (Some(i), Some(a), Some(j)) if !a.is_empty() => {
            let mut c = OidcConfig::new(i, a, j);
            if let Some(s) = fo.jwks_max_age_secs {
                c.jwks_max_age = Duration::from_secs(s);
            }
            if let Some(s) = flags
                .oidc_jwks_min_refresh_secs
                .or(fo.jwks_min_refresh_secs)
            {
                c.jwks_min_refresh = Duration::from_secs(s);
            }
            Some(c)
        }
        _ => bail!("OIDC needs all of issuer, audience and jwks_url (or none of them)"),
    };
    let ft = file.throttle.unwrap_or_default();
    let defaults = ThrottleConfig::default();
    let throttle = ThrottleConfig {
        rate: flags.throttle_rate.or(ft.rate).unwrap_or(defaults.rate),
        burst: flags.throttle_burst.or(ft.burst).unwrap_or(defaults.burst),
    };
    if !throttle.rate.is_finite() || throttle.rate < 0.0 {
        bail!("throttle rate must be a non-negative number");
    }
    let rescore = flags
        .rescore_interval_secs
        .or(file.rescore_interval_secs)
        .unwrap_or(DEFAULT_RESCORE_INTERVAL_SECS);
    Ok(Settings {
        rescore_interval: (rescore > 0).then(|| Duration::from_secs(rescore)),
        database: flags.database.or(file.database),
        listen: flags
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string()),
        server: ServerConfig {
            public_url: flags.public_url.or(file.public_url),
            oidc,
            throttle,
            ..ServerConfig::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
database = "/data/file.db"
listen = "0.0.0.0:9000"
public_url = "https://ti.example.com"

[oidc]
issuer = "https://login.example.com/tenant/v2.0"
audience = ["api://openti", "11111111-2222-3333-4444-555555555555"]
jwks_url = "https://login.example.com/tenant/discovery/v2.0/keys"
jwks_min_refresh_secs = 5

[throttle]
rate = 5.5
burst = 20
"#;

    #[test]
    fn file_fills_what_flags_leave_unset() {
        let file: FileConfig = toml::from_str(FILE).unwrap();
        let flags = ServeFlags {
            listen: Some("127.0.0.1:1".into()),
            throttle_burst: Some(7),
            ..Default::default()
        };
        let s = resolve(flags, file).unwrap();
        assert_eq!(s.listen, "127.0.0.1:1", "flag wins");
        assert_eq!(s.database.as_deref(), Some("/data/file.db"));
        assert_eq!(
            s.server.public_url.as_deref(),
            Some("https://ti.example.com")
        );
        assert_eq!(s.server.throttle.rate, 5.5);
        assert_eq!(s.server.throttle.burst, 7);
        let o = s.server.oidc.unwrap();
        assert_eq!(o.audiences.len(), 2);
        assert_eq!(o.jwks_min_refresh, Duration::from_secs(5));
    }

    #[test]
    fn defaults_and_errors() {
        let s = resolve(ServeFlags::default(), FileConfig::default()).unwrap();
        assert_eq!(s.listen, DEFAULT_LISTEN);
        assert!(s.database.is_none() && s.server.oidc.is_none());
        assert_eq!(s.server.throttle, ThrottleConfig::default());
        let half = ServeFlags {
            oidc_issuer: Some("x".into()),
            ..Default::default()
        };
        assert!(resolve(half, FileConfig::default()).is_err());
        assert!(toml::from_str::<FileConfig>("bogus = 1").is_err());
        let flags = ServeFlags {
            oidc_issuer: Some("i".into()),
            oidc_audience: Some("a, b".into()),
            oidc_jwks_url: Some("http://127.0.0.1:1/keys".into()),
            ..Default::default()
        };
        let o = resolve(flags, FileConfig::default())
            .unwrap()
            .server
            .oidc
            .unwrap();
        assert_eq!(o.audiences, vec!["a", "b"]);
    }
}
