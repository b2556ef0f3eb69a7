//! A deterministic generator of synthetic but realistic scan reports, for demos and tests.
//!
//! [`sample(n)`](sample) always returns the same `n` reports, on every run and every machine: the
//! generator is a fixed-seed SplitMix64, and report `i` is drawn from its own stream, seeded
//! from `i`. The reports scan a pool of about `n / 3` hosts, so most `{ip, port}` pairs are seen
//! several times on different dates (which `most_recent` then collapses).
//!
//! What a report holds:
//!
//! - `ip` (empty context, metadata): the scanned address, IPv4 for most hosts and IPv6 for about
//!   one in eight, from address blocks typical of the host's country;
//! - `port-tcp` or `port-udp` (empty context, metadata): the scanned port;
//! - `geo-country` (ISO code) and `entity` (the network's owner, e.g. `Hetzner Online GmbH`),
//!   both metadata;
//! - `server-banner` whose context is the protocol name (`ssh`, `http`, `ftp`, `smtp`, `rtsp`,
//!   `redis`, `modbus`, …), so `protocol=ssh` selects it;
//! - `product-tag` (e.g. `openssh`, `nginx`, `hikvision-ip-camera`) and `product-info`
//!   (e.g. `OpenSSH 8.9p1`);
//! - for web services: `http-header` items with the header name as context (`Server`,
//!   `Content-Type`, `X-Powered-By`, `Set-Cookie`), a `title`, `url` items (the page's own
//!   address, and for some pages a script or style loaded from another host, such as
//!   `https://code.jquery.com/jquery-3.6.0.min.js`, whose host is in no `host` item);
//! - for TLS services: `subject` and `issuer` of the certificate, `host` items with the context
//!   `cert-dns-name` and sometimes an `ip` item with the context `cert-ip-address`;
//! - for hosts scanned by name (about a third of the web, mail and FTP hosts): a `host` item with
//!   the empty context, and one with the context `dns-ns` (its name server); some hosts also
//!   have a `host` item with the context `dns-ptr` (their reverse DNS name);
//! - for web services whose application is known (WordPress, Grafana, Jenkins, …): the
//!   favicon's hashes, `obj-sha1`, `obj-sha256`, `obj-md5` and `obj-murmur3` items with the
//!   context `favicon`, the same for every host that runs that application;
//! - a `date` from 2019-01-01 to 2025-12-31 and a 22-character `id`.
//!
//! Cameras (`product-tag:hikvision*`, `product-tag:dahua*`) are most common in CN, VN, KR, RU, IR,
//! BR and IN; SSH listens on port 22 (sometimes 2222); so queries such as
//! `product-tag:hikvision* and geo-country=CN` or `protocol=ssh and port-tcp:22` find reports in
//! any sample of a few thousand.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::report::{Item, Report};

/// The most reports `driftql serve --sample` serves: a million take about 2 GB of memory.
pub const MAX_SAMPLE: usize = 1_000_000;

/// How many reports `driftql serve` serves when it is given no dataset: enough that a broad
/// query (`port-tcp:443`: about 16,000) passes the API's 10,000 results a search, across the
/// sample's seven years of dates.
pub const DEFAULT_SAMPLE: usize = 100_000;

/// `n` synthetic reports, the same on every call (see the [module docs](self)).
///
/// ```
/// let a = driftql::server::sample::sample(50);
/// assert_eq!(a.len(), 50);
/// assert_eq!(a, driftql::server::sample::sample(50));
/// ```
pub fn sample(n: usize) -> Vec<Report> {
    reports(n).collect()
}

/// The reports of [`sample(n)`](sample), in the same order, made one at a time: for writing
/// a large sample out without holding it in memory.
///
/// ```
/// use driftql::server::sample::{reports, sample};
/// assert!(reports(30).eq(sample(30)));
/// ```
pub fn reports(n: usize) -> impl ExactSizeIterator<Item = Report> + Clone {
    let hosts = n.div_ceil(3).max(1) as u64;
    (0..n).map(move |i| {
        let i = i as u64;
        let mut rng = Rng::new(SEED ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let host = rng.below(hosts);
        report(host, &mut rng)
    })
}

const SEED: u64 = 0x6472_6966_746e_6574; // "driftnet"

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed);
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn weighted<'a, T>(&mut self, xs: &'a [(T, u64)]) -> &'a T {
        let total: u64 = xs.iter().map(|(_, w)| w).sum();
        let mut at = self.below(total);
        for (x, w) in xs {
            if at < *w {
                return x;
            }
            at -= w;
        }
        &xs[xs.len() - 1].0
    }
}

struct Country {
    code: &'static str,
    weight: u64,
    /// First octets of IPv4 addresses.
    v4: &'static [u8],
    /// The first two segments of IPv6 addresses.
    v6: &'static [[u16; 2]],
    /// Network owners.
    entities: &'static [&'static str],
    /// Top-level domains of hosts there.
    tlds: &'static [&'static str],
    /// Whether cameras and DVRs are common.
    cameras: bool,
}

