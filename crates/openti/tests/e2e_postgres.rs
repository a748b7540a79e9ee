//! PostgreSQL-only behaviour of the real binary (runs with `OPENTI_TEST_BACKEND=postgres`;
//! on the default SQLite run it returns at once).
//!
//! * `openti serve` starts while its database does not exist yet: `/healthz` answers, `/readyz`
//!   answers 503, and once the database appears the server connects, migrates and becomes
//!   ready without a restart.
//! * Commands fail clearly (naming the server, never the password) when nothing listens.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn admin(sql: &str) {
    let server = std::env::var(openti_store::postgres::scratch::ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| openti_store::postgres::scratch::DEFAULT_SERVER.to_string());
    let sql = sql.to_string();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)
            .expect("admin connection");
        c.batch_execute(&sql).expect("admin statement");
    })
    .join()
    .expect("admin thread");
}

#[test]
fn serve_becomes_ready_when_the_database_appears() {
    if !postgres_backend() {
        eprintln!("skipped: PostgreSQL-only (OPENTI_TEST_BACKEND=postgres)");
        return;
    }
    // a name nobody has created yet, on the test server
    let scratch = openti_store::postgres::scratch::ScratchDatabase::create().expect("scratch");
    let name = format!("{}_late", scratch.name());
    let url = scratch.url().replace(scratch.name(), &name);
    let mut s = Server::start_unready(&["--database", &url], String::new());
    assert_eq!(s.get("/healthz").status, 200, "alive without a database");
    assert_eq!(s.get("/readyz").status, 503, "not ready without a database");
    admin(&format!("CREATE DATABASE {name}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.get("/readyz").status != 200 {
        assert!(Instant::now() < deadline, "never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    // migrated by the server itself: tokens can be created and used
    s.token = token(std::path::Path::new(&url), "ThreatIntelligence.Read.All");
    let r = s.graph("hosts");
    assert_eq!(r.status, 200, "{}", r.text);
    drop(s);
    admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

#[test]
fn commands_name_an_unreachable_server_without_its_password() {
    if !postgres_backend() {
        eprintln!("skipped: PostgreSQL-only (OPENTI_TEST_BACKEND=postgres)");
        return;
    }
    let out = std::process::Command::new(bin())
        .args([
            "db",
            "status",
            "--database",
            "postgres://postgres:hunter2@127.0.0.1:1/x",
        ])
        .env("OPENTI_DATABASE_WAIT_SECS", "1")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
