//! Runs the store contract against SQLite on a temporary file, plus SQLite-specific checks
//! (migrations, reopening, the shared fixture file).

mod contract;

use openti_store::*;

fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("openti.db")).expect("open");
    (dir, store)
}

macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_dir, store) = temp_store();
                contract::$name(&store).await;
            }
        )+
    };
}

contract::every_contract!(contract_tests);

fn all_versions() -> Vec<i64> {
    openti_store::sqlite::migrations::MIGRATIONS
        .iter()
        .map(|(v, _)| *v)
        .collect()
}

#[tokio::test]
async fn migrations_are_idempotent_on_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("openti.db");
    {
        let store = SqliteStore::open(&path).expect("open");
        assert_eq!(
            store.schema_versions().await.expect("versions"),
            all_versions()
        );
        assert_eq!(store.migrate().await.expect("migrate"), 0);
        contract::apply(&store, Some("k"), &[r#"{"kind":"dns","name":"a.example.com","type":"A","value":"192.0.2.1","time":"2024-01-01T00:00:00Z"}"#]).await;
    }
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(
        store.schema_versions().await.expect("versions"),
        all_versions()
    );
    assert_eq!(contract::count_of(&store, "passive_dns").await, 1);
    let again = contract::batch(
        Some("k"),
        &[
            r#"{"kind":"dns","name":"a.example.com","type":"A","value":"192.0.2.1","time":"2024-01-01T00:00:00Z"}"#,
        ],
    );
    assert_eq!(
        store.apply_batch(again).await.expect("apply"),
        BatchOutcome::AlreadyApplied
    );
}

#[tokio::test]
async fn in_memory_store_works() {
    let store = SqliteStore::open_in_memory().expect("open");
    contract::windows_and_counts_merge(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_run_while_writing() {
    let (_dir, store) = temp_store();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let line = format!(
                    r#"{{"kind":"component","host":"w.example.com","name":"c{i}","time":"2024-01-01T00:00:00Z"}}"#
                );
                contract::apply(&store, None, &[&line]).await;
            }
        })
    };
    for _ in 0..20 {
        store
            .list(&contract::q(Scope::HostComponents { host: None }))
            .await
            .expect("read during writes");
    }
    writer.await.expect("writer");
    assert_eq!(contract::count_of(&store, "components").await, 20);
}