static COUNTRIES: &[Country] = &[
    Country {
        code: "US",
        weight: 20,
        v4: &[3, 18, 23, 34, 44, 52, 54, 64, 104, 172],
        v6: &[[0x2600, 0x1f18], [0x2607, 0xf8b0], [0x2604, 0xa880]],
        entities: &[
            "Amazon.com, Inc.",
            "Google LLC",
            "Microsoft Corporation",
            "DigitalOcean, LLC",
            "Comcast Cable Communications, LLC",
            "Cloudflare, Inc.",
            "Charter Communications Inc",
        ],
        tlds: &["com", "net", "org", "io", "us"],
        cameras: false,
    },
    Country {
        code: "CN",
        weight: 14,
        v4: &[
            1, 27, 36, 39, 42, 58, 60, 101, 110, 112, 114, 117, 119, 121, 123, 180, 183, 218,
        ],
        v6: &[[0x240e, 0x0388], [0x2408, 0x8207], [0x2409, 0x8a1e]],
        entities: &[
            "China Telecom",
            "China Unicom Beijing Province Network",
            "China Mobile Communications Corporation",
            "Tencent Cloud Computing (Beijing) Co., Ltd",
            "Hangzhou Alibaba Advertising Co.,Ltd.",
        ],
        tlds: &["cn", "com.cn", "com"],
        cameras: true,
    },
    Country {
        code: "DE",
        weight: 7,
        v4: &[5, 46, 78, 85, 88, 91, 138, 144, 148, 178],
        v6: &[[0x2a01, 0x04f8], [0x2003, 0x00e5], [0x2a02, 0x0c207]],
        entities: &[
            "Hetzner Online GmbH",
            "Deutsche Telekom AG",
            "Contabo GmbH",
            "IONOS SE",
        ],
        tlds: &["de", "com", "net"],
        cameras: false,
    },
    Country {
        code: "RU",
        weight: 6,
        v4: &[
            5, 31, 37, 46, 77, 79, 87, 91, 95, 109, 176, 178, 188, 212, 217,
        ],
        v6: &[[0x2a02, 0x06b8], [0x2a00, 0x1148]],
        entities: &[
            "Rostelecom",
            "Selectel Ltd.",
            "Yandex LLC",
            "JSC ER-Telecom Holding",
        ],
        tlds: &["ru", "com", "su"],
        cameras: true,
    },
    Country {
        code: "BR",
        weight: 5,
        v4: &[138, 143, 177, 179, 186, 187, 189, 191, 200, 201],
        v6: &[[0x2804, 0x14c], [0x2804, 0x0d58]],
        entities: &["Claro S.A.", "Telefonica Brasil S.A.", "TIM S/A"],
        tlds: &["com.br", "br", "net.br"],
        cameras: true,
    },
    Country {
        code: "IN",
        weight: 5,
        v4: &[14, 27, 49, 59, 103, 106, 115, 117, 122, 157, 182],
        v6: &[[0x2401, 0x4900], [0x2405, 0x0201]],
        entities: &[
            "Bharti Airtel Ltd.",
            "Reliance Jio Infocomm Limited",
            "Tata Communications Ltd.",
        ],
        tlds: &["in", "co.in", "com"],
        cameras: true,
    },
    Country {
        code: "JP",
        weight: 4,
        v4: &[27, 49, 60, 106, 118, 126, 133, 153, 160, 210],
        v6: &[[0x2400, 0x4050], [0x240b, 0x0010]],
        entities: &[
            "NTT Communications Corporation",
            "KDDI Corporation",
            "SAKURA Internet Inc.",
        ],
        tlds: &["jp", "co.jp", "ne.jp"],
        cameras: false,
    },
    Country {
        code: "KR",
        weight: 4,
        v4: &[
            1, 14, 27, 39, 58, 59, 61, 110, 112, 121, 175, 211, 218, 220, 222,
        ],
        v6: &[[0x2001, 0x02d8], [0x2406, 0x5900]],
        entities: &[
            "Korea Telecom",
            "SK Broadband Co Ltd",
            "LG DACOM Corporation",
        ],
        tlds: &["kr", "co.kr", "com"],
        cameras: true,
    },
    Country {
        code: "GB",
        weight: 4,
        v4: &[2, 5, 31, 51, 62, 77, 81, 86, 109, 146, 151, 212],
        v6: &[[0x2a00, 0x23c0], [0x2a01, 0x4b00]],
        entities: &[
            "British Telecommunications PLC",
            "University of London",
            "Virgin Media Limited",
            "Sky UK Limited",
        ],
        tlds: &["co.uk", "uk", "org.uk", "ac.uk"],
        cameras: false,
    },
    Country {
        code: "FR",
        weight: 4,
        v4: &[
            2, 5, 37, 51, 54, 62, 77, 80, 90, 92, 137, 145, 176, 188, 193,
        ],
        v6: &[[0x2001, 0x41d0], [0x2a01, 0x0cb0]],
        entities: &["OVH SAS", "Orange S.A.", "Free SAS", "Scaleway S.A.S."],
        tlds: &["fr", "com", "eu"],
        cameras: false,
    },
    Country {
        code: "NL",
        weight: 3,
        v4: &[5, 31, 37, 45, 77, 82, 83, 85, 89, 185, 194],
        v6: &[[0x2a03, 0xb0c0], [0x2a0c, 0x9a40]],
        entities: &["LeaseWeb Netherlands B.V.", "KPN B.V.", "DigitalOcean, LLC"],
        tlds: &["nl", "eu", "com"],
        cameras: false,
    },
    Country {
        code: "VN",
        weight: 3,
        v4: &[1, 14, 27, 42, 103, 113, 115, 116, 117, 123, 171, 183],
        v6: &[[0x2402, 0x800], [0x2405, 0x4800]],
        entities: &["Viettel Group", "VNPT Corp", "FPT Telecom Company"],
        tlds: &["vn", "com.vn"],
        cameras: true,
    },
    Country {
        code: "IR",
        weight: 2,
        v4: &[2, 5, 31, 37, 46, 78, 79, 80, 89, 91, 93, 185, 217],
        v6: &[[0x2a01, 0x5ec0]],
        entities: &[
            "Iran Telecommunication Company PJS",
            "Mobile Communication Company of Iran PLC",
        ],
        tlds: &["ir", "co.ir"],
        cameras: true,
    },
    Country {
        code: "SG",
        weight: 2,
        v4: &[8, 13, 18, 43, 52, 128, 139, 159, 165],
        v6: &[[0x2406, 0xda18], [0x2400, 0x6180]],
        entities: &["Singtel", "Amazon.com, Inc.", "DigitalOcean, LLC"],
        tlds: &["sg", "com.sg", "com"],
        cameras: false,
    },
    Country {
        code: "CA",
        weight: 2,
        v4: &[24, 64, 66, 70, 99, 142, 154, 198, 205, 206],
        v6: &[[0x2607, 0xfea8], [0x2604, 0x3d08]],
        entities: &[
            "Bell Canada",
            "Rogers Communications Canada Inc.",
            "OVH Hosting, Inc.",
        ],
        tlds: &["ca", "com"],
        cameras: false,
    },
    Country {
        code: "AU",
        weight: 2,
        v4: &[1, 14, 27, 49, 58, 101, 110, 120, 139, 144, 203],
        v6: &[[0x2001, 0x8003], [0x2403, 0x5800]],
        entities: &["Telstra Corporation Ltd", "TPG Telecom Limited"],
        tlds: &["com.au", "au", "net.au"],
        cameras: false,
    },
    Country {
        code: "TW",
        weight: 2,
        v4: &[1, 36, 42, 59, 60, 61, 101, 111, 114, 118, 122, 211, 220],
        v6: &[[0x2001, 0xb011]],
        entities: &["Chunghwa Telecom Co., Ltd.", "Taiwan Fixed Network"],
        tlds: &["tw", "com.tw"],
        cameras: true,
    },
    Country {
        code: "UA",
        weight: 2,
        v4: &[31, 37, 46, 77, 91, 93, 176, 178, 188, 193, 194],
        v6: &[[0x2a02, 0x2378]],
        entities: &["Kyivstar PJSC", "Ukrtelecom"],
        tlds: &["ua", "com.ua"],
        cameras: false,
    },
    Country {
        code: "IT",
        weight: 2,
        v4: &[2, 5, 31, 37, 79, 80, 82, 87, 93, 151, 185, 212],
        v6: &[[0x2a01, 0x0e00]],
        entities: &["Telecom Italia S.p.A.", "Aruba S.p.A.", "Fastweb SpA"],
        tlds: &["it", "com"],
        cameras: false,
    },
];

