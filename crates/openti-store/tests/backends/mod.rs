//! Fresh stores of each backend for tests that run on both: SQLite in a temporary directory,
//! PostgreSQL in a freshly created database on the loopback server (dropped afterwards).

#![allow(dead_code)]

use std::time::Duration;

use openti_store::postgres::scratch::ScratchDatabase;
use openti_store::postgres::PgOptions;
use openti_store::{PgStore, SqliteStore, Store};

/// A store and whatever keeps its database alive.
pub struct Fresh {
    /// The store.
    pub store: Box<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    _db: Option<ScratchDatabase>,
}

impl std::ops::Deref for Fresh {
    type Target = dyn Store;
    fn deref(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// A fresh SQLite store on a temporary file.
pub fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("openti.db")).expect("open");
    Fresh {
        store: Box::new(store),
        _dir: Some(dir),
        _db: None,
    }
}

/// A fresh PostgreSQL store in its own new database.
pub async fn postgres() -> Fresh {
    let db = tokio::task::spawn_blocking(ScratchDatabase::create)
        .await
        .expect("join")
        .expect("scratch database");
    let store = PgStore::connect_async(&db.url(), PgOptions::default(), Duration::from_secs(10))
        .await
        .expect("connect");
    Fresh {
        store: Box::new(store),
        _dir: None,
        _db: Some(db),
    }
}

/// `on_both!(name, body)`: `body(&dyn Store)` as a test on each backend (`name::sqlite`,
/// `name::postgres`).
#[macro_export]
macro_rules! on_both {
    ($($name:ident => $body:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let s = $crate::backends::sqlite();
                    super::$body(&*s).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let s = $crate::backends::postgres().await;
                    super::$body(&*s).await;
                }
            }
        )+
    };
}
