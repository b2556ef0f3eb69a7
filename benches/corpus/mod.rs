//! Deterministic benchmark corpora: the documentation's examples and generated queries, each in
//! driftql's syntax and, for the peer comparison, the equivalent Lucene-style query that
//! `tantivy-query-grammar` parses.
//!
//! - *realistic*: mostly flat, 1–8 terms, parentheses only where precedence needs them;
//! - *nested*: every operand of a group parenthesised, depth up to 5.

#![allow(dead_code)]

/// One query in both syntaxes.
pub struct Pair {
    pub driftql: String,
    pub lucene: String,
}

/// The examples of the Driftnet documentation, with hand-written Lucene equivalents.
const EXAMPLES: &[(&str, &str)] = &[
    ("server-banner:cherrypy", "server-banner:cherrypy"),
    ("search-term:cherrypy", "search-term:cherrypy"),
    (
        r#"entity:"Tencent Cloud Computing""#,
        r#"entity:"Tencent Cloud Computing""#,
    ),
    (
        "host:driftnet.io and port-tcp:443",
        "host:driftnet.io AND port-tcp:443",
    ),
    (
        "product-tag:dahua or product-tag:hikvision",
        "product-tag:dahua OR product-tag:hikvision",
    ),
    (
        r#"entity:"Tencent Cloud Computing" not port-tcp:22 and not port-tcp:2222"#,
        r#"entity:"Tencent Cloud Computing" AND NOT port-tcp:22 AND NOT port-tcp:2222"#,
    ),
    ("product-tag:hikvision*", "product-tag:hikvision*"),
    (
        r#"product-tag="hikvision dvr ds-7208hwi-sh""#,
        r#"product-tag:"hikvision dvr ds-7208hwi-sh""#,
    ),
    ("protocol=modbus", "protocol:modbus"),
    (
        "http-header-name=X-Clacks-Overhead",
        "http-header-name:X-Clacks-Overhead",
    ),
    ("geo-country=GB", "geo-country:GB"),
    (
        "product-tag:dahua and geo-country=RU or geo-country=IR",
        "(product-tag:dahua AND geo-country:RU) OR geo-country:IR",
    ),
    (
        "product-tag:dahua and (geo-country=RU or geo-country=IR)",
        "product-tag:dahua AND (geo-country:RU OR geo-country:IR)",
    ),
    (
        r#"http-header:"inline; filename=\"index.html\"""#,
        r#"http-header:"inline; filename=\"index.html\"""#,
    ),
    (r"product-info=\(Fedora\)", r"product-info:\(Fedora\)"),
    (
        r#"http-header;Server="NimPlant C2 Server""#,
        r#"http-header.Server:"NimPlant C2 Server""#,
    ),
    ("ip;:8.8.8.8", r"ip.:8.8.8.8"),
    ("host;=example.com", "host.:example.com"),
    ("host:google.com", "host:google.com"),
    (
        r#"subject:"university oxford""#,
        r#"subject:"university oxford""#,
    ),
    ("url:example.com", "url:example.com"),
    (
        "server-banner:SSH-2.0-ROSSSH and not port-tcp:22 and (geo-country=CN or geo-country=RU)",
        "server-banner:SSH-2.0-ROSSSH AND NOT port-tcp:22 AND (geo-country:CN OR geo-country:RU)",
    ),
    ("port-tcp:443", "port-tcp:443"),
];

/// A small deterministic generator (xorshift64*), so the corpus is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A term in both syntaxes.
fn term(rng: &mut Rng) -> (String, String) {
    // (type, op, value, quoted) — values as a user would write them.
    const TERMS: &[(&str, &str, &[&str], bool)] = &[
        (
            "host",
            ":",
            &[
                "driftnet.io",
                "example.com",
                "mail.google.com",
                "vpn.corp.example.org",
            ],
            false,
        ),
        (
            "port-tcp",
            ":",
            &["22", "80", "443", "8080", "3389", "2222"],
            false,
        ),
        ("port-udp", ":", &["53", "161", "500"], false),
        (
            "geo-country",
            "=",
            &["RU", "IR", "CN", "GB", "US", "KP"],
            false,
        ),
        (
            "product-tag",
            ":",
            &["dahua", "hikvision*", "mikrotik", "fortinet*", "openssh"],
            false,
        ),
        (
            "protocol",
            "=",
            &["modbus", "ssh", "rdp", "https", "s7"],
            false,
        ),
        (
            "server-banner",
            ":",
            &["SSH-2.0-ROSSSH", "cherrypy", "nginx", "Apache/2.4.41"],
            false,
        ),
        (
            "title",
            ":",
            &["Login Page", "Index of /", "Welcome to nginx!", "Dashboard"],
            true,
        ),
        (
            "entity",
            ":",
            &[
                "Tencent Cloud Computing",
                "Amazon Technologies",
                "Hetzner Online",
            ],
            true,
        ),
        ("subject", ":", &["university oxford", "acme corp"], true),
        ("issuer", ":", &["Let's Encrypt", "DigiCert Inc"], true),
        (
            "ip",
            ":",
            &["8.8.8.8", "10.0.0.0/8", "192.168.1.0/24"],
            false,
        ),
        (
            "url",
            ":",
            &["example.com", "login.example.com", "api.example.org"],
            false,
        ),
    ];
    if rng.chance(8) {
        let server = rng.pick(&[
            "nginx",
            "Apache",
            "Microsoft-IIS/10.0",
            "NimPlant C2 Server",
        ]);
        let quoted = server.contains(' ');
        let v = if quoted {
            format!("\"{server}\"")
        } else {
            server.to_string()
        };
        let lv = lucene_word(server, quoted);
        return (
            format!("http-header;Server={v}"),
            format!("http-header.Server:{lv}"),
        );
    }
    let (ty, op, values, quoted) = rng.pick(TERMS);
    let value = *rng.pick(values);
    let d = if *quoted {
        format!("\"{value}\"")
    } else {
        value.to_string()
    };
    (
        format!("{ty}{op}{d}"),
        format!("{ty}:{}", lucene_word(value, *quoted)),
    )
}