/// What a host runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Http,
    Https,
    Ssh,
    Ftp,
    Smtp,
    Imap,
    Hikvision,
    Dahua,
    Redis,
    Mysql,
    Postgres,
    Mongodb,
    Rdp,
    Vnc,
    Telnet,
    Modbus,
    S7,
    Bacnet,
    Dns,
    Ntp,
    Snmp,
    Sip,
    Mqtt,
}

static KINDS: &[(Kind, u64)] = &[
    (Kind::Http, 24),
    (Kind::Https, 22),
    (Kind::Ssh, 16),
    (Kind::Ftp, 4),
    (Kind::Smtp, 5),
    (Kind::Imap, 2),
    (Kind::Hikvision, 2),
    (Kind::Dahua, 1),
    (Kind::Redis, 2),
    (Kind::Mysql, 3),
    (Kind::Postgres, 1),
    (Kind::Mongodb, 1),
    (Kind::Rdp, 3),
    (Kind::Vnc, 1),
    (Kind::Telnet, 2),
    (Kind::Modbus, 1),
    (Kind::S7, 1),
    (Kind::Bacnet, 1),
    (Kind::Dns, 3),
    (Kind::Ntp, 2),
    (Kind::Snmp, 2),
    (Kind::Sip, 1),
    (Kind::Mqtt, 1),
];

/// Where cameras are common, they are ten times as likely.
static CAMERA_KINDS: &[(Kind, u64)] = &[(Kind::Hikvision, 2), (Kind::Dahua, 1)];

/// A scanned host: what stays the same from one scan to the next.
struct Host {
    country: &'static Country,
    entity: &'static str,
    ip: String,
    kind: Kind,
    port: u16,
    udp: bool,
    /// The name it is scanned by, if any.
    name: Option<String>,
    /// A second name, in its certificate.
    alt_name: Option<String>,
    reverse_dns: Option<String>,
    /// Picks among the variants of software, titles and headers.
    flavour: u64,
}

