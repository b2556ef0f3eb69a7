//! The evaluator, rule by rule (LANGUAGE.md §5 and the decisions in `driftql::eval`): each rule
//! with a report that matches and one that does not.

use driftql::ScanItem;
use driftql::eval::{MatchOptions, Matcher};
use driftql::{Expr, Item, Op, Report, Term};

fn report(items: &[(&str, &str, &str)]) -> Report {
    Report {
        date: "2024-01-01".into(),
        id: "r".into(),
        items: items
            .iter()
            .map(|&(ty, ctx, value)| Item::new(ty, ctx, value))
            .collect(),
    }
}

fn matches_with(query: &str, options: MatchOptions, items: &[(&str, &str, &str)]) -> bool {
    let q = driftql::parse(query).unwrap_or_else(|e| panic!("{query:?}: {e}"));
    let via_matcher = q.matcher(&options).matches(&report(items));
    assert_eq!(via_matcher, q.matches(&report(items), &options));
    via_matcher
}

fn matches(query: &str, items: &[(&str, &str, &str)]) -> bool {
    matches_with(query, MatchOptions::default(), items)
}

/// Asserts that `query` matches a report of each item in `yes` and none in `no` (one item each).
#[track_caller]
fn check_with(
    query: &str,
    options: MatchOptions,
    yes: &[(&str, &str, &str)],
    no: &[(&str, &str, &str)],
) {
    assert!(
        !yes.is_empty() && !no.is_empty(),
        "every rule needs both kinds of report"
    );
    for item in yes {
        assert!(
            matches_with(query, options, &[*item]),
            "{query} should match {item:?}"
        );
    }
    for item in no {
        assert!(
            !matches_with(query, options, &[*item]),
            "{query} should not match {item:?}"
        );
    }
}

#[track_caller]
fn check(query: &str, yes: &[(&str, &str, &str)], no: &[(&str, &str, &str)]) {
    check_with(query, MatchOptions::default(), yes, no);
}

fn slop(n: u32) -> MatchOptions {
    MatchOptions::default().with_slop(n)
}

fn host_in_url() -> MatchOptions {
    MatchOptions::default().with_host_in_url(true)
}

// --- Boolean structure -----------------------------------------------------------------------

#[test]
fn a_term_holds_when_any_item_satisfies_it() {
    assert!(matches(
        "port-tcp:443",
        &[("port-tcp", "", "80"), ("port-tcp", "", "443")]
    ));
    assert!(!matches(
        "port-tcp:443",
        &[("port-tcp", "", "80"), ("port-tcp", "", "8443")]
    ));
    assert!(!matches("port-tcp:443", &[]));
}

#[test]
fn each_term_may_be_satisfied_by_a_different_item() {
    let items = [("title", "", "foo"), ("title", "", "bar")];
    assert!(matches("title:foo and title:bar", &items));
    assert!(!matches("title:\"foo bar\"", &items));
    assert!(!matches("title:foo and title:baz", &items));
}

#[test]
fn not_holds_when_no_item_satisfies_the_term() {
    assert!(matches("not port-tcp:22", &[("port-tcp", "", "80")]));
    assert!(matches("not port-tcp:22", &[]));
    assert!(!matches(
        "not port-tcp:22",
        &[("port-tcp", "", "80"), ("port-tcp", "", "22")]
    ));
    assert!(matches("not not port-tcp:22", &[("port-tcp", "", "22")]));
    assert!(!matches("not not port-tcp:22", &[("port-tcp", "", "80")]));
}

