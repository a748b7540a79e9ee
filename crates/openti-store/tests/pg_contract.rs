//! Runs the store contract against PostgreSQL (the loopback server, or `OPENTI_TEST_POSTGRES`),
//! each test in its own freshly created database that is dropped afterwards, plus
//! PostgreSQL-specific checks (migrations under concurrent starts, several stores on one
//! database, concurrent overlapping ingest).

mod contract;

use std::time::Duration;

use openti_store::postgres::scratch::ScratchDatabase;
use openti_store::postgres::PgOptions;
use openti_store::*;

async fn pg_store() -> (ScratchDatabase, PgStore) {
    let db = tokio::task::spawn_blocking(ScratchDatabase::create)
        .await
        .expect("join")
        .expect("scratch database");
    let store = PgStore::connect_async(&db.url(), PgOptions::default(), Duration::from_secs(10))
        .await
        .expect("connect");
    (db, store)
}

macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_db, store) = pg_store().await;
                contract::$name(&store).await;
            }
        )+
    };
}

contract::every_contract!(contract_tests);

/// Terminates every other session on the database (what a server restart or failover does to
/// pooled connections).
fn kill_sessions(url: &str) {
    let url = url.to_string();
    std::thread::spawn(move || {
        let mut c = ::postgres::Client::connect(&url, ::postgres::NoTls).expect("admin connection");
        c.batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .expect("terminate");
    })
    .join()
    .expect("thread");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_survive_dropped_connections() {
    let (db, store) = pg_store().await;
    contract::apply(&store, None, &[contract::DNS_A]).await;
    let before = contract::items(&store, Scope::PassiveDns { host: None }).await;
    assert_eq!(before.len(), 1);
    kill_sessions(&db.url());
    // the pool's connections are dead; a read reconnects and answers
    let after = contract::items(&store, Scope::PassiveDns { host: None }).await;
    assert_eq!(after, before);
    // and writes work again
    contract::apply(&store, None, &[contract::DNS_B]).await;
    assert_eq!(store.health().await.ok(), Some(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_database_is_a_clear_unavailable_error() {
    let store = PgStore::new(
        "postgres://postgres:secret@127.0.0.1:1/openti",
        PgOptions::default(),
    )
    .expect("valid URL");
    let err = store.health().await.expect_err("nothing listens on port 1");
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Unavailable(_)), "{msg}");
    assert!(msg.contains("127.0.0.1:1"), "names the server: {msg}");
    assert!(!msg.contains("secret"), "never prints the password: {msg}");
    let err = PgStore::connect_async(
        "postgres://postgres@127.0.0.1:1/openti",
        PgOptions::default(),
        Duration::from_millis(500),
    )
    .await
    .expect_err("gives up");
    assert!(err.to_string().contains("gave up"), "{err}");
}