fn host(h: u64) -> Host {
    let mut rng = Rng::new(SEED.rotate_left(17) ^ h.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let weighted: Vec<(usize, u64)> = COUNTRIES
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.weight))
        .collect();
    let country = &COUNTRIES[*rng.weighted(&weighted)];
    let kind = if country.cameras && rng.chance(20) {
        *rng.weighted(CAMERA_KINDS)
    } else {
        *rng.weighted(KINDS)
    };
    let ip = if rng.chance(12) {
        let [a, b] = *rng.pick(country.v6);
        let s = |r: &mut Rng| r.below(0x1_0000) as u16;
        let last = if rng.chance(50) { 1 } else { s(&mut rng) };
        Ipv6Addr::new(a, b, s(&mut rng), s(&mut rng), 0, 0, s(&mut rng), last).to_string()
    } else {
        let a = *rng.pick(country.v4);
        let b = rng.below(256) as u8;
        let c = rng.below(256) as u8;
        let d = 1 + rng.below(254) as u8;
        Ipv4Addr::new(a, b, c, d).to_string()
    };
    let (port, udp) = port_of(kind, &mut rng);
    let entity = *rng.pick(country.entities);
    let named = matches!(
        kind,
        Kind::Http | Kind::Https | Kind::Smtp | Kind::Imap | Kind::Ftp
    ) && rng.chance(35);
    let base = domain(country, &mut rng);
    let name = named.then(|| {
        let sub = match kind {
            Kind::Smtp | Kind::Imap => *rng.pick(&["mail", "smtp", "mx1", "mx"]),
            Kind::Ftp => "ftp",
            _ => *rng.pick(&["www", "www", "shop", "api", "portal", "vpn", "cdn", "blog"]),
        };
        format!("{sub}.{base}")
    });
    let alt_name = (kind == Kind::Https).then(|| base.clone());
    let reverse_dns = reverse_dns(entity, &ip, &mut rng);
    Host {
        country,
        entity,
        ip,
        kind,
        port,
        udp,
        name,
        alt_name,
        reverse_dns,
        flavour: rng.next(),
    }
}

fn port_of(kind: Kind, rng: &mut Rng) -> (u16, bool) {
    let tcp = |p| (p, false);
    match kind {
        Kind::Http => tcp(*rng.weighted(&[(80, 12), (8080, 4), (8000, 1), (8888, 1), (81, 1)])),
        Kind::Https => tcp(*rng.weighted(&[(443, 12), (8443, 2), (9443, 1)])),
        Kind::Ssh => tcp(*rng.weighted(&[(22, 9), (2222, 1)])),
        Kind::Ftp => tcp(21),
        Kind::Smtp => tcp(*rng.weighted(&[(25, 4), (587, 2), (465, 1)])),
        Kind::Imap => tcp(*rng.weighted(&[(143, 1), (993, 2)])),
        Kind::Hikvision | Kind::Dahua => tcp(*rng.weighted(&[(80, 3), (554, 2), (8000, 1)])),
        Kind::Redis => tcp(6379),
        Kind::Mysql => tcp(3306),
        Kind::Postgres => tcp(5432),
        Kind::Mongodb => tcp(27017),
        Kind::Rdp => tcp(3389),
        Kind::Vnc => tcp(*rng.weighted(&[(5900, 4), (5901, 1)])),
        Kind::Telnet => tcp(*rng.weighted(&[(23, 4), (2323, 1)])),
        Kind::Modbus => tcp(502),
        Kind::S7 => tcp(102),
        Kind::Mqtt => tcp(1883),
        Kind::Bacnet => (47808, true),
        Kind::Dns => (53, true),
        Kind::Ntp => (123, true),
        Kind::Snmp => (161, true),
        Kind::Sip => (5060, true),
    }
}

static NAME_WORDS: &[&str] = &[
    "acme",
    "northwind",
    "blue",
    "river",
    "cloud",
    "data",
    "green",
    "solar",
    "metro",
    "alpha",
    "nova",
    "pixel",
    "harbor",
    "summit",
    "cedar",
    "atlas",
    "orbit",
    "lumen",
    "vertex",
    "delta",
    "city",
    "school",
    "clinic",
    "logistics",
    "media",
    "shop",
    "travel",
    "bank",
    "energy",
    "labs",
];

fn domain(country: &Country, rng: &mut Rng) -> String {
    let a = rng.pick(NAME_WORDS);
    let b = rng.pick(NAME_WORDS);
    let sep = if rng.chance(30) { "-" } else { "" };
    let tld = rng.pick(country.tlds);
    if a == b {
        format!("{a}{}.{tld}", rng.below(100))
    } else {
        format!("{a}{sep}{b}.{tld}")
    }
}

fn reverse_dns(entity: &str, ip: &str, rng: &mut Rng) -> Option<String> {
    let dashed = ip.replace(['.', ':'], "-");
    let name = match entity {
        "Amazon.com, Inc." => format!(
            "ec2-{dashed}.{}.compute.amazonaws.com",
            rng.pick(&["us-east-2", "us-west-1", "eu-central-1", "ap-southeast-1"])
        ),
        "Hetzner Online GmbH" => format!("static.{dashed}.clients.your-server.de"),
        "OVH SAS" => format!("ip{dashed}.eu"),
        "Comcast Cable Communications, LLC" => format!("c-{dashed}.hsd1.ca.comcast.net"),
        "Deutsche Telekom AG" => format!("p{dashed}.dip0.t-ipconnect.de"),
        "British Telecommunications PLC" => format!("host{dashed}.range86-1.btcentralplus.com"),
        _ => return None,
    };
    rng.chance(70).then_some(name)
}