#[test]
fn and_or_and_precedence() {
    let q = "product-tag:dahua and (geo-country=RU or geo-country=IR)";
    assert!(matches(
        q,
        &[("product-tag", "", "dahua"), ("geo-country", "", "IR")]
    ));
    assert!(!matches(
        q,
        &[("product-tag", "", "dahua"), ("geo-country", "", "GB")]
    ));
    assert!(!matches(
        q,
        &[("product-tag", "", "hikvision"), ("geo-country", "", "RU")]
    ));
    // `and` binds tighter than `or`.
    let q = "product-tag:dahua and geo-country=RU or geo-country=IR";
    assert!(matches(q, &[("geo-country", "", "IR")]));
    assert!(!matches(q, &[("geo-country", "", "RU")]));
    // Juxtaposed `not` means `and not`.
    let q = r#"entity:"Tencent Cloud Computing" not port-tcp:22 and not port-tcp:2222"#;
    let tencent = ("entity", "", "Tencent Cloud Computing (Beijing) Co., Ltd");
    assert!(matches(q, &[tencent, ("port-tcp", "", "80")]));
    assert!(!matches(q, &[tencent, ("port-tcp", "", "2222")]));
}

// --- Selection -------------------------------------------------------------------------------

#[test]
fn item_types_compare_case_insensitively() {
    check(
        "title:foo",
        &[
            ("title", "", "foo"),
            ("TITLE", "", "foo"),
            ("Title", "x", "foo"),
        ],
        &[("titles", "", "foo"), ("entity", "", "foo")],
    );
    check(
        "TITLE:foo",
        &[("title", "", "foo")],
        &[("subject", "", "foo")],
    );
}

#[test]
fn an_absent_context_means_any_context() {
    check(
        "host:example.com",
        &[
            ("host", "", "example.com"),
            ("host", "cert-dns-name", "example.com"),
        ],
        &[("host", "", "example.org")],
    );
}

#[test]
fn an_empty_context_means_exactly_the_empty_context() {
    check(
        "host;=example.com",
        &[("host", "", "example.com")],
        &[
            ("host", "cert-dns-name", "example.com"),
            ("host", " ", "example.com"),
        ],
    );
    check(
        "ip;:8.8.8.8",
        &[("ip", "", "8.8.8.8")],
        &[("ip", "cert-ip", "8.8.8.8")],
    );
}

#[test]
fn a_named_context_must_equal_exactly_and_case_sensitively() {
    check(
        "host;cert-dns-name=example.com",
        &[("host", "cert-dns-name", "example.com")],
        &[
            ("host", "", "example.com"),
            ("host", "Cert-DNS-Name", "example.com"),
            ("host", "cert-dns-name-2", "example.com"),
        ],
    );
    check(
        r#"http-header;"Content-Type":json"#,
        &[("http-header", "Content-Type", "application/json")],
        &[("http-header", "content-type", "application/json")],
    );
}

#[test]
fn metadata_items_are_matched_like_any_other() {
    let mut r = report(&[("ip", "", "8.8.8.8")]);
    r.items[0].is_metadata = true;
    let q = driftql::parse("ip:8.8.8.8").unwrap();
    assert!(q.matches(&r, &MatchOptions::default()));
    assert!(
        !driftql::parse("ip:8.8.4.4")
            .unwrap()
            .matches(&r, &MatchOptions::default())
    );
}

// --- Pseudo-types ----------------------------------------------------------------------------

#[test]
fn protocol_selects_server_banners_by_context() {
    check(
        "protocol=http",
        &[
            ("server-banner", "http", "nginx"),
            ("SERVER-BANNER", "http", ""),
        ],
        &[
            ("server-banner", "https", "nginx"),
            ("server-banner", "", "http"),
            ("http-header", "http", "x"),
            // An item whose own type is `protocol` is not what the pseudo-type looks at.
            ("protocol", "", "http"),
        ],
    );
}

#[test]
fn protocol_is_case_sensitive() {
    check(
        "protocol=http",
        &[("server-banner", "http", "x")],
        &[("server-banner", "HTTP", "x")],
    );
    check(
        "protocol=HTTP",
        &[("server-banner", "HTTP", "x")],
        &[("server-banner", "http", "x")],
    );
}

