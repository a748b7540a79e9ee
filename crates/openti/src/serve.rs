//! `openti serve`.

use anyhow::Context;
use openti_server::AppState;

use crate::config::Settings;

/// Runs the server until Ctrl-C / SIGTERM.
pub async fn run(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let Settings {
        database,
        listen,
        server,
        rescore_interval,
    } = settings;
    let listen = listen.as_str();
    // A demo without --database gets a fresh database in a temporary directory that lives as
    // long as the server.
    let mut _tmp = None;
    let database = match (database, demo) {
        (Some(d), _) => d,
        (None, true) => {
            let dir = tempfile::tempdir()
                .context("creating a temporary directory for the demo database")?;
            let path = dir.path().join("openti-demo.db").display().to_string();
            _tmp = Some(dir);
            path
        }
        (None, false) => crate::DEFAULT_DATABASE.to_string(),
    };
    // a demo loads data at once, so it waits for the database like any other command
    let store = if demo {
        crate::db::open(&database).await?
    } else {
        crate::db::open_for_serve(&database).await?
    };
    let shown = if crate::db::is_postgres(&database) {
        openti_store::postgres::redact(&database)
    } else {
        database.clone()
    };
    let database = shown;
    let mut token = None;
    if demo {
        let s = crate::demo::load(store.as_ref()).await?;
        eprintln!(
            "demo data: {} observations loaded ({} already present) into {database}",
            s.accepted, s.skipped
        );
        token = Some(
            crate::token::create(
                store.as_ref(),
                "demo",
                openti_server::auth::READ_WRITE,
                None,
            )
            .await?,
        );
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("--listen {listen}: cannot bind"))?;
    let addr = listener.local_addr()?;
    if let Some(o) = &server.oidc {
        eprintln!(
            "OIDC: issuer {}, audiences {:?}, JWKS {}",
            o.issuer, o.audiences, o.jwks_url
        );
    }
    let engine = std::sync::Arc::clone(&server.reputation);
    let state = AppState::new(store, server);
    // score what changed (facts ingested over HTTP or by other processes) every few seconds
    let _rescoring = rescore_interval.map(|every| {
        openti_server::reputation::spawn_background(
            std::sync::Arc::clone(&state.store),
            engine,
            every,
        )
    });
    eprintln!("openti listening on http://{addr} (database {database})");
    if let Some(t) = &token {
        let base = format!("http://{addr}/v1.0/security/threatIntelligence");
        println!("Try:");
        println!("  curl -s -H 'Authorization: Bearer {t}' '{base}/intelProfiles?$top=3'");
        println!(
            "  curl -s -H 'Authorization: Bearer {t}' '{base}/hosts/www.example.com/passiveDns'"
        );
        println!(
            "  curl -s -H 'Authorization: Bearer {t}' '{base}/hosts/grid-updates.test/reputation'"
        );
        println!("token: {t}");
    }
    use std::io::Write;
    std::io::stdout().flush().ok();
    openti_server::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
