//! End to end: the auth matrix (every route in `/openapi.json` × no token, malformed token,
//! wrong signature, expired, revoked, missing permission, valid) and OIDC specifics (RS256
//! and ES256, `roles` and `scp`, issuer/audience/nbf checks, JWKS refresh on an unknown `kid`),
//! against a JWKS served on loopback with keys this test generates.

mod common;
mod oidc_support;

use common::*;
use oidc_support::*;
use serde_json::json;

const RW: &str = "ThreatIntelligence.ReadWrite.All";
const READ: &str = "ThreatIntelligence.Read.All";

fn create_token(db: &str, name: &str, permission: &str, expires: Option<&str>) -> String {
    let mut args = vec![
        "token",
        "create",
        "--database",
        db,
        "--name",
        name,
        "--permission",
        permission,
    ];
    if let Some(e) = expires {
        args.extend(["--expires", e]);
    }
    let out = openti(&args);
    assert_eq!(out.code, 0, "token create: {}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "the token is printed alone: {:?}",
        out.stdout
    );
    lines[0].to_string()
}

fn token_id(db: &str, name: &str) -> String {
    let out = openti(&["token", "list", "--database", db]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("token {name} not listed: {}", out.stdout));
    line.split_whitespace().next().unwrap().to_string()
}

/// Every (method, concrete path) of the OpenAPI document that needs authentication.
fn authenticated_routes(s: &Server) -> Vec<(String, String)> {
    let r = s.request("GET", "/openapi.json", None, None);
    assert_eq!(r.status, 200, "openapi.json is public");
    let doc = r.json();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("security").and_then(|s| s.as_array()).is_some() {
                continue; // public route
            }
            let concrete: Vec<String> = path
                .split('/')
                .map(|seg| match seg {
                    "{host-id}" | "{host}" => "www.example.com".to_string(),
                    s if s.starts_with('{') => "x".to_string(),
                    s => s.to_string(),
                })
                .collect();
            out.push((method.to_uppercase(), concrete.join("/")));
        }
    }
    out
}

fn assert_error(status: u16, headers: &[(String, String)], body: &str, want: u16, ctx: &str) {
    assert_eq!(status, want, "{ctx}: {body}");
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{ctx}: not JSON ({e}): {body}"));
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let code = v["error"]["code"].as_str().unwrap_or("");
    match want {
        401 => {
            assert_eq!(code, "InvalidAuthenticationToken", "{ctx}");
            assert_eq!(header("WWW-Authenticate"), Some("Bearer"), "{ctx}");
        }
        403 => assert_eq!(code, "Forbidden", "{ctx}"),
        _ => {}
    }
    assert_eq!(
        v["error"]["innerError"]["request-id"].as_str(),
        header("request-id"),
        "{ctx}"
    );
    assert_eq!(header("client-request-id"), Some("test-client-id"), "{ctx}");
}