#[test]
fn protocol_prefix_is_a_case_sensitive_context_prefix() {
    check(
        "protocol=ht*",
        &[
            ("server-banner", "http", "x"),
            ("server-banner", "https", "x"),
        ],
        &[
            ("server-banner", "ssh", "x"),
            ("server-banner", "HTTP", "x"),
        ],
    );
}

#[test]
fn protocol_with_match_operator_is_keyword_equality() {
    check(
        "protocol:http",
        &[("server-banner", "http", "x")],
        &[
            ("server-banner", "http2", "x"),
            ("server-banner", "HTTP", "x"),
        ],
    );
}

#[test]
fn a_context_restriction_on_a_pseudo_type_applies_to_the_same_item() {
    check(
        "protocol;http=http",
        &[("server-banner", "http", "x")],
        &[("server-banner", "ssh", "x")],
    );
    // `ssh` and `http` cannot both be the context of one item.
    for ctx in ["ssh", "http"] {
        assert!(!matches(
            "protocol;ssh=http",
            &[("server-banner", ctx, "x")]
        ));
    }
}

#[test]
fn http_header_name_selects_http_headers_by_context() {
    check(
        "http-header-name=Server",
        &[("http-header", "Server", "nginx")],
        &[
            ("http-header", "server", "nginx"),
            ("http-header", "X-Server", "nginx"),
            ("server-banner", "Server", "nginx"),
            ("http-header-name", "", "Server"),
        ],
    );
    check(
        "http-header-name=X-*",
        &[("http-header", "X-Powered-By", "php")],
        &[("http-header", "x-powered-by", "php")],
    );
}

#[test]
fn url_with_a_host_and_no_words_matches_by_host_only() {
    // `_` is a host label, and no word: only the host part of the rule can hold.
    check(
        "url:_",
        &[("url", "", "https://_/x"), ("url", "", "https://x._/")],
        &[("url", "", "https://example.com/_")],
    );
    // With words, a URL holding neither the host nor the words does not match.
    check(
        "url:login",
        &[("url", "", "https://a.example/login")],
        &[
            ("url", "", "https://a.example/logout"),
            ("url", "", "https://login2.example/"),
        ],
    );
}

#[test]
fn a_phrase_longer_than_the_stack_buffer_matches_too() {
    // More words than the matcher keeps on the stack (16): the same search, on the heap.
    let words: Vec<String> = (0..20).map(|n| format!("w{n}")).collect();
    let phrase = words.join(" ");
    let query = format!("title:\"{phrase}\"");
    let mut gap = words.clone();
    gap.insert(10, "extra".into());
    check(
        &query,
        &[("title", "", &format!("say {phrase} now"))],
        &[("title", "", &gap.join(" "))],
    );
    check_with(
        &query,
        MatchOptions::default().with_slop(1),
        &[("title", "", &gap.join(" "))],
        &[("title", "", &words[1..].join(" "))],
    );
}

#[test]
fn host_in_url_reads_only_url_items_as_urls() {
    // A host item is compared as a host even when `host` terms also look into URLs: its text
    // is not taken apart as a URL would be (no port or user is cut off).
    check_with(
        "host:example.com",
        MatchOptions::default().with_host_in_url(true),
        &[
            ("host", "", "www.example.com"),
            ("url", "", "https://user@example.com:8443/x"),
        ],
        &[
            ("host", "", "example.com:443"),
            ("host", "", "user@example.com"),
        ],
    );
}

// --- search-term -----------------------------------------------------------------------------

#[test]
fn search_term_matches_items_of_every_type() {
    check(
        "search-term:cherrypy",
        &[
            ("server-banner", "http", "CherryPy/18.1"),
            ("title", "", "Powered by cherrypy"),
            ("my-own-type", "x", "cherrypy"),
        ],
        &[("title", "", "cherry py"), ("title", "cherrypy", "nothing")],
    );
}

#[test]
fn search_term_with_context_and_keyword() {
    check(
        "search-term;Server:nginx",
        &[("http-header", "Server", "nginx/1.2")],
        &[("title", "", "nginx")],
    );
    check(
        "search-term=nginx",
        &[("title", "", "NGINX")],
        &[("http-header", "Server", "nginx/1.2")],
    );
}

