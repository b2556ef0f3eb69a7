//! The type registry as data: one row per type. Adding a type is adding a row.
//! Also the value syntaxes the registry names: [`parse_ip_or_cidr`] and [`parse_port`].
//!
//! The validator reads it for operators, value syntax and case rules; the evaluator for how a
//! term selects and compares items.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// How a type's values are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// An IP address; a term's value is an address or a CIDR block.
    Ip,
    /// A host name: matches are right-anchored on label boundaries, case-insensitive.
    Host,
    /// A URL: `url:example.com` also matches URLs on that host or its subdomains.
    Url,
    /// A TCP or UDP port, an integer 0–65535.
    Port,
    /// An autonomous system number, `AS15169` or `15169`: compared as a number.
    Asn,
    /// A keyword: only whole-value equality makes sense.
    Keyword,
    /// Free text: `:` matches words, `=` the whole value.
    Text,
}

/// What a valid value of a type looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueSyntax {
    /// Any string.
    Any,
    /// An IPv4/IPv6 address or CIDR block.
    IpOrCidr,
    /// An integer 0–65535.
    Port,
    /// An ISO 3166-1 alpha-2 country code, two uppercase ASCII letters.
    CountryCode,
    /// A hash written as this many hex digits (SHA-1: 40, SHA-256: 64, MD5: 32).
    Hex(usize),
    /// A MurmurHash3 (favicon) hash: a signed 32-bit integer.
    Murmur3,
    /// A CVE identifier, `CVE-YYYY-NNNN` with 4 or more digits at the end.
    Cve,
    /// An autonomous system number: `AS` and digits, or the digits alone (at most 4294967295).
    Asn,
}

/// Which items a type selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Selects {
    /// Items of this very type.
    Own,
    /// Items of every type (`search-term`).
    Every,
    /// A pseudo-type: items of the named type, compared by their *context* (`protocol` selects
    /// `server-banner` items whose context is the protocol name).
    ContextOf(&'static str),
}

/// One row of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TypeInfo {
    /// The type's name, lowercase.
    pub name: &'static str,
    /// How values compare.
    pub kind: Kind,
    /// Whether `:` (match) is allowed; when not, `:` is `keyword-only-type`.
    pub allows_match: bool,
    /// Whether `=` (keyword) is allowed: `ip=` is `ip-needs-match`, and a type without `=`
    /// gets no `context-needs-keyword` (whose fix is `=`).
    pub allows_keyword: bool,
    /// Whether values compare case-sensitively: for a pseudo-type ([`Selects::ContextOf`]), the
    /// evaluator compares the selected items' contexts exactly when set, else ignoring case.
    pub case_sensitive: bool,
    /// What a valid value looks like.
    pub value_syntax: ValueSyntax,
    /// Which items the type selects.
    pub selects: Selects,
    /// Whether a context restriction may go with `:` (for `ip` and `host`, where the context
    /// names where the address or name was seen): such a term gets no
    /// `context-needs-keyword`, and the language server's hover says so.
    pub context_with_match: bool,
    /// Whether searching by this type is slow (every type is searched).
    pub slow: bool,
}

const fn row(name: &'static str, kind: Kind) -> TypeInfo {
    TypeInfo {
        name,
        kind,
        allows_match: true,
        allows_keyword: true,
        case_sensitive: false,
        value_syntax: ValueSyntax::Any,
        selects: Selects::Own,
        context_with_match: false,
        slow: false,
    }
}