/// Software versions a host's service may report, oldest first; later scans of a host may
/// report a later version.
static OPENSSH: &[(&str, &str)] = &[
    ("SSH-2.0-OpenSSH_7.4", "7.4"),
    ("SSH-2.0-OpenSSH_7.6p1 Ubuntu-4ubuntu0.3", "7.6p1"),
    ("SSH-2.0-OpenSSH_7.9p1 Debian-10+deb10u2", "7.9p1"),
    ("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5", "8.2p1"),
    ("SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1", "8.4p1"),
    ("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "8.9p1"),
    ("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2", "9.2p1"),
    ("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5", "9.6p1"),
];

/// A web server: its `Server` header, product tag and product info.
static WEB_SERVERS: &[(&str, &str, &str)] = &[
    ("nginx", "nginx", "nginx"),
    ("nginx/1.18.0 (Ubuntu)", "nginx", "nginx 1.18.0"),
    ("nginx/1.24.0", "nginx", "nginx 1.24.0"),
    (
        "Apache/2.4.41 (Ubuntu)",
        "apache-httpd",
        "Apache httpd 2.4.41",
    ),
    (
        "Apache/2.4.57 (Debian)",
        "apache-httpd",
        "Apache httpd 2.4.57",
    ),
    ("Apache", "apache-httpd", "Apache httpd"),
    ("Microsoft-IIS/10.0", "microsoft-iis", "Microsoft IIS 10.0"),
    ("LiteSpeed", "litespeed", "LiteSpeed Web Server"),
    ("cloudflare", "cloudflare", "Cloudflare proxy"),
    ("openresty", "openresty", "OpenResty"),
    ("CherryPy/18.8.0", "cherrypy", "CherryPy 18.8.0"),
    ("Jetty(9.4.44.v20210927)", "jetty", "Eclipse Jetty 9.4.44"),
];

/// A page served: its title, and the application behind it if known.
static WEB_PAGES: &[(&str, Option<(&str, &str)>)] = &[
    ("Welcome to nginx!", None),
    ("Apache2 Ubuntu Default Page: It works", None),
    ("IIS Windows Server", None),
    ("Index of /", None),
    ("403 Forbidden", None),
    ("404 Not Found", None),
    ("Login", None),
    ("Dashboard", None),
    ("Just a moment...", None),
    ("My WordPress Blog", Some(("wordpress", "WordPress 6.4"))),
    ("Grafana", Some(("grafana", "Grafana"))),
    ("Jenkins [Jenkins]", Some(("jenkins", "Jenkins"))),
    ("GitLab", Some(("gitlab", "GitLab Community Edition"))),
    ("phpMyAdmin", Some(("phpmyadmin", "phpMyAdmin 5.2"))),
    (
        "RouterOS router configuration page",
        Some(("mikrotik-routeros", "MikroTik RouterOS")),
    ),
    (
        "Roundcube Webmail :: Welcome to Roundcube Webmail",
        Some(("roundcube", "Roundcube Webmail")),
    ),
    ("Plesk Obsidian", Some(("plesk", "Plesk Obsidian"))),
];

static POWERED_BY: &[&str] = &[
    "PHP/7.4.3",
    "PHP/8.1.2",
    "PHP/8.2.7",
    "Express",
    "ASP.NET",
    "Next.js",
];

static CAS: &[(&str, u64)] = &[
    ("C=US, O=Let's Encrypt, CN=R3", 10),
    ("C=US, O=Let's Encrypt, CN=R10", 12),
    ("C=US, O=Let's Encrypt, CN=E5", 6),
    (
        "C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1",
        4,
    ),
    (
        "C=BE, O=GlobalSign nv-sa, CN=GlobalSign GCC R3 DV TLS CA 2020",
        2,
    ),
    (
        "C=GB, ST=Greater Manchester, L=Salford, O=Sectigo Limited, CN=Sectigo RSA Domain Validation Secure Server CA",
        3,
    ),
    ("C=US, O=Google Trust Services, CN=WR1", 3),
];

fn report(h: u64, rng: &mut Rng) -> Report {
    let host = host(h);
    // 2019-01-01 is Julian day 2458485; 2557 days run to 2025-12-31.
    let day = rng.below(2557) as i32;
    let date = time::Date::from_julian_day(2_458_485 + day)
        .map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_else(|_| "2019-01-01".to_owned());
    // Later scans tend to see later software.
    let era = day as u64 * 8 / 2557;
    let mut items = Vec::with_capacity(16);
    let meta = |ty: &str, value: &str| Item {
        is_metadata: true,
        ..Item::new(ty, "", value)
    };
    items.push(meta("ip", &host.ip));
    items.push(meta(
        if host.udp { "port-udp" } else { "port-tcp" },
        &host.port.to_string(),
    ));
    items.push(meta("geo-country", host.country.code));
    items.push(meta("entity", host.entity));
    if let Some(name) = &host.name {
        items.push(Item::new("host", "", name.as_str()));
    }
    if let Some(name) = &host.reverse_dns {
        items.push(Item::new("host", "dns-ptr", name.as_str()));
    }
    service(&host, era, rng, &mut items);
    // Drawn from the host, not from the report's stream, so the reports' other items stay as
    // they were.
    if let Some(name) = &host.name {
        items.push(Item::new("host", "dns-ns", name_server(name)));
    }
    Report {
        date,
        id: id(rng),
        items,
    }
}

fn id(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..22)
        .map(|_| ALPHABET[rng.below(64) as usize] as char)
        .collect()
}