// --- Text match ------------------------------------------------------------------------------

#[test]
fn text_words_match_case_insensitively_at_word_boundaries() {
    check(
        "title:foo",
        &[
            ("title", "", "Foo"),
            ("title", "", "the FOO page"),
            ("title", "", "x-foo_bar"),
        ],
        &[
            ("title", "", "food"),
            ("title", "", "buffoon"),
            ("title", "", ""),
        ],
    );
}

#[test]
fn text_splits_on_every_non_alphanumeric_character() {
    // `_` is not alphanumeric, so `foo_bar` is two words.
    check(
        "title:bar",
        &[
            ("title", "", "foo_bar"),
            ("title", "", "foo.bar"),
            ("title", "", "foo\u{a0}bar"),
        ],
        &[("title", "", "foobar")],
    );
    // Both sides are split the same way.
    check(
        "title:foo-bar",
        &[("title", "", "Foo Bar"), ("title", "", "foo/bar")],
        &[("title", "", "foobar")],
    );
}

#[test]
fn text_words_must_be_in_order_and_consecutive() {
    check(
        r#"title:"foo bar""#,
        &[("title", "", "a foo bar b"), ("title", "", "FOO-BAR")],
        &[
            ("title", "", "bar foo"),
            ("title", "", "foo x bar"),
            ("title", "", "foo"),
        ],
    );
}

#[test]
fn text_is_unicode_aware() {
    check(
        "title:münchen",
        &[("title", "", "Stadt MÜNCHEN"), ("title", "", "münchen")],
        &[("title", "", "munchen")],
    );
    check(
        "title:東京",
        &[("title", "", "ようこそ 東京"), ("title", "", "(東京)")],
        &[("title", "", "京都")],
    );
    check(
        "title:οδος",
        &[("title", "", "ΟΔΟΣ"), ("title", "", "οδος")],
        &[("title", "", "οδοι")],
    );
}

#[test]
fn slop_allows_extra_words_in_total() {
    let q = r#"entity:"university london""#;
    let yes = [("entity", "", "University of London")];
    let no = [("entity", "", "University of the City of London")];
    check_with(q, slop(1), &yes, &no);
    assert!(!matches(q, &yes));
    check_with(q, slop(4), &no, &[("entity", "", "London University")]);
    // The extra words are counted over the whole phrase, not per gap.
    let q = r#"title:"a b c""#;
    check_with(
        q,
        slop(2),
        &[("title", "", "a x b y c"), ("title", "", "a b x y c")],
        &[("title", "", "a x y b z c")],
    );
}

#[test]
fn prefix_applies_to_the_last_word_only() {
    check(
        "product-tag:hikvision*",
        &[
            ("product-tag", "", "hikvision-ds"),
            ("product-tag", "", "HikVisionX"),
        ],
        &[
            ("product-tag", "", "hik"),
            ("product-tag", "", "xhikvision"),
        ],
    );
    check(
        r#"title:"foo ba"*"#,
        &[("title", "", "foo bar"), ("title", "", "foo ba")],
        &[("title", "", "fooo bar"), ("title", "", "foo x bar")],
    );
}

#[test]
fn slop_and_prefix_together() {
    check_with(
        r#"title:"foo ba"*"#,
        slop(1),
        &[("title", "", "foo x bar")],
        &[("title", "", "foo x y bar")],
    );
}

// --- Keyword match ---------------------------------------------------------------------------

#[test]
fn keyword_compares_the_whole_value_case_insensitively() {
    check(
        r#"product-info="Foo Bar""#,
        &[
            ("product-info", "", "foo bar"),
            ("product-info", "", "FOO BAR"),
        ],
        &[
            ("product-info", "", "foo bar baz"),
            ("product-info", "", "foo  bar"),
            ("product-info", "", "foo-bar"),
        ],
    );
    check(
        "product-info=\\(Fedora\\)",
        &[("product-info", "", "(fedora)")],
        &[("product-info", "", "Fedora")],
    );
}

