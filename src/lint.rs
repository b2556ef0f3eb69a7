//! The validator's lints as data: one row each, with its code, severity, what it fires on and
//! what its fix does. The validator reports findings by [`Lint`]; the README's table and the
//! tests are checked against [`Lint::ALL`], so a new lint is one row here (and its check in the
//! validator).

use crate::diagnostic::Severity;

macro_rules! lints {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $severity:ident, $fires:literal, $fix:expr;)*) => {
        /// A lint of the validator. [`Lint::code`] is its stable code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Lint {
            $($(#[$doc])* $name,)*
        }

        impl Lint {
            /// Every lint, in the order of the README's table.
            pub const ALL: &'static [Lint] = &[$(Lint::$name,)*];

            /// The stable kebab-case code, e.g. `keyword-only-type`.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Lint::$name => $code,)*
                }
            }

            /// How serious a finding of this lint is.
            pub const fn severity(self) -> Severity {
                match self {
                    $(Lint::$name => Severity::$severity,)*
                }
            }

            /// When it fires, in a few words.
            pub const fn fires_when(self) -> &'static str {
                match self {
                    $(Lint::$name => $fires,)*
                }
            }

            /// What its machine-applicable fix does, when it has one.
            pub const fn fix(self) -> Option<&'static str> {
                match self {
                    $(Lint::$name => $fix,)*
                }
            }
        }
    };
}

lints! {
    /// A keyword-only type (`geo-country`, `protocol`, `http-header-name`) used with `:`.
    KeywordOnlyType = "keyword-only-type", Error,
        "`geo-country`, `protocol` or `http-header-name` with `:`", Some("`=`");
    /// `ip` used with `=`.
    IpNeedsMatch = "ip-needs-match", Error, "`ip` with `=`", Some("`:`");
    /// An `ip` value that is not an address or CIDR block, or has a `*` prefix.
    InvalidIp = "invalid-ip", Error,
        "an `ip` value that is not an address or CIDR block, or has `*`", None;
    /// A port value that is not an integer 0–65535, or has a `*` prefix.
    InvalidPort = "invalid-port", Error,
        "a port that is not an integer 0–65535, or has `*`", None;
    /// A `geo-country` value that is not two ASCII letters.
    InvalidCountry = "invalid-country", Error,
        "a `geo-country` value that is not two letters", None;
    /// A `geo-country` value of two letters, not in capitals.
    CountryCase = "country-case", Warning, "a lowercase country code", Some("uppercase");
    /// An empty value.
    EmptyValue = "empty-value", Error, "`title:\"\"`", None;
    /// A context restriction with `:` on a type other than `ip` and `host`.
    ContextNeedsKeyword = "context-needs-keyword", Warning,
        "a context with `:` on a type other than `ip`/`host`", Some("`=`");
    /// A `protocol` value that differs only in case from a known protocol name.
    CaseSensitiveValue = "case-sensitive-value", Warning,
        "`protocol=MODBUS` (names are case-sensitive)", Some("`modbus`");
    /// A type the registry does not know.
    UnknownType = "unknown-type", Warning,
        "a type not in the registry, with did-you-mean", Some("the closest type");
    /// `search-term`, which searches every type.
    SlowSearchTerm = "slow-search-term", Warning,
        "`search-term` (searches every type)", None;
    /// A `host` value with a scheme or a path.
    HostWithScheme = "host-with-scheme", Warning, "`host:https://...` or a path", Some("`url`");
    /// `not not x`.
    DoubleNegation = "double-negation", Warning, "`not not x`", Some("drop both");
    /// A hash value of the wrong shape (`obj-sha1` 40 hex digits, `obj-sha256` 64, `obj-md5`
    /// 32, `obj-murmur3` a signed 32-bit integer).
    InvalidHash = "invalid-hash", Error,
        "an `obj-sha1`/`obj-sha256`/`obj-md5` value that is not 40/64/32 hex digits, or an `obj-murmur3` that is not a signed 32-bit integer", None;
    /// A `cve` value that is not `CVE-YYYY-NNNN`.
    InvalidCve = "invalid-cve", Error, "a `cve` value that is not `CVE-YYYY-NNNN` (4 or more digits at the end)", None;
    /// An `asn` value that is not `AS` and digits, or digits.
    InvalidAsn = "invalid-asn", Error, "an `asn` value that is not `AS15169` or `15169`, or has `*`", None;
}

impl Lint {
    /// The lint with this code.
    pub fn from_code(code: &str) -> Option<Lint> {
        Lint::ALL.iter().copied().find(|l| l.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_round_trip() {
        for (i, l) in Lint::ALL.iter().enumerate() {
            let code = l.code();
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{code}"
            );
            assert_eq!(Lint::from_code(code), Some(*l));
            assert!(Lint::ALL[..i].iter().all(|m| m.code() != code), "{code}");
        }
        assert_eq!(Lint::from_code("syntax"), None);
    }
}
