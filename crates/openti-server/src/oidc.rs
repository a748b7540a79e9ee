//! OIDC / Entra ID bearer tokens (JWTs).
//!
//! A token is accepted when its signature verifies against a key of the configured JWKS
//! (RS256 with an RSA key, ES256 with a P-256 key; the header's `kid` selects the key), `exp`
//! is in the future and `nbf` (when present) in the past (60 s leeway), `iss` equals the
//! configured issuer and `aud` one of the configured audiences. The permission comes from the
//! `roles` claim (application tokens) or the space-separated `scp` claim (delegated tokens).
//!
//! The JWKS is fetched on first use, cached, refreshed after [`OidcConfig::jwks_max_age`], and
//! refreshed at once when a token names a `kid` the cache does not know (at most once per
//! [`OidcConfig::jwks_min_refresh`], so a flood of bogus `kid`s cannot hammer the IdP).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::auth::{Principal, READ, READ_WRITE};

/// OIDC settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// Expected `iss` claim, e.g. `https://login.microsoftonline.com/<tenant>/v2.0`.
    pub issuer: String,
    /// Accepted `aud` values (an application id URI and/or the client id).
    pub audiences: Vec<String>,
    /// Where the signing keys are published (`…/discovery/v2.0/keys`).
    pub jwks_url: String,
    /// Refresh the cached key set when it is older than this.
    pub jwks_max_age: Duration,
    /// Minimum time between two fetches triggered by unknown `kid`s.
    pub jwks_min_refresh: Duration,
}

impl OidcConfig {
    /// Settings with the default cache times (1 h max age, 10 s between forced refreshes).
    pub fn new(issuer: String, audiences: Vec<String>, jwks_url: String) -> Self {
        OidcConfig {
            issuer,
            audiences,
            jwks_url,
            jwks_max_age: Duration::from_secs(3600),
            jwks_min_refresh: Duration::from_secs(10),
        }
    }
}

/// Why a JWT was refused (the message goes into the 401 body; it never contains the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not a JWS in compact form, or a header we cannot use.
    #[error("Access token is malformed: {0}")]
    Malformed(String),
    /// Signature, issuer, audience or time checks failed.
    #[error("Access token validation failed: {0}")]
    Invalid(String),
    /// The token's `exp` has passed.
    #[error("Access token has expired.")]
    Expired,
    /// The key set could not be fetched.
    #[error("Signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    scp: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    oid: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    appid: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

struct CachedKeys {
    keys: HashMap<String, (Algorithm, DecodingKey)>,
    fetched: Option<Instant>,
    last_forced: Option<Instant>,
}

/// Validates JWTs against a cached JWKS.
pub struct JwtValidator {
    config: OidcConfig,
    cache: Mutex<CachedKeys>,
}

impl std::fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtValidator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// True when a bearer credential has the shape of a compact JWS (`xxx.yyy.zzz`).
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}

impl JwtValidator {
    /// A validator with an empty cache (the first token triggers the fetch).
    pub fn new(config: OidcConfig) -> Self {
        JwtValidator {
            config,
            cache: Mutex::new(CachedKeys {
                keys: HashMap::new(),
                fetched: None,
                last_forced: None,
            }),
        }
    }

    /// Validates `token` and returns the caller it names.
    pub async fn validate(&self, token: &str) -> Result<Principal, JwtError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| JwtError::Malformed(e.to_string()))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(JwtError::Malformed(format!(
                "algorithm {:?} is not accepted (RS256 or ES256)",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| JwtError::Malformed("the header names no key (kid)".into()))?;
        let (alg, key) = self.key_for(&kid).await?;
        if alg != header.alg {
            return Err(JwtError::Invalid(format!(
                "key {kid} is not a {:?} key",
                header.alg
            )));
        }
        let mut v = Validation::new(alg);
        v.set_issuer(&[&self.config.issuer]);
        v.set_audience(&self.config.audiences);
        v.validate_nbf = true;
        v.leeway = 60;
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => JwtError::Expired,
                ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) => {
                    JwtError::Malformed(e.to_string())
                }
                _ => JwtError::Invalid(e.to_string()),
            }
        })?;
        Ok(principal_from(data.claims))
    }

    /// The key for `kid`, refreshing the cache when it is stale or does not know the key.
    async fn key_for(&self, kid: &str) -> Result<(Algorithm, DecodingKey), JwtError> {
        let mut cache = self.cache.lock().await;
        let stale = cache
            .fetched
            .is_none_or(|t| t.elapsed() >= self.config.jwks_max_age);
        let unknown = !cache.keys.contains_key(kid);
        let may_force = cache
            .last_forced
            .is_none_or(|t| t.elapsed() >= self.config.jwks_min_refresh);
        if stale || (unknown && may_force) {
            if unknown && !stale {
                cache.last_forced = Some(Instant::now());
            }
            match fetch_jwks(&self.config.jwks_url).await {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched = Some(Instant::now());
                }
                // Keep serving from a stale cache when the IdP is briefly unreachable.
                Err(e) if cache.keys.is_empty() => return Err(e),
                Err(e) => tracing::warn!("JWKS refresh failed, keeping cached keys: {e}"),
            }
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| JwtError::Invalid(format!("signing key {kid} is not known")))
    }
}

