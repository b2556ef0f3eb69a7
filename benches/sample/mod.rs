//! Deterministic synthetic scan reports for the benchmarks: the same reports on every machine.
//!
//! Each report is one scanned service: its IP (v4, some v6) and port, country and owner, and
//! what the scan saw for its protocol — HTTP headers, a title, URLs and host names for web
//! servers, certificate subjects and issuers with `cert-dns-name` hosts for TLS, banners for
//! SSH, FTP, SMTP and industrial protocols — between 8 and 20 items of varied types, dated over
//! several years. About a quarter of the services are on TCP port 443.
//!
//! Used by `benches/eval.rs` (in memory) and `examples/gen_reports.rs` (NDJSON files for
//! `benches/filter_vs_jq.sh`).

#![allow(dead_code)]

use std::io::{self, Write};

use driftql::{Item, Report};

/// A small deterministic generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// True with probability `p` percent.
    pub fn chance(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
}

const COUNTRIES: &[&str] = &[
    "US", "US", "US", "CN", "CN", "DE", "GB", "RU", "FR", "JP", "BR", "IN", "NL", "KR", "IR", "SG",
    "CA", "AU", "IT", "VN",
];

const ENTITIES: &[&str] = &[
    "Amazon.com, Inc.",
    "Google LLC",
    "Microsoft Corporation",
    "DigitalOcean, LLC",
    "Hetzner Online GmbH",
    "OVH SAS",
    "Tencent Cloud Computing (Beijing) Co., Ltd.",
    "Alibaba (US) Technology Co., Ltd.",
    "China Telecom",
    "Cloudflare, Inc.",
    "Akamai Technologies, Inc.",
    "Linode, LLC",
    "University of London",
    "Deutsche Telekom AG",
    "Comcast Cable Communications, LLC",
    "Rostelecom",
];

const WORDS: &[&str] = &[
    "portal",
    "login",
    "admin",
    "dashboard",
    "welcome",
    "home",
    "index",
    "status",
    "camera",
    "router",
    "gateway",
    "console",
    "management",
    "service",
    "web",
    "server",
    "default",
    "page",
    "cloud",
    "secure",
    "access",
    "control",
    "panel",
    "system",
    "network",
    "device",
    "monitor",
];

const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "driftnet.io",
    "corp-mail.net",
    "cdn-edge.com",
    "shop-online.de",
    "univ.ac.uk",
    "hosting.cn",
    "cam-cloud.ru",
    "internal.local",
];

const SUBDOMAINS: &[&str] = &[
    "www", "mail", "api", "cdn", "vpn", "portal", "dev", "static",
];

/// A web server: the `Server` header, its product tag and a product-info text.
const WEB_SERVERS: &[(&str, &str, &str)] = &[
    ("nginx/1.18.0 (Ubuntu)", "nginx", "nginx 1.18.0"),
    ("nginx", "nginx", "nginx"),
    ("Apache/2.4.41 (Ubuntu)", "apache", "Apache httpd 2.4.41"),
    (
        "Apache/2.4.6 (CentOS) OpenSSL/1.0.2k-fips",
        "apache",
        "Apache httpd 2.4.6",
    ),
    (
        "Microsoft-IIS/10.0",
        "microsoft-iis",
        "Microsoft IIS httpd 10.0",
    ),
    ("cloudflare", "cloudflare", "Cloudflare http proxy"),
    ("lighttpd/1.4.55", "lighttpd", "lighttpd 1.4.55"),
    ("Hikvision-Webs", "hikvision", "Hikvision DVR web interface"),
    ("DNVRS-Webs", "dahua", "Dahua DVR web interface"),
    ("CherryPy/18.6.1", "cherrypy", "CherryPy httpd 18.6.1"),
];

