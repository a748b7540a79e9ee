//! `openti article add FILE.md…`: Markdown articles with their extracted indicators and CVE
//! links (the same operation as `POST /openti/v1/articles`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use openti_ingest::intel::{add_markdown_article, Allowlist, ArticleError};

/// `openti article …`.
#[derive(Subcommand, Debug)]
pub enum ArticleCommand {
    /// Add (or update) articles from Markdown files with front matter.
    Add {
        /// Database path (SQLite) or URL.
        #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
        database: String,
        /// Print one JSON summary per article on standard output.
        #[arg(long)]
        json: bool,
        /// Reference date of the priority score's recency term (default now).
        #[arg(long)]
        as_of: Option<String>,
        /// Markdown files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Runs the command; returns the exit code (2 when a file was refused).
pub async fn run(cmd: ArticleCommand) -> anyhow::Result<u8> {
    let ArticleCommand::Add {
        database,
        json,
        as_of,
        files,
    } = cmd;
    let as_of = crate::import::intel::as_of(&as_of)?;
    let store = crate::db::open(&database).await?;
    let allow = Allowlist::default();
    let mut code = 0;
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        match add_markdown_article(store.as_ref(), &text, &allow, as_of).await {
            Ok(s) => {
                eprintln!(
                    "{}: article {} \"{}\": {} indicators, CVEs [{}]{}",
                    f.display(),
                    s.id,
                    s.title,
                    s.indicators.len(),
                    s.cves.join(", "),
                    if s.unchanged { " (unchanged)" } else { "" }
                );
                if json {
                    println!("{}", serde_json::to_string(&s)?);
                }
            }
            Err(ArticleError::Invalid(m)) => {
                eprintln!("{}: {m}", f.display());
                code = 2;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(code)
}