fn principal_from(c: Claims) -> Principal {
    let scopes: Vec<String> = c
        .scp
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let granted: Vec<&String> = c.roles.iter().chain(scopes.iter()).collect();
    let permission = if granted.iter().any(|g| *g == READ_WRITE) {
        READ_WRITE
    } else if granted.iter().any(|g| *g == READ) {
        READ
    } else {
        ""
    };
    let subject = c
        .oid
        .or(c.sub)
        .or(c.azp.clone())
        .or(c.appid.clone())
        .unwrap_or_default();
    Principal {
        name: c
            .name
            .or(c.azp)
            .or(c.appid)
            .unwrap_or_else(|| subject.clone()),
        permission: permission.to_string(),
        key: format!("jwt:{subject}"),
    }
}

/// Fetches and parses a JWKS; keys that are not RSA or P-256 EC signing keys are skipped.
async fn fetch_jwks(url: &str) -> Result<HashMap<String, (Algorithm, DecodingKey)>, JwtError> {
    let url = url.to_string();
    let body = tokio::task::spawn_blocking(move || -> Result<String, String> {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(10))
            .build();
        agent
            .get(&url)
            .call()
            .map_err(|e| e.to_string())?
            .into_string()
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| JwtError::KeysUnavailable(e.to_string()))?
    .map_err(JwtError::KeysUnavailable)?;
    parse_jwks(&body)
}

/// Parses a JWKS document into usable keys by `kid`.
pub fn parse_jwks(body: &str) -> Result<HashMap<String, (Algorithm, DecodingKey)>, JwtError> {
    let doc: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| JwtError::KeysUnavailable(format!("JWKS is not JSON: {e}")))?;
    let keys = doc
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or_else(|| JwtError::KeysUnavailable("JWKS has no keys array".into()))?;
    let mut out = HashMap::new();
    for k in keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(k.clone()) else {
            continue;
        };
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        let alg = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            _ => continue,
        };
        if let Ok(key) = DecodingKey::from_jwk(&jwk) {
            out.insert(kid, (alg, key));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_from_roles_or_scopes() {
        let c: Claims =
            serde_json::from_str(r#"{"roles":["ThreatIntelligence.Read.All"],"oid":"o1"}"#)
                .unwrap();
        let p = principal_from(c);
        assert_eq!(p.permission, READ);
        assert_eq!(p.key, "jwt:o1");
        let c: Claims = serde_json::from_str(
            r#"{"scp":"User.Read ThreatIntelligence.ReadWrite.All","sub":"s"}"#,
        )
        .unwrap();
        assert_eq!(principal_from(c).permission, READ_WRITE);
        let c: Claims = serde_json::from_str(r#"{"scp":"User.Read","sub":"s"}"#).unwrap();
        assert_eq!(principal_from(c).permission, "");
    }

    #[test]
    fn jwks_skips_unusable_keys() {
        let body = r#"{"keys":[
            {"kty":"oct","kid":"h","k":"c2VjcmV0"},
            {"kty":"RSA","kid":"r","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"},
            {"kty":"EC","kid":"e","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]}"#;
        let keys = parse_jwks(body).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys["r"].0, Algorithm::RS256);
        assert_eq!(keys["e"].0, Algorithm::ES256);
        assert!(parse_jwks("nope").is_err());
    }

    #[test]
    fn jwt_shape() {
        assert!(looks_like_jwt("eyJhbGciOi.eyJzdWIi.sig"));
        assert!(!looks_like_jwt("oti_abc"));
    }
}
