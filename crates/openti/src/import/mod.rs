//! `openti import FORMAT [--database ...] FILE...`: readers of external formats.
//!
//! Each format lives in its own module with a clap `Args` struct and a `run` function that
//! turns its input into observations and feeds them through
//! [`openti_ingest::pipeline`](openti_ingest::pipeline) (keyed batches, exactly-once).
//! Add a format by adding a module and one variant below.

use clap::{Args, Subcommand};

pub(crate) mod dns;
pub(crate) mod hosts;
pub(crate) mod intel;
pub(crate) mod lists;
pub(crate) mod warc;

/// Options every import shares.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Database path (SQLite) or URL.
    #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
    pub database: String,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// The formats `openti import` reads.
#[derive(Subcommand, Debug)]
pub enum ImportFormat {
    /// dnstap files (Frame Streams): passive DNS from resolver logs.
    Dnstap(dns::DnsFileArgs),
    /// pcap or pcapng captures: DNS over UDP and TCP.
    Pcap(dns::DnsFileArgs),
    /// Passive DNS Common Output Format (NDJSON).
    Cof(dns::CofArgs),
    /// DNSDB-style passive DNS NDJSON.
    Dnsdb(dns::CofArgs),
    /// Web archives (WARC, plain or gzip members): host pairs, cookies, trackers, components.
    Warc(warc::WarcArgs),
    /// nmap XML (`-oX`): ports, services, versions, script output, ssl-cert.
    Nmap(hosts::ScanFileArgs),
    /// masscan JSON (`-oJ`/`-oD`) or list (`-oL`) output.
    Masscan(hosts::ScanFileArgs),
    /// Raw WHOIS text (one response per file; ICANN gTLD and ccTLD formats).
    Whois(hosts::WhoisFileArgs),
    /// RDAP JSON (domain, IP network or autnum objects).
    Rdap(hosts::RdapFileArgs),
    /// STIX 2.0/2.1 bundles (files or directories): actor and tool profiles, reports, indicators.
    Stix(intel::StixArgs),
    /// MISP galaxy cluster files: actor and tool profiles.
    MispGalaxy(intel::MispArgs),
    /// CVE JSON 5 records (files or cvelistV5 directories).
    Cve(intel::VulnArgs),
    /// NVD CVE API 2.0 JSON files.
    Nvd(intel::VulnArgs),
    /// CISA Known Exploited Vulnerabilities catalogue (JSON or CSV).
    Kev(intel::VulnArgs),
    /// Exploit-DB files_exploits.csv.
    Exploitdb(intel::VulnArgs),
    /// Block-lists for host reputation: one domain, IP or CIDR per line.
    Blocklist(lists::PlainListArgs),
    /// User allow-lists for host reputation (same format as block-lists).
    Allowlist(lists::PlainListArgs),
    /// MISP warninglists (`list.json`) as allow-lists for host reputation.
    Warninglist(lists::WarninglistArgs),
}

/// Runs an import; returns the process exit code.
pub async fn run(format: ImportFormat) -> anyhow::Result<u8> {
    match format {
        ImportFormat::Dnstap(a) => dns::run_messages(dns::Kind::Dnstap, a).await,
        ImportFormat::Pcap(a) => dns::run_messages(dns::Kind::Pcap, a).await,
        ImportFormat::Cof(a) => dns::run_cof(dns::Kind::Cof, a).await,
        ImportFormat::Dnsdb(a) => dns::run_cof(dns::Kind::Dnsdb, a).await,
        ImportFormat::Warc(a) => warc::run(a).await,
        ImportFormat::Nmap(a) => hosts::run_scan(hosts::Kind::Nmap, a).await,
        ImportFormat::Masscan(a) => hosts::run_scan(hosts::Kind::Masscan, a).await,
        ImportFormat::Whois(a) => hosts::run_whois(a).await,
        ImportFormat::Rdap(a) => hosts::run_rdap(a).await,
        ImportFormat::Stix(a) => intel::run_stix(a).await,
        ImportFormat::MispGalaxy(a) => intel::run_misp(a).await,
        ImportFormat::Cve(a) => intel::run_vuln(openti_ingest::cve::VulnFormat::Cve, a).await,
        ImportFormat::Nvd(a) => intel::run_vuln(openti_ingest::cve::VulnFormat::Nvd, a).await,
        ImportFormat::Kev(a) => intel::run_vuln(openti_ingest::cve::VulnFormat::Kev, a).await,
        ImportFormat::Exploitdb(a) => {
            intel::run_vuln(openti_ingest::cve::VulnFormat::ExploitDb, a).await
        }
        ImportFormat::Blocklist(a) => {
            lists::run_plain(openti_model::lists::ListKind::Block, a).await
        }
        ImportFormat::Allowlist(a) => {
            lists::run_plain(openti_model::lists::ListKind::Allow, a).await
        }
        ImportFormat::Warninglist(a) => lists::run_warninglist(a).await,
    }
}