/// Every known type.
pub static TYPES: &[TypeInfo] = &[
    TypeInfo {
        allows_keyword: false,
        value_syntax: ValueSyntax::IpOrCidr,
        context_with_match: true,
        ..row("ip", Kind::Ip)
    },
    TypeInfo {
        context_with_match: true,
        ..row("host", Kind::Host)
    },
    row("url", Kind::Url),
    TypeInfo {
        value_syntax: ValueSyntax::Port,
        ..row("port-tcp", Kind::Port)
    },
    TypeInfo {
        value_syntax: ValueSyntax::Port,
        ..row("port-udp", Kind::Port)
    },
    TypeInfo {
        allows_match: false,
        value_syntax: ValueSyntax::CountryCode,
        ..row("geo-country", Kind::Keyword)
    },
    TypeInfo {
        allows_match: false,
        case_sensitive: true,
        selects: Selects::ContextOf("server-banner"),
        ..row("protocol", Kind::Keyword)
    },
    TypeInfo {
        allows_match: false,
        case_sensitive: true,
        selects: Selects::ContextOf("http-header"),
        ..row("http-header-name", Kind::Keyword)
    },
    row("server-banner", Kind::Text),
    row("http-header", Kind::Text),
    row("title", Kind::Text),
    row("issuer", Kind::Text),
    row("subject", Kind::Text),
    row("entity", Kind::Text),
    row("product-tag", Kind::Text),
    row("product-info", Kind::Text),
    TypeInfo {
        value_syntax: ValueSyntax::Asn,
        ..row("asn", Kind::Asn)
    },
    TypeInfo {
        value_syntax: ValueSyntax::Cve,
        ..row("cve", Kind::Text)
    },
    row("ja4x-hash", Kind::Text),
    row("jarm-fuzzyhash", Kind::Text),
    row("nuclei-name", Kind::Text),
    TypeInfo {
        value_syntax: ValueSyntax::Hex(40),
        ..row("obj-sha1", Kind::Text)
    },
    TypeInfo {
        value_syntax: ValueSyntax::Hex(64),
        ..row("obj-sha256", Kind::Text)
    },
    TypeInfo {
        value_syntax: ValueSyntax::Hex(32),
        ..row("obj-md5", Kind::Text)
    },
    TypeInfo {
        value_syntax: ValueSyntax::Murmur3,
        ..row("obj-murmur3", Kind::Text)
    },
    TypeInfo {
        allows_keyword: false,
        selects: Selects::Every,
        slow: true,
        ..row("search-term", Kind::Text)
    },
];

/// The row the validator and evaluator use for a type that is not in the registry: free text,
/// both operators.
pub static UNKNOWN: TypeInfo = row("", Kind::Text);

/// A context seen in Driftnet's answers: its name, the types whose items carry it, and what it
/// means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ContextInfo {
    /// The context, as written after `;`.
    pub name: &'static str,
    /// The types whose items carry it.
    pub of: &'static [&'static str],
    /// What it means.
    pub about: &'static str,
}

const fn context(
    name: &'static str,
    of: &'static [&'static str],
    about: &'static str,
) -> ContextInfo {
    ContextInfo { name, of, about }
}

/// The contexts seen in Driftnet's answers (beyond the empty context, the scanned address or
/// host itself, and the protocol and header names that `protocol` and `http-header-name` name).
pub static CONTEXTS: &[ContextInfo] = &[
    context("cert-dns-name", &["host"], "a name in a TLS certificate"),
    context(
        "cert-ip-address",
        &["ip"],
        "an address in a TLS certificate",
    ),
    context(
        "dns-ptr",
        &["host"],
        "the reverse DNS (PTR) name of the address",
    ),
    context("dns-ns", &["host"], "a name server of the domain"),
    context(
        "dns-a",
        &["ip"],
        "an address the name resolves to (DNS A record)",
    ),
    context(
        "nmap-app",
        &["product-tag", "product-info"],
        "what nmap's service detection named",
    ),
    context("html", &["title"], "the title of an HTML page"),
    context(
        "cert",
        &["subject", "issuer"],
        "a TLS certificate's subject or issuer",
    ),
    context(
        "favicon",
        &["obj-sha1", "obj-sha256", "obj-md5", "obj-murmur3"],
        "the hash of the site's favicon",
    ),
];

/// The known context with this name (case-sensitive, as contexts are).
pub fn lookup_context(name: &str) -> Option<&'static ContextInfo> {
    CONTEXTS.iter().find(|c| c.name == name)
}

/// The known `protocol` names, as the server spells them (values are case-sensitive).
pub static KNOWN_PROTOCOLS: &[&str] = &[
    "http", "https", "ssh", "ftp", "smtp", "imap", "pop3", "telnet", "rdp", "vnc", "mysql",
    "postgres", "redis", "mongodb", "modbus", "dnp3", "bacnet", "s7", "mqtt", "sip", "rtsp", "smb",
    "ldap", "dns", "snmp", "ntp",
];