#[test]
fn auth_matrix_covers_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("t.db");
    let db = db_path.to_str().unwrap();
    ingest(&db_path, &[&fixture("all-kinds.ndjson")]);
    let rw = create_token(db, "writer", RW, Some("90d"));
    let read = create_token(db, "reader", READ, None);
    let revoked = create_token(db, "revokeme", RW, None);
    let expired = create_token(db, "shortlived", RW, Some("1s"));
    let out = openti(&[
        "token",
        "revoke",
        "--database",
        db,
        &token_id(db, "revokeme"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let listing = openti(&["token", "list", "--database", db]).stdout;
    assert!(
        listing.contains("revoked") && !listing.contains(&rw),
        "{listing}"
    );

    let rsa = Key::rsa("rsa-1");
    let ec = Key::ec("ec-1");
    let impostor = Key::rsa("rsa-1"); // same kid, different key material
    let jwks = Jwks::serve(&[&rsa, &ec]);
    let mut args: Vec<String> = vec!["--database".into(), db.into()];
    args.extend(jwks.flags());
    args.extend(["--throttle-rate".into(), "0".into()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let s = Server::start(&argv, rw.clone());
    std::thread::sleep(std::time::Duration::from_millis(1100)); // let `expired` lapse

    let jwt_app_rw = rsa.sign(&claims(json!({ "roles": [RW] })));
    let jwt_app_read = rsa.sign(&claims(json!({ "roles": [READ] })));
    let jwt_delegated_rw = ec.sign(&claims(json!({ "scp": format!("User.Read {RW}") })));
    let jwt_no_permission = ec.sign(&claims(json!({ "scp": "User.Read" })));
    let jwt_wrong_sig = impostor.sign(&claims(json!({ "roles": [RW] })));
    let jwt_expired = rsa.sign(&claims(
        json!({ "roles": [RW], "exp": now() - 600, "nbf": now() - 7200 }),
    ));

    let bearer = |t: &str| format!("Bearer {t}");
    let routes = authenticated_routes(&s);
    assert!(
        routes.len() >= 125,
        "all Graph routes + ingest: {}",
        routes.len()
    );
    let mut checked = 0;
    for (method, path) in &routes {
        let write = method == "POST";
        let unauthorized: Vec<(&str, Option<String>)> = vec![
            ("no token", None),
            ("malformed: basic", Some("Basic dXNlcjpwYXNz".into())),
            ("malformed: garbage", Some(bearer("not-a-token"))),
            ("malformed: empty", Some("Bearer ".into())),
            (
                "malformed: jwt",
                Some(bearer("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln")),
            ),
            ("wrong signature", Some(bearer(&jwt_wrong_sig))),
            ("expired jwt", Some(bearer(&jwt_expired))),
            ("expired token", Some(bearer(&expired))),
            ("revoked token", Some(bearer(&revoked))),
        ];
        for (case, auth) in unauthorized {
            let (st, h, body) = raw(&s.base, method, path, auth.as_deref());
            assert_error(st, &h, &body, 401, &format!("{method} {path} [{case}]"));
            checked += 1;
        }
        let mut forbidden = vec![("jwt without permission", jwt_no_permission.clone())];
        if write {
            forbidden.push(("read-only token", read.clone()));
            forbidden.push(("read-only jwt", jwt_app_read.clone()));
        }
        for (case, t) in forbidden {
            let (st, h, body) = raw(&s.base, method, path, Some(&bearer(&t)));
            assert_error(st, &h, &body, 403, &format!("{method} {path} [{case}]"));
            checked += 1;
        }
        let mut valid = vec![
            ("api token", rw.clone()),
            ("RS256 app jwt", jwt_app_rw.clone()),
            ("ES256 delegated jwt", jwt_delegated_rw.clone()),
        ];
        if !write {
            valid.push(("read-only token", read.clone()));
            valid.push(("read-only jwt", jwt_app_read.clone()));
        }
        for (case, t) in valid {
            let (st, _, body) = raw(&s.base, method, path, Some(&bearer(&t)));
            // Authorised: the route's own answer (an empty upload may be a 400).
            let fine = st == 200 || st == 404 || (write && st == 400);
            assert!(fine, "{method} {path} [{case}]: {st} {body}");
            checked += 1;
        }
    }
    assert!(checked > 1500, "{checked} requests checked");
}

#[test]
fn oidc_claims_and_jwks_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let rsa = Key::rsa("rsa-a");
    let ec = Key::ec("ec-new");
    let jwks = Jwks::serve(&[&rsa]);
    let mut args: Vec<String> = vec!["--database".into(), db.to_str().unwrap().into()];
    args.extend(jwks.flags());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let s = Server::start(&argv, String::new());
    let get = |t: &str| {
        raw(
            &s.base,
            "GET",
            "/v1.0/security/threatIntelligence/articles",
            Some(&format!("Bearer {t}")),
        )
    };
    let ok = rsa.sign(&claims(json!({ "roles": [READ] })));
    assert_eq!(get(&ok).0, 200, "RS256 application token");
    assert_eq!(jwks.fetch_count(), 1, "keys fetched once and cached");
    assert_eq!(get(&ok).0, 200);
    assert_eq!(jwks.fetch_count(), 1, "served from the cache");

    // A key the IdP has not published yet: refused, then accepted after rotation.
    let rotated = ec.sign(&claims(json!({ "scp": READ })));
    let (st, h, body) = get(&rotated);
    assert_error(st, &h, &body, 401, "unknown kid");
    jwks.set(&[&rsa, &ec]);
    let before = jwks.fetch_count();
    assert_eq!(get(&rotated).0, 200, "unknown kid refreshes the JWKS");
    assert_eq!(jwks.fetch_count(), before + 1);

    let other_aud = rsa.sign(&claims(json!({ "roles": [READ], "aud": "other-audience" })));
    assert_eq!(get(&other_aud).0, 200, "second configured audience");
    for (case, c) in [
        (
            "wrong issuer",
            claims(json!({ "roles": [READ], "iss": "https://evil.example/" })),
        ),
        (
            "wrong audience",
            claims(json!({ "roles": [READ], "aud": "api://someone-else" })),
        ),
        (
            "not yet valid",
            claims(json!({ "roles": [READ], "nbf": now() + 3600 })),
        ),
        (
            "no exp",
            json!({ "iss": ISSUER, "aud": AUDIENCE, "roles": [READ] }),
        ),
    ] {
        let (st, h, body) = get(&rsa.sign(&c));
        assert_error(st, &h, &body, 401, case);
    }
    // Algorithm confusion: an HS256 token naming a published kid.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("rsa-a".into());
    let hs = jsonwebtoken::encode(
        &header,
        &claims(json!({ "roles": [READ] })),
        &jsonwebtoken::EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    let (st, h, body) = get(&hs);
    assert_error(st, &h, &body, 401, "HS256");

    // Permission from roles / scp on the write route.
    let post = |t: &str| {
        raw(
            &s.base,
            "POST",
            "/openti/v1/observations",
            Some(&format!("Bearer {t}")),
        )
    };
    let (st, h, body) = post(&rsa.sign(&claims(json!({ "roles": [READ] }))));
    assert_error(st, &h, &body, 403, "read role on ingest");
    assert_eq!(
        post(&ec.sign(&claims(json!({ "scp": RW })))).0,
        200,
        "delegated ReadWrite scope"
    );
    // OpenTI API tokens keep working next to OIDC.
    let t = token(&db, READ);
    assert_eq!(get(&t).0, 200);
}