fn service(host: &Host, era: u64, rng: &mut Rng, items: &mut Vec<Item>) {
    let f = host.flavour;
    let banner = |proto: &str, value: &str| Item::new("server-banner", proto, value);
    let tag = |value: &str| Item::new("product-tag", "", value);
    let info = |value: &str| Item::new("product-info", "", value);
    match host.kind {
        Kind::Http | Kind::Https => web(host, era, rng, items),
        Kind::Ssh => {
            let at = ((f % 4) + era / 2).min(OPENSSH.len() as u64 - 1) as usize;
            let (b, v) = OPENSSH[at];
            if f.is_multiple_of(11) {
                items.push(banner("ssh", "SSH-2.0-dropbear_2020.81"));
                items.push(tag("dropbear"));
                items.push(info("Dropbear sshd 2020.81"));
            } else {
                items.push(banner("ssh", b));
                items.push(tag("openssh"));
                items.push(info(&format!("OpenSSH {v}")));
            }
        }
        Kind::Ftp => {
            let name = host.name.as_deref().unwrap_or("localhost");
            let (b, t, i) = match f % 3 {
                0 => ("220 (vsFTPd 3.0.3)".to_owned(), "vsftpd", "vsftpd 3.0.3"),
                1 => (
                    format!("220 ProFTPD Server (Debian) [::ffff:{}]", host.ip),
                    "proftpd",
                    "ProFTPD 1.3.6",
                ),
                _ => (
                    format!("220-FileZilla Server 1.7.0\r\n220 Please visit {name}"),
                    "filezilla-server",
                    "FileZilla Server 1.7.0",
                ),
            };
            items.push(banner("ftp", &b));
            items.push(tag(t));
            items.push(info(i));
        }
        Kind::Smtp | Kind::Imap => {
            let name = host
                .name
                .clone()
                .unwrap_or_else(|| format!("mail.{}", "localdomain"));
            if host.kind == Kind::Smtp {
                let (b, t, i) = match f % 3 {
                    0 => (
                        format!("220 {name} ESMTP Postfix (Ubuntu)"),
                        "postfix",
                        "Postfix smtpd",
                    ),
                    1 => (
                        format!(
                            "220 {name} ESMTP Exim 4.96 {}",
                            "Mon, 01 Jan 2024 10:00:00 +0000"
                        ),
                        "exim",
                        "Exim 4.96",
                    ),
                    _ => (
                        format!("220 {name} Microsoft ESMTP MAIL Service ready"),
                        "microsoft-exchange",
                        "Microsoft Exchange smtpd",
                    ),
                };
                items.push(banner("smtp", &b));
                items.push(tag(t));
                items.push(info(i));
            } else {
                items.push(banner(
                    "imap",
                    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Ubuntu) ready.",
                ));
                items.push(tag("dovecot"));
                items.push(info("Dovecot imapd"));
            }
            if host.port == 465 || host.port == 993 {
                certificate(host, rng, items);
            }
        }
        Kind::Hikvision | Kind::Dahua => camera(host, rng, items),
        Kind::Redis => {
            if f.is_multiple_of(3) {
                items.push(banner("redis", "-NOAUTH Authentication required."));
            } else {
                items.push(banner("redis", "$3421\r\n# Server\r\nredis_version:6.0.16\r\nredis_mode:standalone\r\nos:Linux 5.4.0-150-generic x86_64"));
                items.push(info("Redis 6.0.16"));
            }
            items.push(tag("redis"));
        }
        Kind::Mysql => {
            let v = *rng.pick(&[
                "5.7.33-0ubuntu0.18.04.1",
                "8.0.36",
                "5.5.5-10.3.39-MariaDB-0+deb10u1",
            ]);
            items.push(banner("mysql", v));
            if v.contains("MariaDB") {
                items.push(tag("mariadb"));
                items.push(info("MariaDB 10.3.39"));
            } else {
                items.push(tag("mysql"));
                items.push(info(&format!("MySQL {}", v.split('-').next().unwrap_or(v))));
            }
        }
        Kind::Postgres => {
            items.push(banner(
                "postgres",
                "FATAL:  unsupported frontend protocol 1234.5680: server supports 3.0 to 3.0",
            ));
            items.push(tag("postgresql"));
        }
        Kind::Mongodb => {
            items.push(banner("mongodb", "MongoDB 4.4.6 (wire version 9)"));
            items.push(tag("mongodb"));
            items.push(info("MongoDB 4.4.6"));
        }
        Kind::Rdp => {
            items.push(banner("rdp", "Remote Desktop Protocol, NLA required"));
            items.push(tag("microsoft-rdp"));
            items.push(info("Microsoft Terminal Services"));
            let name = format!("WIN-{:08X}", f as u32);
            items.push(Item::new("subject", "", format!("CN={name}")));
            items.push(Item::new("issuer", "", format!("CN={name}")));
        }
        Kind::Vnc => {
            let version = *rng.pick(&["RFB 003.008", "RFB 003.003", "RFB 005.000"]);
            items.push(banner("vnc", version));
            items.push(tag("vnc"));
        }
        Kind::Telnet => {
            let b = *rng.pick(&[
                "\r\nUser Access Verification\r\n\r\nUsername: ",
                "BusyBox v1.19.4 (2016-04-27 10:02:12 CST) built-in shell (ash)\r\nlogin: ",
                "Ubuntu 20.04.6 LTS\r\nlogin: ",
            ]);
            items.push(banner("telnet", b));
            items.push(tag(if b.contains("BusyBox") {
                "busybox"
            } else if b.contains("Ubuntu") {
                "ubuntu"
            } else {
                "cisco-ios"
            }));
        }
        Kind::Modbus => {
            items.push(banner(
                "modbus",
                "Unit ID: 1\nDevice Identification: Schneider Electric BMX P34 2020 v2.8",
            ));
            items.push(tag("schneider-electric-modicon"));
            items.push(info("Schneider Electric BMX P34 2020"));
        }
        Kind::S7 => {
            items.push(banner("s7", "Module: 6ES7 315-2EH14-0AB0 v.3.2.6\nBasic Hardware: 6ES7 315-2EH14-0AB0\nPLC name: SIMATIC 300(1)"));
            items.push(tag("siemens-simatic-s7"));
            items.push(info("Siemens SIMATIC S7-300"));
        }
        Kind::Bacnet => {
            items.push(banner(
                "bacnet",
                "Vendor Name: Johnson Controls Inc\nModel Name: NAE55\nFirmware: 9.0.0.8175",
            ));
            items.push(tag("johnson-controls-metasys"));
        }
        Kind::Dns => {
            let (b, t) = *rng.pick(&[
                ("dnsmasq-2.80", "dnsmasq"),
                ("9.16.1-Ubuntu", "bind"),
                ("unbound 1.13.1", "unbound"),
            ]);
            items.push(banner("dns", b));
            items.push(tag(t));
        }
        Kind::Ntp => {
            items.push(banner("ntp", "version=\"ntpd 4.2.8p15@1.3728-o\", processor=\"x86_64\", system=\"Linux/5.10.0\", stratum=2"));
            items.push(tag("ntpd"));
        }
        Kind::Snmp => {
            let b = *rng.pick(&[
                "Linux router 4.14.0 #1 SMP Tue Jan 4 2022 mips",
                "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE12",
                "RouterOS RB4011iGS+",
            ]);
            items.push(banner("snmp", b));
            items.push(tag(if b.starts_with("Cisco") {
                "cisco-ios"
            } else if b.starts_with("RouterOS") {
                "mikrotik-routeros"
            } else {
                "net-snmp"
            }));
        }
        Kind::Sip => {
            items.push(banner("sip", "SIP/2.0 200 OK\r\nUser-Agent: Asterisk PBX 16.28.0\r\nAllow: INVITE, ACK, CANCEL, OPTIONS, BYE"));
            items.push(tag("asterisk"));
            items.push(info("Asterisk PBX 16.28.0"));
        }
        Kind::Mqtt => {
            items.push(banner("mqtt", "MQTT Connection Code: 0 (accepted)\nTopics: $SYS/broker/version = mosquitto version 2.0.11"));
            items.push(tag("mosquitto"));
            items.push(info("Eclipse Mosquitto 2.0.11"));
        }
    }
}