#[test]
fn keyword_prefix_is_starts_with() {
    check(
        "server-banner=SSH-2.0-Open*",
        &[("server-banner", "ssh", "ssh-2.0-OpenSSH_8.9")],
        &[("server-banner", "ssh", "xSSH-2.0-OpenSSH")],
    );
}

#[test]
fn keyword_is_unicode_case_insensitive() {
    check(
        "title=ΟΔΟΣ",
        &[("title", "", "οδος"), ("title", "", "Οδος")],
        &[("title", "", "οδοςx")],
    );
    check(
        "title=stra*",
        &[("title", "", "STRAẞE")],
        &[("title", "", "str")],
    );
}

#[test]
fn geo_country_is_a_case_insensitive_keyword() {
    check(
        "geo-country=GB",
        &[("geo-country", "", "GB"), ("geo-country", "", "gb")],
        &[("geo-country", "", "GBR"), ("geo-country", "", "G B")],
    );
    // `:` on a keyword-only type is keyword equality, not a word match.
    check(
        "geo-country:GB",
        &[("geo-country", "", "GB")],
        &[("geo-country", "", "GB US")],
    );
}

// --- ip --------------------------------------------------------------------------------------

#[test]
fn ip_matches_an_address() {
    check(
        "ip:8.8.8.8",
        &[("ip", "", "8.8.8.8")],
        &[("ip", "", "8.8.4.4"), ("ip", "", "8.8.8.80")],
    );
}

#[test]
fn ip_matches_inside_an_ipv4_block() {
    check(
        "ip:10.0.0.0/8",
        &[("ip", "", "10.0.0.0"), ("ip", "", "10.255.255.255")],
        &[("ip", "", "11.0.0.0"), ("ip", "", "9.255.255.255")],
    );
    // Host bits in the block are ignored.
    check(
        "ip:10.1.2.3/8",
        &[("ip", "", "10.200.0.1")],
        &[("ip", "", "11.1.2.3")],
    );
    check(
        "ip:0.0.0.0/0",
        &[("ip", "", "1.2.3.4")],
        &[("ip", "", "::1")],
    );
}

#[test]
fn ip_matches_inside_an_ipv6_block() {
    check(
        "ip:2001:db8::/32",
        &[("ip", "", "2001:db8::1"), ("ip", "", "2001:DB8:ffff::")],
        &[("ip", "", "2001:db9::1"), ("ip", "", "10.0.0.1")],
    );
    check(
        "ip:2001:db8::1",
        &[("ip", "", "2001:0db8:0:0:0:0:0:1")],
        &[("ip", "", "2001:db8::2")],
    );
}

#[test]
fn ipv4_mapped_ipv6_is_the_same_address() {
    check(
        "ip:1.2.3.0/24",
        &[("ip", "", "::ffff:1.2.3.4")],
        &[("ip", "", "::ffff:1.2.4.4"), ("ip", "", "::1.2.3.4")],
    );
    check(
        "ip:::ffff:1.2.3.4",
        &[("ip", "", "1.2.3.4")],
        &[("ip", "", "1.2.3.5")],
    );
    check(
        "ip:::ffff:0:0/96",
        &[("ip", "", "1.2.3.4")],
        &[("ip", "", "2001:db8::1")],
    );
}

#[test]
fn ip_items_must_be_single_addresses() {
    check(
        "ip:10.0.0.0/8",
        &[("ip", "", "10.0.0.1")],
        &[
            ("ip", "", "10.0.0.0/8"),
            ("ip", "", " 10.0.0.1"),
            ("ip", "", "010.0.0.1"),
            ("ip", "", "ten"),
            ("ip", "", ""),
        ],
    );
}

