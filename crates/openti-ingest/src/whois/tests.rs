//! The WHOIS corpus in `fixtures/whois/`: every file parses to the expected fields.

use super::*;

fn corpus(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/whois")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn day(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn who(c: Option<&openti_model::observation::Contact>) -> String {
    c.map(|c| {
        c.organization
            .clone()
            .or_else(|| c.name.clone())
            .unwrap_or_default()
    })
    .unwrap_or_default()
}

fn email(c: Option<&openti_model::observation::Contact>) -> String {
    c.and_then(|c| c.email.clone()).unwrap_or_default()
}

/// file, domain, created, expires, updated, registrar, registrant (org or name),
/// nameservers, a status, technical e-mail, abuse e-mail, referral.
type Expect = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const CORPUS: &[Expect] = &[
    (
        "iana-example.txt",
        "example",
        "1985-01-01",
        "",
        "2023-12-07",
        "",
        "",
        &["a.nic.example", "b.nic.example"],
        "ACTIVE",
        "",
        "",
        "whois.nic.example",
    ),
    (
        "verisign-thin.txt",
        "example-thin.com",
        "1995-08-14",
        "2025-08-13",
        "2024-08-14",
        "Example Registrar, Inc.",
        "",
        &["a.iana-servers.net", "b.iana-servers.net"],
        "clientTransferProhibited",
        "",
        "abuse@registrar.example",
        "whois.registrar.example",
    ),
    (
        "icann-registrar.txt",
        "example-shop.com",
        "2010-03-15",
        "2026-03-15",
        "2024-02-10",
        "Example Registrar, Inc.",
        "Example Shop Holdings LLC",
        &["ns1.example-dns.net", "ns2.example-dns.net"],
        "clientTransferProhibited",
        "hostmaster@example-shop.com",
        "abuse@registrar.example",
        "whois.registrar.example",
    ),
    (
        "icann-redacted.txt",
        "example-charity.org",
        "2005-06-01",
        "2026-06-01",
        "2024-05-01",
        "Example Registrar, Inc.",
        "Example Charity Foundation",
        &["ns1.example-dns.net", "ns2.example-dns.net"],
        "ok",
        "",
        "abuse@registrar.example",
        "http://whois.registrar.example",
    ),
    (
        "nominet-uk.txt",
        "example.co.uk",
        "2001-02-21",
        "2026-02-21",
        "2024-01-20",
        "Example Registrar Ltd",
        "Example Trading Ltd",
        &["ns1.example-dns.net", "ns2.example-dns.net"],
        "Registered until expiry date",
        "",
        "",
        "",
    ),
    (
        "denic-de.txt",
        "example-gmbh.de",
        "",
        "",
        "2023-11-02",
        "",
        "",
        &["ns1.example-dns.de", "ns2.example-dns.de"],
        "connect",
        "",
        "",
        "",
    ),
    (
        "denic-de-contacts.txt",
        "beispiel-firma.de",
        "",
        "",
        "2015-06-10",
        "",
        "Beispiel Firma GmbH",
        &["ns1.beispiel-dns.de", "ns2.beispiel-dns.de"],
        "connect",
        "hostmaster@beispiel-hosting.de",
        "",
        "",
    ),
    (
        "jprs-jp.txt",
        "example-kaisha.jp",
        "2005-04-01",
        "2025-04-30",
        "2024-04-30",
        "",
        "Example Kaisha",
        &["ns1.example-dns.jp", "ns2.example-dns.jp"],
        "Active",
        "",
        "",
        "",
    ),
    (
        "jprs-co-jp.txt",
        "example.co.jp",
        "1999-06-22",
        "2025-06-30",
        "2024-06-30",
        "",
        "Example Trading Co., Ltd.",
        &["ns1.example.co.jp", "ns2.example.co.jp"],
        "Connected",
        "",
        "",
        "",
    ),
    (
        "afnic-fr.txt",
        "exemple-societe.fr",
        "2004-01-15",
        "2026-01-15",
        "2024-01-02",
        "EXEMPLE REGISTRAR SAS",
        "Exemple Societe SA",
        &["ns1.exemple-dns.fr", "ns2.exemple-dns.fr"],
        "ACTIVE",
        "noc@exemple-hebergement.fr",
        "",
        "",
    ),
    (
        "registro-br.txt",
        "exemplo.com.br",
        "2003-05-12",
        "2026-05-12",
        "2024-01-10",
        "",
        "Exemplo Comercio Ltda",
        &["ns1.exemplo-dns.com.br", "ns2.exemplo-dns.com.br"],
        "published",
        "tecnico@exemplo.com.br",
        "",
        "",
    ),
    (
        "sidn-nl.txt",
        "voorbeeld.nl",
        "2001-09-11",
        "",
        "2023-06-30",
        "Voorbeeld Registrar B.V.",
        "",
        &["ns1.voorbeeld-dns.nl", "ns2.voorbeeld-dns.nl"],
        "active",
        "",
        "abuse@registrar.example",
        "",
    ),
    (
        "eurid-eu.txt",
        "example-union.eu",
        "",
        "",
        "",
        "Example Registrar GmbH",
        "",
        &["ns1.example-dns.eu", "ns2.example-dns.eu"],
        "",
        "tech@registrar.example",
        "",
        "",
    ),
    (
        "switch-ch.txt",
        "beispiel-ag.ch",
        "2002-03-04",
        "",
        "",
        "Beispiel Registrar AG",
        "Beispiel AG",
        &["ns1.beispiel-dns.ch", "ns2.beispiel-dns.ch"],
        "",
        "",
        "",
        "",
    ),
    (
        "dnsbelgium-be.txt",
        "voorbeeld-bedrijf.be",
        "2000-04-04",
        "",
        "",
        "Example Registrar NV",
        "",
        &["ns1.voorbeeld-dns.be", "ns2.voorbeeld-dns.be"],
        "clientTransferProhibited",
        "",
        "",
        "",
    ),
    (
        "iis-se.txt",
        "exempel.se",
        "2000-01-20",
        "2026-01-20",
        "2024-01-11",
        "Exempel Registrar AB",
        "exempel1234-00001",
        &["ns1.exempel-dns.se", "ns2.exempel-dns.se"],
        "serverUpdateProhibited",
        "",
        "",
        "",
    ),
    (
        "nicat-at.txt",
        "beispiel.at",
        "",
        "",
        "2024-03-15",
        "Beispiel Registrar GmbH ( https://nic.at/registrar/000 )",
        "Beispiel Handels GmbH",
        &["ns1.beispiel-dns.at", "ns2.beispiel-dns.at"],
        "",
        "tech@beispiel-hosting.at",
        "",
        "",
    ),
    (
        "rucenter-ru.txt",
        "primer-example.ru",
        "2004-05-18",
        "2025-05-31",
        "",
        "EXAMPLE-RU",
        "Primer Example LLC",
        &["ns1.primer-dns.ru", "ns2.primer-dns.ru"],
        "DELEGATED",
        "",
        "",
        "",
    ),
    (
        "cnnic-cn.txt",
        "example-shili.cn",
        "2003-03-17",
        "2026-03-17",
        "",
        "Example Registrar Network Co., Ltd.",
        "Example Shili Technology Co., Ltd.",
        &["ns1.example-shili-dns.cn", "ns2.example-shili-dns.cn"],
        "clientDeleteProhibited",
        "",
        "",
        "",
    ),
    (
        "auda-au.txt",
        "example-pty.com.au",
        "",
        "",
        "2024-04-10",
        "Example Registrar Pty Ltd",
        "Example Person",
        &["ns1.example-dns.com.au", "ns2.example-dns.com.au"],
        "serverRenewProhibited",
        "",
        "abuse@registrar.example",
        "whois.auda.org.au",
    ),
    (
        "cira-ca.txt",
        "exemple-inc.ca",
        "2002-11-20",
        "2025-11-20",
        "2024-03-01",
        "Example Registrar Canada Inc.",
        "Exemple Inc.",
        &["ns1.exemple-dns.ca", "ns2.exemple-dns.ca"],
        "clientTransferProhibited",
        "",
        "abuse@registrar.example",
        "whois.ca.fury.ca",
    ),
    (
        "ripe-ip.txt",
        "",
        "2010-01-01",
        "",
        "2023-05-05",
        "",
        "Example Hosting B.V.",
        &[],
        "ASSIGNED PA",
        "noc@hosting.example",
        "abuse@hosting.example",
        "",
    ),
    (
        "arin-ip.txt",
        "",
        "2009-06-01",
        "",
        "2022-02-02",
        "",
        "Example Networks Inc.",
        &[],
        "",
        "noc@networks.example",
        "abuse@networks.example",
        "",
    ),
    (
        "nicit-it.txt",
        "esempio-srl.it",
        "2001-05-10",
        "2025-05-10",
        "2024-05-26",
        "Esempio Registrar S.p.A.",
        "Esempio S.r.l.",
        &["ns1.esempio-dns.it", "ns2.esempio-dns.it"],
        "ok",
        "",
        "",
        "",
    ),
];

