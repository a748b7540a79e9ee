//! Banner → protocol, products and versions. Hand-written rules (no third-party signature
//! files): each protocol's greeting or response head is parsed for the product it names.
//!
//! Every function here takes untrusted bytes and never panics; `fuzz/` exercises them.

use openti_model::observation::ComponentName;

/// What a banner says about a service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detection {
    /// Application protocol (`ssh`, `http`, `https`, `smtp`, `ftp`, `pop3`, `imap`, `redis`,
    /// `mysql`, `postgresql`, `tls`), if recognised.
    pub protocol: Option<String>,
    /// Products (name, version, category); empty when nothing specific was found.
    pub services: Vec<ComponentName>,
}

fn comp(name: &str, version: &str, category: &str) -> ComponentName {
    ComponentName {
        name: name.to_string(),
        version: version.to_string(),
        category: category.to_string(),
    }
}

/// Characters that may appear in a version token.
fn version_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '~')
}

/// The first version-looking token (starts with a digit) after `needle` (case-insensitive),
/// separated by spaces, `/`, `_` or `-`.
pub fn version_after(text: &str, needle: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(&needle.to_ascii_lowercase())? + needle.len();
    let rest = text.get(at..)?;
    let rest = rest.trim_start_matches([' ', '/', '_', '-', 'v', '(']);
    let token: String = rest.chars().take_while(|c| version_char(*c)).collect();
    let token = token.trim_end_matches(['.', '-', '_']);
    (token.starts_with(|c: char| c.is_ascii_digit())).then(|| token.to_string())
}

/// Printable text of a banner: UTF-8 (lossy), control bytes other than CR/LF/TAB escaped as
/// `\xNN`, at most `max` characters.
pub fn printable(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for c in text.chars() {
        if out.len() >= max {
            break;
        }
        match c {
            '\r' | '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32 & 0xff)),
            c => out.push(c),
        }
    }
    out.trim_end().to_string()
}

/// `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3` → OpenSSH 9.2p1 (+ Debian).
pub fn ssh(banner: &str) -> Option<Detection> {
    let line = banner.lines().find(|l| l.starts_with("SSH-"))?;
    let rest = line.strip_prefix("SSH-")?;
    let (_proto, software) = rest.split_once('-')?;
    let (software, comment) = match software.split_once(' ') {
        Some((s, c)) => (s, c.trim()),
        None => (software, ""),
    };
    let (name, version) = match software.split_once(['_', '-']) {
        Some((n, v)) => (n, v),
        None => (software, ""),
    };
    let name = match name.to_ascii_lowercase().as_str() {
        "openssh" => "OpenSSH",
        "dropbear" => "Dropbear",
        "libssh" => "libssh",
        "cisco" => "Cisco SSH",
        _ => name,
    };
    let mut services = vec![comp(name, version, "Remote Access")];
    os_hint(comment, &mut services);
    Some(Detection {
        protocol: Some("ssh".into()),
        services,
    })
}

fn os_hint(text: &str, services: &mut Vec<ComponentName>) {
    for os in [
        "Debian", "Ubuntu", "FreeBSD", "CentOS", "Raspbian", "Red Hat", "Win32", "Win64",
    ] {
        if text.contains(os) && !services.iter().any(|s| s.name == os) {
            services.push(comp(os, "", "Operating System"));
        }
    }
}

/// An HTTP response head → `Server` and `X-Powered-By` products.
pub fn http(head: &str, tls: bool) -> Option<Detection> {
    if !head.starts_with("HTTP/") {
        return None;
    }
    let mut services = Vec::new();
    for line in head.lines().skip(1) {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        let v = v.trim();
        let category = match k.as_str() {
            "server" => "Web Server",
            "x-powered-by" => "Web Framework",
            _ => continue,
        };
        for (i, token) in v.split_whitespace().enumerate() {
            if let Some(inner) = token.strip_prefix('(') {
                os_hint(inner, &mut services);
                continue;
            }
            let (name, version) = match token.split_once('/') {
                Some((n, ver)) => (n, ver.trim_end_matches(',')),
                None if i == 0 => (token, ""),
                None => continue,
            };
            if !name.is_empty() {
                services.push(comp(name, version, category));
            }
        }
        if services.is_empty() && !v.is_empty() {
            services.push(comp(v, "", category));
        }
    }
    Some(Detection {
        protocol: Some(if tls { "https" } else { "http" }.into()),
        services,
    })
}