/// A value in Lucene syntax: a phrase, or a word with its special characters escaped.
fn lucene_word(value: &str, quoted: bool) -> String {
    if quoted {
        return format!("\"{}\"", value.replace('"', "\\\""));
    }
    let mut out = String::new();
    for c in value.chars() {
        if "^`:{}\"'[]()\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A flat chain of 1–8 terms; an `or` inside an `and` chain is parenthesised, as people write.
fn realistic_one(rng: &mut Rng) -> Pair {
    let n = 1 + rng.below(8);
    let mut d = String::new();
    let mut l = String::new();
    let mut i = 0;
    while i < n {
        if i > 0 {
            d.push_str(" and ");
            l.push_str(" AND ");
        }
        if rng.chance(15) {
            d.push_str("not ");
            l.push_str("NOT ");
        }
        if n - i >= 2 && rng.chance(20) {
            let (a, la) = term(rng);
            let (b, lb) = term(rng);
            d.push_str(&format!("({a} or {b})"));
            l.push_str(&format!("({la} OR {lb})"));
            i += 2;
        } else {
            let (t, lt) = term(rng);
            d.push_str(&t);
            l.push_str(&lt);
            i += 1;
        }
    }
    if rng.chance(20) {
        let (t, lt) = term(rng);
        d = format!("{d} or {t}");
        l = format!("({l}) OR {lt}");
    }
    Pair {
        driftql: d,
        lucene: l,
    }
}

/// A group whose operands are all parenthesised, up to `depth` levels.
fn nested_group(rng: &mut Rng, depth: usize) -> (String, String) {
    if depth == 0 || rng.chance(25) {
        return term(rng);
    }
    let n = 2 + rng.below(2);
    let and = rng.chance(50);
    let (dop, lop) = if and {
        (" and ", " AND ")
    } else {
        (" or ", " OR ")
    };
    let mut ds = Vec::new();
    let mut ls = Vec::new();
    for _ in 0..n {
        let (d, l) = nested_group(rng, depth - 1);
        ds.push(format!("({d})"));
        ls.push(format!("({l})"));
    }
    (ds.join(dop), ls.join(lop))
}

/// `n` realistic queries: the documentation's examples first, then generated ones.
pub fn realistic(n: usize) -> Vec<Pair> {
    let mut rng = Rng(0x5EED_D21F_7A11_0001);
    let mut out: Vec<Pair> = EXAMPLES
        .iter()
        .map(|(d, l)| Pair {
            driftql: d.to_string(),
            lucene: l.to_string(),
        })
        .collect();
    while out.len() < n {
        out.push(realistic_one(&mut rng));
    }
    out
}

/// `n` nested queries, every operand parenthesised, depth up to 5.
pub fn nested(n: usize) -> Vec<Pair> {
    let mut rng = Rng(0x5EED_D21F_7A11_0002);
    (0..n)
        .map(|_| {
            let depth = 1 + rng.below(5);
            let (d, l) = nested_group(&mut rng, depth);
            Pair {
                driftql: format!("({d})"),
                lucene: format!("({l})"),
            }
        })
        .collect()
}

/// One expression nested `depth` levels of parentheses deep, with a few terms at every level.
pub fn deep(depth: usize) -> String {
    let mut s = String::from("title:core");
    for i in 0..depth {
        let op = if i % 2 == 0 { "and" } else { "or" };
        s = format!(
            "(port-tcp:{} {op} {s} {op} host:h{i}.example.com)",
            1000 + i
        );
    }
    s
}

/// One flat expression of about `bytes` bytes.
pub fn flat(bytes: usize) -> String {
    let mut rng = Rng(0x5EED_D21F_7A11_0003);
    let mut s = String::new();
    while s.len() < bytes {
        if !s.is_empty() {
            s.push_str(if rng.chance(50) { " and " } else { " or " });
        }
        s.push_str(&term(&mut rng).0);
    }
    s
}