#[test]
fn corpus_parses() {
    assert!(CORPUS.len() >= 20);
    let mut failures = Vec::new();
    for &(
        file,
        domain,
        created,
        expires,
        updated,
        registrar,
        registrant,
        ns,
        status,
        tech,
        abuse,
        referral,
    ) in CORPUS
    {
        let p = parse(&corpus(file));
        let got = (
            p.domain.clone().unwrap_or_default(),
            day(p.registered),
            day(p.expires),
            day(p.updated),
            who(p.contact(Role::Registrar)),
            who(p.contact(Role::Registrant)),
            p.nameservers.clone(),
            status.is_empty() || p.status.iter().any(|s| s == status),
            email(p.contact(Role::Technical)),
            email(p.contact(Role::Abuse)),
            p.referral.clone().unwrap_or_default(),
        );
        let want = (
            domain.to_string(),
            created.to_string(),
            expires.to_string(),
            updated.to_string(),
            registrar.to_string(),
            registrant.to_string(),
            ns.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            true,
            tech.to_string(),
            abuse.to_string(),
            referral.to_string(),
        );
        if got != want {
            failures.push(format!(
                "{file}:\n  got  {got:?}\n  want {want:?}\n  status {:?}",
                p.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn notice_after_last_update_is_ignored() {
    let p = parse(&corpus("verisign-thin.txt"));
    assert!(
        p.contact(Role::Registrant).is_none(),
        "{:?}",
        p.contact(Role::Registrant)
    );
}

#[test]
fn observation_keeps_raw_and_contacts() {
    let raw = corpus("icann-registrar.txt");
    let p = parse(&raw);
    let t = "2024-09-01T00:00:00Z".parse().unwrap();
    let o = observation(None, Some("whois.registrar.example"), Some(&raw), &p, t).unwrap();
    match o {
        Observation::Whois {
            domain,
            raw: r,
            registrant,
            admin,
            billing,
            ..
        } => {
            assert_eq!(domain, "example-shop.com");
            assert_eq!(r.as_deref(), Some(raw.as_str()));
            let reg = registrant.unwrap();
            assert_eq!(reg.name.as_deref(), Some("Alex Example"));
            assert_eq!(reg.street.as_deref(), Some("100 Example Avenue, Suite 5"));
            assert_eq!(reg.country.as_deref(), Some("US"));
            assert_eq!(reg.telephone.as_deref(), Some("+1.5555550111"));
            assert_eq!(
                admin.unwrap().email.as_deref(),
                Some("admin@example-shop.com")
            );
            assert_eq!(billing.unwrap().name.as_deref(), Some("Billing Example"));
        }
        other => panic!("{other:?}"),
    }
    assert!(observation(None, None, None, &ParsedWhois::default(), t).is_err());
}

#[test]
fn rdap_domain_and_ip() {
    let t = "2024-09-01T00:00:00Z".parse().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rdap");
    let dom = std::fs::read(path.join("domain-example.json")).unwrap();
    let recs = rdap::json_records(&dom, None, t);
    let o = recs[0]
        .as_ref()
        .unwrap()
        .outcome
        .clone()
        .unwrap()
        .unwrap()
        .remove(0);
    match o {
        Observation::Whois {
            domain,
            registrar,
            registrant,
            abuse,
            nameservers,
            registered,
            expires,
            status,
            server,
            ..
        } => {
            assert_eq!(domain, "example-rdap.com");
            assert_eq!(
                registrar.unwrap().name.as_deref(),
                Some("Example Registrar, Inc.")
            );
            assert_eq!(
                registrant.unwrap().organization.as_deref(),
                Some("Example RDAP Holdings")
            );
            assert_eq!(
                abuse.unwrap().email.as_deref(),
                Some("abuse@registrar.example")
            );
            assert_eq!(
                nameservers,
                vec!["ns1.example-dns.net", "ns2.example-dns.net"]
            );
            assert_eq!(day(registered), "2011-07-01");
            assert_eq!(day(expires), "2026-07-01");
            assert!(status.contains(&"client transfer prohibited".to_string()));
            assert_eq!(server.as_deref(), Some("whois.registrar.example"));
        }
        other => panic!("{other:?}"),
    }
    let ip = std::fs::read(path.join("ip-example.json")).unwrap();
    let recs = rdap::json_records(&ip, Some("http://127.0.0.1/rdap"), t);
    let o = recs[0]
        .as_ref()
        .unwrap()
        .outcome
        .clone()
        .unwrap()
        .unwrap()
        .remove(0);
    assert!(matches!(o, Observation::Whois { ref domain, .. } if domain == "192.0.2.0"));
    let bad = rdap::json_records(b"{nope", None, t);
    assert!(bad[0].as_ref().unwrap().outcome.clone().unwrap().is_err());
}