/// A `220` greeting: SMTP or FTP (by the words it uses, else by the port).
pub fn greeting_220(banner: &str, port: u16) -> Option<Detection> {
    if !banner.starts_with("220") {
        return None;
    }
    let l = banner.to_ascii_lowercase();
    let ftp = l.contains("ftp") && !l.contains("smtp");
    let smtp = l.contains("smtp") || l.contains("mail") || l.contains("postfix");
    let proto = if ftp {
        "ftp"
    } else if smtp {
        "smtp"
    } else if port == 21 {
        "ftp"
    } else {
        "smtp"
    };
    let rules: &[(&str, &str, &str)] = if proto == "ftp" {
        &[
            ("vsftpd", "vsftpd", "FTP Server"),
            ("proftpd", "ProFTPD", "FTP Server"),
            ("pure-ftpd", "Pure-FTPd", "FTP Server"),
            ("filezilla server", "FileZilla Server", "FTP Server"),
            ("microsoft ftp", "Microsoft ftpd", "FTP Server"),
        ]
    } else {
        &[
            ("postfix", "Postfix", "Mail Server"),
            ("exim", "Exim", "Mail Server"),
            ("sendmail", "Sendmail", "Mail Server"),
            ("opensmtpd", "OpenSMTPD", "Mail Server"),
            ("microsoft esmtp", "Microsoft Exchange", "Mail Server"),
            ("haraka", "Haraka", "Mail Server"),
        ]
    };
    let mut services = Vec::new();
    for (needle, name, cat) in rules {
        if l.contains(needle) {
            let v = version_after(banner, needle).unwrap_or_default();
            services.push(comp(name, &v, cat));
        }
    }
    os_hint(banner, &mut services);
    Some(Detection {
        protocol: Some(proto.into()),
        services,
    })
}

/// POP3 (`+OK`) and IMAP (`* OK`) greetings.
pub fn mail_greeting(banner: &str) -> Option<Detection> {
    let proto = if banner.starts_with("+OK") {
        "pop3"
    } else if banner.starts_with("* OK") || banner.starts_with("* PREAUTH") {
        "imap"
    } else {
        return None;
    };
    let mut services = Vec::new();
    for (needle, name) in [
        ("dovecot", "Dovecot"),
        ("cyrus", "Cyrus"),
        ("courier", "Courier"),
    ] {
        if banner.to_ascii_lowercase().contains(needle) {
            let v = version_after(banner, needle).unwrap_or_default();
            services.push(comp(name, &v, "Mail Server"));
        }
    }
    Some(Detection {
        protocol: Some(proto.into()),
        services,
    })
}

/// A MySQL / MariaDB initial handshake packet (protocol 10) or error packet.
pub fn mysql(bytes: &[u8]) -> Option<Detection> {
    if bytes.len() < 6 {
        return None;
    }
    let len = usize::from(bytes[0]) | usize::from(bytes[1]) << 8 | usize::from(bytes[2]) << 16;
    if len == 0 || len > 1 << 16 || bytes[3] != 0 {
        return None;
    }
    let body = &bytes[4..];
    let mut services = Vec::new();
    match body[0] {
        0x0a => {
            let end = body[1..].iter().position(|b| *b == 0)?;
            let version = std::str::from_utf8(&body[1..1 + end]).ok()?;
            if !version.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            if let Some(i) = version.find("-MariaDB") {
                let v = version[..i].trim_start_matches("5.5.5-");
                services.push(comp("MariaDB", v, "Database"));
            } else {
                let v = version.split('-').next().unwrap_or(version);
                services.push(comp("MySQL", v, "Database"));
            }
        }
        0xff if body.len() > 3 => services.push(comp("MySQL", "", "Database")),
        _ => return None,
    }
    Some(Detection {
        protocol: Some("mysql".into()),
        services,
    })
}

/// A Redis reply to `PING` / `INFO server`.
pub fn redis(reply: &str) -> Option<Detection> {
    let first = reply.lines().next().unwrap_or("");
    let redis_like = first.starts_with("+PONG")
        || first.starts_with("-NOAUTH")
        || first.starts_with("-DENIED")
        || first.starts_with("-ERR wrong number")
        || reply.contains("redis_version:");
    if !redis_like {
        return None;
    }
    let version = reply
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    let name = if reply.contains("valkey") {
        "Valkey"
    } else {
        "Redis"
    };
    Some(Detection {
        protocol: Some("redis".into()),
        services: vec![comp(name, &version, "Database")],
    })
}

/// A PostgreSQL reply to an `SSLRequest`: a single `S` or `N`, or an error packet.
pub fn postgresql(reply: &[u8]) -> Option<Detection> {
    let ok = matches!(reply, [b'S'] | [b'N']) || (reply.first() == Some(&b'E') && reply.len() > 5);
    ok.then(|| Detection {
        protocol: Some("postgresql".into()),
        services: vec![comp("PostgreSQL", "", "Database")],
    })
}

