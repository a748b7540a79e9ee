//! `openti import blocklist|allowlist|warninglist FILE...`: lists for the reputation engine.
//!
//! A list is stored under a name (default: the file stem; for a MISP warninglist, its
//! directory name such as `tranco10k`); importing the same name again replaces the list.
//! Hosts matched by the old or new entries are rescored.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use openti_ingest::lists::{parse_plain, parse_warninglist};
use openti_model::lists::{ListKind, ReputationList};
use openti_store::Store;

use super::Common;

/// Exit code when some lines were refused (the rest was stored).
const EXIT_REJECTED: u8 = 2;

/// Options of `openti import blocklist` and `openti import allowlist`.
#[derive(Args, Debug)]
pub struct PlainListArgs {
    #[command(flatten)]
    common: Common,
    /// List name (default: the file name without extension). With several files, each file
    /// is its own list unless a name is given, in which case they are merged.
    #[arg(long)]
    name: Option<String>,
    /// List files: one domain, IP or CIDR per line; `#` comments; hosts-file lines accepted.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Options of `openti import warninglist`.
#[derive(Args, Debug)]
pub struct WarninglistArgs {
    #[command(flatten)]
    common: Common,
    /// MISP warninglist `list.json` files (or directories containing one).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "list".into())
}

async fn store_list(
    store: &dyn Store,
    list: &ReputationList,
    json: bool,
    rejected: usize,
) -> anyhow::Result<()> {
    let marked = store.replace_reputation_list(list).await?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "list": list.name, "kind": list.kind.as_str(), "source": list.source,
                "entries": list.entries.len(), "rejected": rejected, "hostsMarked": marked,
            })
        );
    } else {
        eprintln!(
            "{} list \"{}\": {} entries stored ({} rejected), {} known host(s) to rescore",
            list.kind.as_str(),
            list.name,
            list.entries.len(),
            rejected,
            marked
        );
    }
    Ok(())
}

/// Imports plain block- or allow-lists.
pub async fn run_plain(kind: ListKind, a: PlainListArgs) -> anyhow::Result<u8> {
    let store = crate::db::open(&a.common.database).await?;
    let source = match kind {
        ListKind::Block => "blocklist",
        ListKind::Allow => "user",
    };
    let mut lists: Vec<(ReputationList, usize)> = Vec::new();
    for f in &a.files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let name = a.name.clone().unwrap_or_else(|| stem(f));
        let (list, bad) = parse_plain(&name, kind, source, &text);
        for b in &bad {
            eprintln!("{}:{}: {}", f.display(), b.line, b.message);
        }
        match lists.iter_mut().find(|(l, _)| l.name == name) {
            Some((l, n)) => {
                l.entries.extend(list.entries);
                *n += bad.len();
            }
            None => lists.push((list, bad.len())),
        }
    }
    let mut rejected = 0;
    for (list, bad) in &lists {
        store_list(store.as_ref(), list, a.common.json, *bad).await?;
        rejected += bad;
    }
    crate::reputation::rescore_dirty(store.as_ref()).await?;
    Ok(if rejected > 0 { EXIT_REJECTED } else { 0 })
}

/// Imports MISP warninglists as allow-lists.
pub async fn run_warninglist(a: WarninglistArgs) -> anyhow::Result<u8> {
    let store = crate::db::open(&a.common.database).await?;
    for f in &a.files {
        let file = if f.is_dir() {
            f.join("list.json")
        } else {
            f.clone()
        };
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        // lists/<name>/list.json is named <name>; any other file by its stem
        let name = if file.file_name().is_some_and(|n| n == "list.json") {
            file.parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| stem(&file))
        } else {
            stem(&file)
        };
        let (list, skipped) = match parse_warninglist(&name, &text) {
            Ok(l) => l,
            Err(e) => bail!("{}: {e}", file.display()),
        };
        store_list(store.as_ref(), &list, a.common.json, skipped).await?;
    }
    crate::reputation::rescore_dirty(store.as_ref()).await?;
    Ok(0)
}