#[test]
fn invalid_ip_values_match_nothing() {
    let all = [
        ("ip", "", "10.0.0.1"),
        ("ip", "", "0.0.0.0"),
        ("ip", "", "banana"),
    ];
    for q in [
        "ip:banana",
        "ip:10.0.0.0/33",
        "ip:010.0.0.1",
        "ip:10.*",
        "ip:10.0.0.1*",
        "ip:\"\"",
        "ip:10.0.0",
    ] {
        for item in all {
            assert!(!matches(q, &[item]), "{q} matched {item:?}");
        }
    }
    // ... and so `not` of them matches everything.
    assert!(matches("not ip:banana", &all));
}

#[test]
fn ip_with_keyword_operator_is_containment_too() {
    check(
        "ip=10.0.0.0/8",
        &[("ip", "", "10.1.1.1")],
        &[("ip", "", "11.1.1.1")],
    );
}

// --- host ------------------------------------------------------------------------------------

#[test]
fn host_match_is_right_anchored_on_labels() {
    check(
        "host:example.com",
        &[
            ("host", "", "example.com"),
            ("host", "", "foo.bar.example.com"),
            ("host", "", "WWW.Example.COM"),
        ],
        &[
            ("host", "", "badexample.com"),
            ("host", "", "example.com.evil.org"),
            ("host", "", "example.co"),
            ("host", "", "xample.com"),
            ("url", "", "https://example.com/"),
        ],
    );
}

#[test]
fn host_keyword_is_exact() {
    check(
        "host=example.com",
        &[("host", "", "example.com"), ("host", "", "EXAMPLE.com")],
        &[
            ("host", "", "www.example.com"),
            ("host", "", "example.com.au"),
        ],
    );
}

#[test]
fn host_ignores_one_trailing_dot() {
    check(
        "host:example.com.",
        &[
            ("host", "", "www.example.com"),
            ("host", "", "example.com."),
        ],
        &[("host", "", "example.org.")],
    );
    check(
        "host=example.com",
        &[("host", "", "example.com.")],
        &[("host", "", "example.com..")],
    );
}

#[test]
fn host_with_leading_dot_matches_strict_subdomains() {
    check(
        "host:.example.com",
        &[("host", "", "www.example.com")],
        &[("host", "", "example.com"), ("host", "", "badexample.com")],
    );
}

#[test]
fn host_prefix() {
    check(
        "host:google*",
        &[
            ("host", "", "google.com"),
            ("host", "", "mail.google.co.uk"),
            ("host", "", "googleusercontent.com"),
        ],
        &[("host", "", "notgoogle.com"), ("host", "", "goog.le")],
    );
    check(
        "host=mail.*",
        &[("host", "", "mail.example.com")],
        &[("host", "", "x.mail.example.com")],
    );
}

#[test]
fn host_non_ascii_is_case_insensitive() {
    check(
        "host:bücher.de",
        &[("host", "", "www.BÜCHER.de")],
        &[("host", "", "xbücher.de")],
    );
}

#[test]
fn empty_host_matches_nothing() {
    check(
        "host:example.com",
        &[("host", "", "example.com")],
        &[("host", "", ""), ("host", "", ".")],
    );
    for q in [r#"host:"""#, "host:.", r#"host="""#] {
        assert!(
            !matches(q, &[("host", "", ""), ("host", "", "example.com")]),
            "{q}"
        );
    }
}

#[test]
fn host_in_url_also_matches_url_hosts() {
    let yes = [
        ("url", "", "https://www.example.com/path"),
        ("url", "", "http://user@EXAMPLE.com:8080"),
        ("host", "", "example.com"),
    ];
    let no = [
        ("url", "", "https://badexample.com/example.com"),
        ("url", "", "not a url"),
    ];
    check_with("host:example.com", host_in_url(), &yes, &no);
    assert!(!matches("host:example.com", &[yes[0]]));
    check_with(
        "host=www.example.com",
        host_in_url(),
        &[yes[0]],
        &[("url", "", "https://a.www.example.com/")],
    );
    // The context restriction applies to the url items too.
    check_with(
        "host;=example.com",
        host_in_url(),
        &[("url", "", "https://example.com/")],
        &[("url", "link", "https://example.com/")],
    );
}