/// Any passive banner (what a server sends before the client speaks).
pub fn passive(bytes: &[u8], port: u16) -> Option<Detection> {
    if let Some(d) = mysql(bytes) {
        return Some(d);
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start();
    ssh(text)
        .or_else(|| greeting_220(text, port))
        .or_else(|| mail_greeting(text))
        .or_else(|| redis(text))
        .or_else(|| http(text, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(d: &Detection) -> Vec<(String, String)> {
        d.services
            .iter()
            .map(|s| (s.name.clone(), s.version.clone()))
            .collect()
    }

    #[test]
    fn ssh_banners() {
        let d = ssh("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n").unwrap();
        assert_eq!(d.protocol.as_deref(), Some("ssh"));
        assert_eq!(names(&d)[0], ("OpenSSH".into(), "9.2p1".into()));
        assert_eq!(names(&d)[1].0, "Debian");
        let d = ssh("SSH-2.0-dropbear_2022.83").unwrap();
        assert_eq!(names(&d)[0], ("Dropbear".into(), "2022.83".into()));
        assert!(ssh("HTTP/1.1 200 OK").is_none());
    }

    #[test]
    fn http_heads() {
        let d = http(
            "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nX-Powered-By: PHP/8.2.7\r\n",
            false,
        )
        .unwrap();
        assert_eq!(
            names(&d),
            vec![
                ("Apache".into(), "2.4.57".into()),
                ("Debian".into(), "".into()),
                ("PHP".into(), "8.2.7".into())
            ]
        );
        let d = http("HTTP/1.0 404 Not Found\r\nServer: nginx\r\n", true).unwrap();
        assert_eq!(d.protocol.as_deref(), Some("https"));
        assert_eq!(names(&d), vec![("nginx".into(), "".into())]);
    }

    #[test]
    fn greetings() {
        let d = greeting_220("220 mail.example.test ESMTP Postfix (Debian/GNU)", 25).unwrap();
        assert_eq!(d.protocol.as_deref(), Some("smtp"));
        assert_eq!(names(&d)[0].0, "Postfix");
        let d = greeting_220("220 mx.example.test ESMTP Exim 4.96 Mon, 01 Jan 2024", 25).unwrap();
        assert_eq!(names(&d)[0], ("Exim".into(), "4.96".into()));
        let d = greeting_220("220 (vsFTPd 3.0.3)", 21).unwrap();
        assert_eq!(d.protocol.as_deref(), Some("ftp"));
        assert_eq!(names(&d)[0], ("vsftpd".into(), "3.0.3".into()));
        let d = greeting_220("220 ProFTPD 1.3.8 Server (Debian)", 2121).unwrap();
        assert_eq!(names(&d)[0], ("ProFTPD".into(), "1.3.8".into()));
        let d = mail_greeting("* OK [CAPABILITY IMAP4rev1] Dovecot (Debian) ready.").unwrap();
        assert_eq!(d.protocol.as_deref(), Some("imap"));
        assert_eq!(
            mail_greeting("+OK Dovecot ready.")
                .unwrap()
                .protocol
                .as_deref(),
            Some("pop3")
        );
    }

    #[test]
    fn databases() {
        let mut pkt = vec![0u8, 0, 0, 0, 0x0a];
        pkt.extend_from_slice(b"5.5.5-10.11.6-MariaDB-0+deb12u1\0rest");
        pkt[0] = (pkt.len() - 4) as u8;
        assert_eq!(
            names(&mysql(&pkt).unwrap())[0],
            ("MariaDB".into(), "10.11.6".into())
        );
        let mut pkt = vec![0u8, 0, 0, 0, 0x0a];
        pkt.extend_from_slice(b"8.0.36-0ubuntu0.22.04.1\0");
        pkt[0] = (pkt.len() - 4) as u8;
        assert_eq!(
            names(&mysql(&pkt).unwrap())[0],
            ("MySQL".into(), "8.0.36".into())
        );
        let d =
            redis("$100\r\n# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n").unwrap();
        assert_eq!(names(&d)[0], ("Redis".into(), "7.0.15".into()));
        assert!(redis("+PONG\r\n").is_some());
        assert!(redis("hello").is_none());
        assert!(postgresql(b"N").is_some());
        assert!(postgresql(b"X").is_none());
    }

    #[test]
    fn hostile_input_is_harmless() {
        for b in [
            &b""[..],
            b"\xff\xff\xff\x00\x0a",
            b"SSH-",
            b"SSH-2.0-",
            b"220",
            b"HTTP/",
            b"\x05\x00\x00\x00\x0a\x35",
        ] {
            let _ = passive(b, 1);
            let _ = postgresql(b);
            let _ = printable(b, 10);
        }
        assert_eq!(version_after("Exim ", "exim"), None);
        assert_eq!(printable(b"a\x01b", 100), "a\\x01b");
    }
}