/// The registry row of a type, by name (case-insensitive).
pub fn lookup(name: &str) -> Option<&'static TypeInfo> {
    // Names are nearly always written in lowercase: an exact comparison settles most lookups.
    TYPES
        .iter()
        .find(|t| t.name == name)
        .or_else(|| TYPES.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
}

/// The known types within edit distance 2 of `name` (case-insensitive), closest first (ties in
/// registry order), with their distances.
pub fn similar(name: &str) -> Vec<(&'static str, usize)> {
    let lower = name.to_ascii_lowercase();
    let mut close: Vec<(&'static str, usize)> = TYPES
        .iter()
        .map(|t| (t.name, strsim::levenshtein(&lower, t.name)))
        .filter(|&(_, d)| d <= 2)
        .collect();
    close.sort_by_key(|&(_, d)| d);
    close
}

/// The one known type closest to `name` within edit distance 2, when no other is as close.
pub fn closest(name: &str) -> Option<&'static str> {
    match similar(name).as_slice() {
        [(only, _)] => Some(only),
        [(first, d1), (_, d2), ..] if d1 < d2 => Some(first),
        _ => None,
    }
}

/// Parses an IP address or CIDR block: `8.8.8.8`, `10.0.0.0/8`, `2001:db8::/32`. The address
/// follows the standard library's rules (no leading zeros in IPv4 octets); the prefix length is
/// ASCII digits (leading zeros allowed) within the family's range. An address alone is a `/32` or
/// `/128`. Host bits are kept (`10.1.2.3/8` stays as written); the block is the same either way.
///
/// The validator (`invalid-ip`), the evaluator and the `ip` request parameter all use this, so
/// they agree on what an address is.
pub fn parse_ip_or_cidr(s: &str) -> Option<IpNet> {
    let (addr, len) = match s.split_once('/') {
        Some((addr, len)) => (addr, Some(len)),
        None => (s, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let len = match len {
        None => None,
        Some(len) if !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit()) => {
            let digits = len.trim_start_matches('0');
            Some(if digits.is_empty() {
                0
            } else {
                digits.parse::<u8>().ok()?
            })
        }
        Some(_) => return None,
    };
    Some(match (addr, len) {
        (a, None) => IpNet::from(a),
        (IpAddr::V4(a), Some(len)) => IpNet::V4(Ipv4Net::new(a, len).ok()?),
        (IpAddr::V6(a), Some(len)) => IpNet::V6(Ipv6Net::new(a, len).ok()?),
    })
}

/// Parses a MurmurHash3 (favicon) hash: a signed 32-bit integer in decimal (a `-` allowed, no
/// `+`, no spaces).
pub fn parse_murmur3(s: &str) -> Option<i32> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses an autonomous system number: `AS` (in any case) followed by digits, or the digits
/// alone, at most 4294967295.
pub fn parse_asn(s: &str) -> Option<u32> {
    let digits = match s.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("as") => &s[2..],
        _ => s,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether `s` is a CVE identifier: `CVE-` (in any case), a four-digit year, `-`, and four or
/// more digits.
pub fn is_cve(s: &str) -> bool {
    let Some(rest) = s
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("cve-"))
        .map(|_| &s[4..])
    else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    year.len() == 4 && digits(year) && number.len() >= 4 && digits(number)
}

/// Parses a port number: one or more ASCII digits with a value of at most 65535 (leading zeros
/// allowed, no sign, no spaces).
pub fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() {
        return None;
    }
    let mut n: u32 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(b - b'0');
        if n > u32::from(u16::MAX) {
            return None;
        }
    }
    u16::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_lowercase_unique_and_in_the_type_alphabet() {
        for (i, t) in TYPES.iter().enumerate() {
            assert_eq!(t.name, t.name.to_ascii_lowercase());
            assert!(t.name.chars().all(crate::ast::is_type_char), "{}", t.name);
            assert!(
                t.allows_match || t.allows_keyword,
                "{} allows no operator",
                t.name
            );
            assert!(
                TYPES[..i].iter().all(|u| u.name != t.name),
                "{} twice",
                t.name
            );
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup("GEO-Country").map(|t| t.name), Some("geo-country"));
        assert!(lookup("cert-dns-name").is_none());
        assert_eq!(lookup("OBJ-SHA1").map(|t| t.name), Some("obj-sha1"));
    }

    #[test]
    fn similar_finds_typos_closest_first() {
        assert_eq!(similar("tilte"), vec![("title", 2)]);
        assert_eq!(similar("port-tpc").first(), Some(&("port-tcp", 2)));
        assert!(similar("completely-different").is_empty());
        // Closest wins when it is alone at its distance.
        assert_eq!(closest("ur"), Some("url"));
        assert_eq!(closest("port-ucp"), None);
        assert_eq!(closest("Titel"), Some("title"));
        // The names seen in real answers are suggested too.
        assert_eq!(closest("cvee"), Some("cve"));
        assert_eq!(closest("obj-sha"), Some("obj-sha1"));
        assert_eq!(closest("nuclei-nam"), Some("nuclei-name"));
        assert!(similar("obj-md4").iter().any(|&(n, _)| n == "obj-md5"));
    }

    #[test]
    fn the_new_value_syntaxes() {
        assert_eq!(parse_murmur3("-2057558656"), Some(-2057558656));
        assert_eq!(parse_murmur3("2147483647"), Some(i32::MAX));
        for bad in ["2147483648", "+1", "", "-", "1.5", "0x1f"] {
            assert_eq!(parse_murmur3(bad), None, "{bad}");
        }
        assert_eq!(parse_asn("AS15169"), Some(15169));
        assert_eq!(parse_asn("as15169"), Some(15169));
        assert_eq!(parse_asn("15169"), Some(15169));
        // `+` is not a digit, though `u32::from_str` would take it.
        for bad in [
            "AS",
            "ASN15169",
            "AS-1",
            "4294967296",
            "",
            "AS 1",
            "+15169",
            "AS+1",
        ] {
            assert_eq!(parse_asn(bad), None, "{bad}");
        }
        assert!(is_cve("CVE-2021-44228") && is_cve("cve-1999-0001") && is_cve("CVE-2024-1234567"));
        for bad in [
            "CVE-2021-442",
            "CVE-21-44228",
            "CVE2021-44228",
            "CVE-2021-44228x",
            "2021-44228",
        ] {
            assert!(!is_cve(bad), "{bad}");
        }
    }

    #[test]
    fn every_context_names_known_types() {
        for c in CONTEXTS {
            assert!(c.of.iter().all(|t| lookup(t).is_some()), "{}", c.name);
            assert_eq!(lookup_context(c.name), Some(c));
        }
    }

    #[test]
    fn ports_parse_digits_only() {
        assert_eq!(parse_port("443"), Some(443));
        assert_eq!(parse_port("0443"), Some(443));
        assert_eq!(parse_port("0000000000000000443"), Some(443));
        assert_eq!(parse_port("0"), Some(0));
        assert_eq!(parse_port("65535"), Some(65535));
        assert_eq!(parse_port("65536"), None);
        assert_eq!(parse_port("99999999999999999999"), None);
        assert_eq!(parse_port("+443"), None);
        assert_eq!(parse_port("-1"), None);
        assert_eq!(parse_port(" 443"), None);
        assert_eq!(parse_port("44 3"), None);
        assert_eq!(parse_port(""), None);
        assert_eq!(parse_port("٤٤٣"), None);
    }

    #[test]
    fn blocks_parse_with_std_rules() {
        let b = |s: &str| parse_ip_or_cidr(s).map(|n| n.trunc().to_string());
        assert_eq!(b("8.8.8.8").as_deref(), Some("8.8.8.8/32"));
        assert_eq!(b("10.1.2.3/8").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(b("10.0.0.0/008").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(b("2001:db8::1/32").as_deref(), Some("2001:db8::/32"));
        assert_eq!(b("::1").as_deref(), Some("::1/128"));
        assert_eq!(b("0.0.0.0/0").as_deref(), Some("0.0.0.0/0"));
        assert_eq!(b("10.0.0.0/0000000008").as_deref(), Some("10.0.0.0/8"));
        for bad in [
            "",
            "banana",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "010.0.0.1",
            "10.0.0",
            "10.0.0.0/8/8",
            " 10.0.0.1",
            "10.0.0.0/256",
        ] {
            assert_eq!(b(bad), None, "{bad:?}");
        }
    }
}