// --- url -------------------------------------------------------------------------------------

#[test]
fn url_matches_by_host() {
    check(
        "url:example.com",
        &[
            ("url", "", "https://example.com/"),
            ("url", "", "http://a.b.Example.com:81/x?y"),
            ("url", "", "//example.com"),
        ],
        &[
            ("url", "", "https://badexample.com/"),
            ("url", "", "https://example.org/"),
        ],
    );
}

#[test]
fn url_matches_by_words() {
    check(
        r#"url:"/admin/login""#,
        &[("url", "", "https://x.org/Admin/Login.php")],
        &[("url", "", "https://x.org/login/admin")],
    );
    check(
        "url:https://example.com/a?b=c",
        &[("url", "", "https://example.com/a?b=c&d=e")],
        &[("url", "", "https://example.com/a?b=d")],
    );
    // The rule's own consequence: the words of a host occur in a longer host too.
    check(
        "url:example.com",
        &[("url", "", "https://example.com.evil.org/")],
        &[("url", "", "https://examples.com/")],
    );
}

#[test]
fn url_match_with_slop_and_prefix() {
    check_with(
        r#"url:"admin php""#,
        slop(1),
        &[("url", "", "https://x.org/admin/index.php")],
        &[("url", "", "https://x.org/admin/a/b.php")],
    );
    check(
        "url:https://exam*",
        &[("url", "", "https://examples.org/")],
        &[("url", "", "http://examples.org/")],
    );
}

#[test]
fn url_keyword_is_whole_value_case_insensitive() {
    check(
        "url=https://example.com/",
        &[("url", "", "HTTPS://EXAMPLE.COM/")],
        &[
            ("url", "", "https://example.com"),
            ("url", "", "https://example.com:443/"),
            ("url", "", "https://www.example.com/"),
        ],
    );
    check(
        "url=https://example.com/a*",
        &[("url", "", "https://example.com/abc")],
        &[("url", "", "https://example.com/")],
    );
}

// --- ports -----------------------------------------------------------------------------------

#[test]
fn ports_compare_numerically() {
    check(
        "port-tcp:443",
        &[("port-tcp", "", "443"), ("port-tcp", "", "0443")],
        &[
            ("port-tcp", "", "4430"),
            ("port-tcp", "", "44"),
            ("port-udp", "", "443"),
            ("port-tcp", "", " 443"),
            ("port-tcp", "", "+443"),
            ("port-tcp", "", "443.0"),
        ],
    );
    check(
        "port-udp=053",
        &[("port-udp", "", "53")],
        &[("port-udp", "", "530")],
    );
    check(
        "port-tcp:0",
        &[("port-tcp", "", "0")],
        &[("port-tcp", "", "")],
    );
}

#[test]
fn invalid_ports_match_nothing() {
    let items = [
        ("port-tcp", "", "443"),
        ("port-tcp", "", "65536"),
        ("port-tcp", "", "44"),
    ];
    for q in [
        "port-tcp:65536",
        "port-tcp:https",
        "port-tcp:44*",
        "port-tcp:-1",
        "port-tcp:\"\"",
        "port-tcp:\" 443\"",
    ] {
        assert!(!matches(q, &items), "{q}");
    }
}

// --- Decisions -------------------------------------------------------------------------------

#[test]
fn unknown_types_use_the_text_rules() {
    check(
        "my-type:foo",
        &[("my-type", "", "a foo b"), ("MY-TYPE", "", "Foo")],
        &[("my-type", "", "food"), ("other", "", "foo")],
    );
    check(
        "my-type=foo",
        &[("my-type", "", "FOO")],
        &[("my-type", "", "a foo b")],
    );
}