fn web(host: &Host, era: u64, rng: &mut Rng, items: &mut Vec<Item>) {
    let f = host.flavour;
    let tls = host.kind == Kind::Https;
    let proto = if tls { "https" } else { "http" };
    let (server, tag, info) = WEB_SERVERS[((f >> 8) % WEB_SERVERS.len() as u64) as usize];
    // Some hosts change what they serve over the years.
    let page = ((f >> 16) + era / 4) % WEB_PAGES.len() as u64;
    let (title, app) = WEB_PAGES[page as usize];
    let status = match title {
        "403 Forbidden" => "403 Forbidden",
        "404 Not Found" => "404 Not Found",
        _ => "200 OK",
    };
    items.push(Item::new(
        "server-banner",
        proto,
        format!("HTTP/1.1 {status}\r\nServer: {server}"),
    ));
    items.push(Item::new("http-header", "Server", server));
    items.push(Item::new(
        "http-header",
        "Content-Type",
        *rng.pick(&[
            "text/html; charset=UTF-8",
            "text/html",
            "text/html; charset=utf-8",
        ]),
    ));
    if (f >> 24).is_multiple_of(3) {
        items.push(Item::new(
            "http-header",
            "X-Powered-By",
            POWERED_BY[((f >> 28) % POWERED_BY.len() as u64) as usize],
        ));
    }
    if rng.chance(30) {
        items.push(Item::new(
            "http-header",
            "Set-Cookie",
            format!("PHPSESSID={:016x}; path=/; HttpOnly", rng.next()),
        ));
    }
    if tls && rng.chance(60) {
        items.push(Item::new(
            "http-header",
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ));
    }
    items.push(Item::new("title", "", title));
    items.push(Item::new("product-tag", "", tag));
    items.push(Item::new("product-info", "", info));
    if let Some((t, i)) = app {
        items.push(Item::new("product-tag", "", t));
        items.push(Item::new("product-info", "", i));
        favicon(t, items);
    }
    let authority = match (&host.name, host.ip.contains(':')) {
        (Some(name), _) => name.clone(),
        (None, true) => format!("[{}]", host.ip),
        (None, false) => host.ip.clone(),
    };
    let default_port = if tls { 443 } else { 80 };
    let port = if host.port == default_port {
        String::new()
    } else {
        format!(":{}", host.port)
    };
    items.push(Item::new(
        "url",
        "",
        format!("{proto}://{authority}{port}/"),
    ));
    if app.is_some_and(|(t, _)| t == "wordpress") {
        items.push(Item::new(
            "url",
            "",
            format!("{proto}://{authority}{port}/wp-login.php"),
        ));
    }
    if rng.chance(25) {
        // A script or style the page loads from elsewhere.
        let external = match rng.below(5) {
            0 => format!(
                "https://www.googletagmanager.com/gtag/js?id=G-{:08X}",
                rng.next() as u32
            ),
            1 => "https://cdn.jsdelivr.net/npm/bootstrap@5.3.0/dist/js/bootstrap.bundle.min.js"
                .to_owned(),
            2 => "https://fonts.googleapis.com/css?family=Roboto:300,400,500".to_owned(),
            3 => "https://code.jquery.com/jquery-3.6.0.min.js".to_owned(),
            _ => "https://login.microsoftonline.com/common/oauth2/authorize".to_owned(),
        };
        items.push(Item::new("url", "", external));
    }
    if tls {
        certificate(host, rng, items);
    }
}