const SSH_BANNERS: &[(&str, &str)] = &[
    ("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "openssh"),
    ("SSH-2.0-OpenSSH_7.4", "openssh"),
    ("SSH-2.0-dropbear_2019.78", "dropbear"),
    ("SSH-2.0-ROSSSH", "mikrotik-routeros"),
    ("SSH-2.0-Cisco-1.25", "cisco"),
];

const ISSUERS: &[&str] = &[
    "C=US, O=Let's Encrypt, CN=R3",
    "C=US, O=DigiCert Inc, CN=DigiCert TLS RSA SHA256 2020 CA1",
    "C=BE, O=GlobalSign nv-sa, CN=GlobalSign RSA OV SSL CA 2018",
    "C=US, O=Google Trust Services LLC, CN=GTS CA 1C3",
    "CN=localhost",
];

/// Other services: protocol, port, transport, banner, product tag.
const OTHERS: &[(&str, u16, &str, &str, &str)] = &[
    (
        "ftp",
        21,
        "port-tcp",
        "220 ProFTPD Server (Debian) [::ffff:10.0.0.1]",
        "proftpd",
    ),
    (
        "ftp",
        21,
        "port-tcp",
        "220 Microsoft FTP Service",
        "microsoft-ftp",
    ),
    (
        "smtp",
        25,
        "port-tcp",
        "220 mail.example.com ESMTP Postfix (Ubuntu)",
        "postfix",
    ),
    (
        "smtp",
        587,
        "port-tcp",
        "220 smtp.example.org ESMTP Exim 4.94.2",
        "exim",
    ),
    (
        "mysql",
        3306,
        "port-tcp",
        "5.7.33-0ubuntu0.18.04.1",
        "mysql",
    ),
    (
        "redis",
        6379,
        "port-tcp",
        "-NOAUTH Authentication required.",
        "redis",
    ),
    (
        "rdp",
        3389,
        "port-tcp",
        "RDP NLA supported",
        "microsoft-rdp",
    ),
    ("vnc", 5900, "port-tcp", "RFB 003.008", "realvnc"),
    (
        "modbus",
        502,
        "port-tcp",
        "Schneider Electric BMX P34 2020",
        "schneider-electric",
    ),
    (
        "mqtt",
        1883,
        "port-tcp",
        "MQTT Connection Code: 0",
        "mosquitto",
    ),
    ("dns", 53, "port-udp", "dnsmasq-2.80", "dnsmasq"),
    (
        "snmp",
        161,
        "port-udp",
        "Linux router 4.14.0 #1 SMP",
        "net-snmp",
    ),
    ("ntp", 123, "port-udp", "ntpd 4.2.8p10", "ntpd"),
];

const CONTENT_TYPES: &[&str] = &[
    "text/html; charset=utf-8",
    "text/html",
    "application/json",
    "text/plain; charset=UTF-8",
];

fn ipv4(rng: &mut Rng) -> String {
    let n = rng.next();
    format!(
        "{}.{}.{}.{}",
        1 + (n % 223),
        (n >> 8) % 256,
        (n >> 16) % 256,
        1 + (n >> 24) % 254
    )
}

fn ipv6(rng: &mut Rng) -> String {
    let n = rng.next();
    format!(
        "2001:db8:{:x}:{:x}::{:x}",
        n & 0xffff,
        (n >> 16) & 0xffff,
        (n >> 32) & 0xffff
    )
}

fn hostname(rng: &mut Rng) -> String {
    format!("{}.{}", rng.pick(SUBDOMAINS), rng.pick(DOMAINS))
}

fn title(rng: &mut Rng) -> String {
    let n = 1 + rng.below(4);
    let words: Vec<String> = (0..n)
        .map(|i| {
            let w = *rng.pick(WORDS);
            if i == 0 {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            } else {
                w.to_string()
            }
        })
        .collect();
    words.join(" ")
}

fn id(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut n = rng.next();
    let mut m = rng.next();
    (0..22)
        .map(|i| {
            if i == 10 {
                n = m;
                m = 0;
            }
            let c = ALPHABET[(n % 64) as usize] as char;
            n /= 64;
            c
        })
        .collect()
}

fn date(rng: &mut Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        2019 + rng.below(6),
        1 + rng.below(12),
        1 + rng.below(28)
    )
}

fn meta(ty: &str, context: &str, value: impl Into<String>) -> Item {
    Item {
        is_metadata: true,
        ..Item::new(ty, context, value)
    }
}