#[test]
fn empty_values_in_keyword_comparisons_are_literal() {
    check(r#"title="""#, &[("title", "", "")], &[("title", "", "x")]);
    check(
        r#"title=""*"#,
        &[("title", "", ""), ("title", "", "x")],
        &[("entity", "", "x")],
    );
    check(
        r#"protocol="""#,
        &[("server-banner", "", "x")],
        &[("server-banner", "http", "x")],
    );
}

#[test]
fn text_match_with_no_words_matches_nothing() {
    for q in [
        r#"title:"--""#,
        r#"title:"""#,
        r#"title:"-"*"#,
        r#"search-term:" ""#,
        r#"url:"://""#,
    ] {
        for item in [
            ("title", "", "--"),
            ("title", "", ""),
            ("title", "", "a"),
            ("url", "", "://"),
        ] {
            assert!(!matches(q, &[item]), "{q} matched {item:?}");
        }
    }
    // A trailing separator does not stop the prefix from applying to the last word.
    check(
        r#"title:"foo-"*"#,
        &[("title", "", "food")],
        &[("title", "", "bar")],
    );
}

// --- The API ---------------------------------------------------------------------------------

#[test]
fn matchers_are_built_from_expressions_and_options() {
    let expr = Term::new("title", Op::Match, "university london").and(!Term::new(
        "port-tcp",
        Op::Match,
        "22",
    ));
    let r = report(&[
        ("title", "", "University of London"),
        ("port-tcp", "", "80"),
    ]);
    assert!(!Matcher::new(&expr, &MatchOptions::default()).matches(&r));
    let m = Matcher::new(
        &expr,
        &MatchOptions::default().with_slop(1).with_host_in_url(false),
    );
    assert!(m.matches(&r));
    assert_eq!(m.options().slop, 1);
}

#[test]
fn matchers_accept_any_item_shape() {
    struct Borrowed<'a>(&'a str, &'a str, &'a str);
    impl ScanItem for Borrowed<'_> {
        fn item_type(&self) -> &str {
            self.0
        }
        fn item_context(&self) -> &str {
            self.1
        }
        fn item_value(&self) -> &str {
            self.2
        }
    }
    let m = driftql::parse("port-tcp:443 and title:admin")
        .unwrap()
        .matcher(&MatchOptions::default());
    assert!(m.matches_items(&[
        Borrowed("port-tcp", "", "443"),
        Borrowed("title", "", "Admin panel")
    ]));
    assert!(!m.matches_items(&[Borrowed("port-tcp", "", "443")]));
    let owned = [
        Item::new("port-tcp", "", "443"),
        Item::new("title", "", "admin"),
    ];
    let refs: Vec<&Item> = owned.iter().collect();
    assert!(m.matches_items(&refs));
}

#[test]
fn deep_trees_neither_overflow_nor_misevaluate() {
    let t = || Term::new("title", Op::Match, "a");
    // 200,000 nested `not`s: an even number, so it means `title:a`.
    let mut e: Expr = t().into();
    for _ in 0..200_000 {
        e = !e;
    }
    let m = Matcher::new(&e, &MatchOptions::default());
    assert!(m.matches(&report(&[("title", "", "a")])));
    assert!(!m.matches(&report(&[("title", "", "b")])));
    drop(m);
    // Dropping the tree itself recurses; that is not the evaluator's to test.
    std::mem::forget(e);

    // Alternating `and`/`or` groups 100,000 deep: (a or (b and (a or (b and ...)))).
    let b = || Term::new("title", Op::Match, "b");
    let mut e: Expr = b().into();
    for i in 0..=100_000 {
        e = if i % 2 == 0 { t().or(e) } else { b().and(e) };
    }
    let m = Matcher::new(&e, &MatchOptions::default());
    assert!(m.matches(&report(&[("title", "", "a")])));
    assert!(!m.matches(&report(&[("title", "", "c")])));
    std::mem::forget(e);
}

#[test]
fn matchers_are_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_traits::<Matcher>();
}