/// The name server of a host's domain: `ns1.` and its last two labels.
fn name_server(name: &str) -> String {
    let labels: Vec<&str> = name.rsplitn(3, '.').collect();
    match labels.as_slice() {
        [tld, domain, ..] => format!("ns1.{domain}.{tld}"),
        _ => format!("ns1.{name}"),
    }
}

/// The favicon of an application's pages, as its four hashes: the same for every host that
/// runs it, made from its name (the hashes are synthetic, of the right lengths).
fn favicon(app: &str, items: &mut Vec<Item>) {
    let seed = app.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = Rng::new(seed);
    let hex = |rng: &mut Rng, digits: usize| {
        let mut s = String::with_capacity(digits);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", rng.next()));
        }
        s.truncate(digits);
        s
    };
    items.push(Item::new("obj-sha1", "favicon", hex(&mut rng, 40)));
    items.push(Item::new("obj-sha256", "favicon", hex(&mut rng, 64)));
    items.push(Item::new("obj-md5", "favicon", hex(&mut rng, 32)));
    items.push(Item::new(
        "obj-murmur3",
        "favicon",
        (rng.next() as u32 as i32).to_string(),
    ));
}

fn certificate(host: &Host, rng: &mut Rng, items: &mut Vec<Item>) {
    let names: Vec<&str> = host
        .name
        .iter()
        .chain(&host.alt_name)
        .map(String::as_str)
        .collect();
    if names.is_empty() || rng.chance(8) {
        // A self-signed certificate with no name worth the mention.
        let cn = *rng.pick(&[
            "localhost",
            "localhost.localdomain",
            "Plesk",
            "FortiGate",
            "pfSense-5f0c3a",
        ]);
        items.push(Item::new("subject", "", format!("CN={cn}")));
        items.push(Item::new("issuer", "", format!("CN={cn}")));
        if rng.chance(40) {
            items.push(Item::new("ip", "cert-ip-address", host.ip.as_str()));
        }
        return;
    }
    let org = if rng.chance(30) {
        format!(", O={}", host.entity)
    } else {
        String::new()
    };
    items.push(Item::new("subject", "", format!("CN={}{org}", names[0])));
    items.push(Item::new("issuer", "", *rng.weighted(CAS)));
    for name in names {
        items.push(Item::new("host", "cert-dns-name", name));
    }
    if rng.chance(15) {
        let private = format!(
            "10.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        );
        items.push(Item::new("ip", "cert-ip-address", private));
    }
}

fn camera(host: &Host, rng: &mut Rng, items: &mut Vec<Item>) {
    let hik = host.kind == Kind::Hikvision;
    let (tag, info) = match (hik, host.flavour % 3) {
        (true, 0) => ("hikvision-ip-camera", "Hikvision IP camera"),
        (true, 1) => ("hikvision-nvr", "Hikvision network video recorder"),
        (true, _) => ("hikvision-dvr", "Hikvision digital video recorder"),
        (false, 0) => ("dahua-ip-camera", "Dahua IP camera"),
        (false, _) => ("dahua-dvr", "Dahua digital video recorder"),
    };
    if host.port == 554 {
        let realm = if hik {
            "IP Camera(C6483)"
        } else {
            "Login to 4K05A8EPAZ12345"
        };
        items.push(Item::new(
            "server-banner",
            "rtsp",
            format!("RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm=\"{realm}\", nonce=\"{:016x}\"", rng.next()),
        ));
    } else {
        let server = if hik {
            *rng.pick(&["App-webs/", "DNVRS-Webs", "Hikvision-Webs"])
        } else {
            "DahuaHttp"
        };
        items.push(Item::new(
            "server-banner",
            "http",
            format!("HTTP/1.1 200 OK\r\nServer: {server}"),
        ));
        items.push(Item::new("http-header", "Server", server));
        items.push(Item::new("http-header", "Content-Type", "text/html"));
        items.push(Item::new(
            "title",
            "",
            if hik { "index" } else { "WEB SERVICE" },
        ));
        let authority = if host.ip.contains(':') {
            format!("[{}]", host.ip)
        } else {
            host.ip.clone()
        };
        let port = if host.port == 80 {
            String::new()
        } else {
            format!(":{}", host.port)
        };
        items.push(Item::new(
            "url",
            "",
            format!("http://{authority}{port}/doc/page/login.asp"),
        ));
    }
    items.push(Item::new("product-tag", "", tag));
    items.push(Item::new("product-info", "", info));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_well_formed() {
        for r in sample(500) {
            assert_eq!(r.id.len(), 22);
            assert!(
                crate::models::Date::parse_param("date", &r.date).is_ok(),
                "{}",
                r.date
            );
            let ip = r
                .items
                .iter()
                .find(|i| i.ty == "ip" && i.context.is_empty())
                .unwrap();
            assert!(ip.value.parse::<std::net::IpAddr>().is_ok(), "{}", ip.value);
            assert!(r.items.iter().any(|i| i.ty.starts_with("port-")));
            assert!(r.items.iter().any(|i| i.ty == "server-banner"));
        }
    }
}