/// One report.
pub fn report(rng: &mut Rng) -> Report {
    let mut items = Vec::with_capacity(20);
    let ip = if rng.chance(5) { ipv6(rng) } else { ipv4(rng) };
    items.push(meta("ip", "", ip.clone()));
    items.push(meta("geo-country", "", *rng.pick(COUNTRIES)));
    items.push(meta("entity", "", *rng.pick(ENTITIES)));
    let kind = rng.below(100);
    if kind < 55 {
        // A web server, with TLS on 443 and 8443.
        let (port, tls) = *rng.pick(&[
            (443, true),
            (443, true),
            (443, true),
            (443, true),
            (80, false),
            (80, false),
            (80, false),
            (8080, false),
            (8443, true),
        ]);
        let scheme = if tls { "https" } else { "http" };
        items.push(Item::new("port-tcp", "", port.to_string()));
        let (server, tag, info) = *rng.pick(WEB_SERVERS);
        items.push(Item::new("server-banner", scheme, "HTTP/1.1 200 OK"));
        items.push(Item::new("http-header", "Server", server));
        items.push(Item::new(
            "http-header",
            "Content-Type",
            *rng.pick(CONTENT_TYPES),
        ));
        if rng.chance(40) {
            items.push(Item::new("http-header", "X-Powered-By", "PHP/7.4.3"));
        }
        if rng.chance(30) {
            items.push(Item::new(
                "http-header",
                "Set-Cookie",
                format!("session={:x}; Path=/; HttpOnly", rng.next()),
            ));
        }
        items.push(Item::new("product-tag", "", tag));
        items.push(Item::new("product-info", "", info));
        items.push(Item::new("title", "", title(rng)));
        let host = hostname(rng);
        items.push(Item::new("host", "", host.clone()));
        items.push(Item::new(
            "url",
            "",
            format!("{scheme}://{host}/{}", rng.pick(WORDS)),
        ));
        if tls {
            let names = 1 + rng.below(3);
            items.push(Item::new("subject", "", format!("CN={host}")));
            items.push(Item::new("issuer", "", *rng.pick(ISSUERS)));
            for _ in 0..names {
                items.push(Item::new("host", "cert-dns-name", hostname(rng)));
            }
        }
    } else if kind < 75 {
        let port = if rng.chance(80) { 22 } else { 2222 };
        items.push(Item::new("port-tcp", "", port.to_string()));
        let (banner, tag) = *rng.pick(SSH_BANNERS);
        items.push(Item::new("server-banner", "ssh", banner));
        items.push(Item::new("product-tag", "", tag));
        items.push(Item::new(
            "product-info",
            "",
            banner.trim_start_matches("SSH-2.0-").replace('_', " "),
        ));
        items.push(Item::new(
            "ssh-host-key",
            "ssh-ed25519",
            format!("SHA256:{:016x}{:016x}", rng.next(), rng.next()),
        ));
        items.push(Item::new("host", "ptr", hostname(rng)));
    } else {
        let (protocol, port, transport, banner, tag) = *rng.pick(OTHERS);
        items.push(Item::new(transport, "", port.to_string()));
        items.push(Item::new("server-banner", protocol, banner));
        items.push(Item::new("product-tag", "", tag));
        items.push(Item::new("host", "ptr", hostname(rng)));
    }
    // Pad to at least 8 items with scan metadata.
    while items.len() < 8 {
        let n = items.len();
        items.push(meta(
            "scan-note",
            "",
            format!("probe {n} {}", rng.pick(WORDS)),
        ));
    }
    items.truncate(20);
    Report {
        date: date(rng),
        id: id(rng),
        items,
    }
}

/// `n` reports from `seed`.
pub fn reports(n: usize, seed: u64) -> Vec<Report> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| report(&mut rng)).collect()
}

/// Writes reports from `seed` as NDJSON until at least `bytes` bytes are written; returns the
/// number of reports and of bytes.
pub fn write_ndjson(out: &mut impl Write, bytes: u64, seed: u64) -> io::Result<(u64, u64)> {
    let mut rng = Rng::new(seed);
    let mut line = Vec::with_capacity(4096);
    let (mut n, mut written) = (0u64, 0u64);
    while written < bytes {
        line.clear();
        serde_json::to_writer(&mut line, &report(&mut rng))?;
        line.push(b'\n');
        out.write_all(&line)?;
        written += line.len() as u64;
        n += 1;
    }
    Ok((n, written))
}
