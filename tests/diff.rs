//! `driftql diff OLD NEW` on crafted pairs of exports, as a user runs it: each kind of change, a
//! service on one side only, a service scanned twice on one side, identical files; the NDJSON
//! events are snapshotted, the table and the exit statuses checked.

#![cfg(feature = "cli")]

mod common;

use std::path::PathBuf;

use common::{assert_status, driftql, stderr, stdout};
use serde_json::{Value, json};

/// An item: type, context, value.
type It = (String, String, String);

fn it(ty: &str, ctx: &str, v: &str) -> It {
    (ty.to_owned(), ctx.to_owned(), v.to_owned())
}

/// A report of `ip:port` (or of a host, when `ip` is empty) with `items` besides.
fn report(date: &str, id: &str, ip: &str, port: u16, items: &[It]) -> Value {
    let mut all = Vec::new();
    if !ip.is_empty() {
        all.push(json!({"type": "ip", "context": "", "value": ip, "is_metadata": true}));
        all.push(json!({"type": "port-tcp", "context": "", "value": port.to_string(), "is_metadata": true}));
    }
    for (ty, ctx, v) in items {
        all.push(json!({"type": ty, "context": ctx, "value": v, "is_metadata": false}));
    }
    json!({"date": date, "id": id, "items": all})
}

fn write(name: &str, reports: &[Value]) -> PathBuf {
    // A file of its own for each call: tests run at once, and one rewriting a file another's
    // `driftql diff` is reading would give it an empty side.
    static WRITTEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITTEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "driftql-diff-{}-{n}-{name}.ndjson",
        std::process::id()
    ));
    let text: String = reports.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// A web service, with `field` (`type` or `type;context`) set to `value` when given.
fn web(changed: Option<(&str, &str)>) -> Vec<It> {
    let base = [
        (
            "server-banner",
            "https",
            "HTTP/1.1 200 OK\r\nServer: nginx/1.18",
        ),
        ("title", "", "Welcome"),
        ("subject", "", "CN=example.com"),
        ("issuer", "", "C=US, O=Let's Encrypt, CN=R10"),
        ("host", "cert-dns-name", "example.com"),
        ("product-tag", "", "nginx"),
        ("http-header", "Server", "nginx/1.18"),
        ("geo-country", "", "US"),
    ];
    base.iter()
        .map(|(t, c, v)| {
            let field = if c.is_empty() {
                t.to_string()
            } else {
                format!("{t};{c}")
            };
            match changed {
                Some((f, value)) if f == field => it(t, c, value),
                _ => it(t, c, v),
            }
        })
        .collect()
}

/// The old side and the new side of a scan where every kind of change happens once.
fn pair() -> (PathBuf, PathBuf) {
    let mut old = Vec::new();
    let mut new = Vec::new();
    let changes = [
        (
            "server-banner;https",
            "HTTP/1.1 200 OK\r\nServer: nginx/1.25",
        ),
        ("title", "Login"),
        ("subject", "CN=www.example.com"),
        ("issuer", "C=US, O=Google Trust Services, CN=WR1"),
        ("host;cert-dns-name", "www.example.com"),
        ("product-tag", "openresty"),
        ("http-header;Server", "openresty"),
    ];
    for (n, change) in changes.into_iter().enumerate() {
        let ip = format!("192.0.2.{}", n + 1);
        old.push(report(
            "2024-01-10",
            &format!("old-{n}"),
            &ip,
            443,
            &web(None),
        ));
        new.push(report(
            "2024-02-10",
            &format!("new-{n}"),
            &ip,
            443,
            &web(Some(change)),
        ));
    }
    // Unchanged, but for a field that is not compared (the country).
    let mut moved = web(None);
    moved.retain(|(t, _, _)| t != "geo-country");
    old.push(report(
        "2024-01-10",
        "old-same",
        "192.0.2.50",
        443,
        &web(None),
    ));
    new.push(report("2024-02-10", "new-same", "192.0.2.50", 443, &moved));
    // Gone, and new.
    let ssh = [it("server-banner", "ssh", "SSH-2.0-OpenSSH_8.9")];
    old.push(report("2024-01-10", "old-gone", "192.0.2.60", 22, &ssh));
    new.push(report(
        "2024-02-10",
        "new-new",
        "192.0.2.70",
        8080,
        &[it("title", "", "Jenkins")],
    ));
    // Scanned twice on the new side: the newest report counts (the title is back as it was).
    let title = |t: &str| [it("title", "", t)];
    new.push(report(
        "2024-02-01",
        "new-older",
        "192.0.2.80",
        80,
        &title("Maintenance"),
    ));
    new.push(report(
        "2024-02-12",
        "new-newest",
        "192.0.2.80",
        80,
        &title("Shop"),
    ));
    old.push(report(
        "2024-01-10",
        "old-shop",
        "192.0.2.80",
        80,
        &title("Shop"),
    ));
    // A host scanned by name (a domain report); names compare in lowercase.
    let host = |h: &str, t: &str| [it("host", "", h), it("title", "", t)];
    old.push(report(
        "2024-01-10",
        "old-host",
        "",
        0,
        &host("Shop.Example", "Shop"),
    ));
    new.push(report(
        "2024-02-10",
        "new-host",
        "",
        0,
        &host("shop.example", "Closed"),
    ));
    (write("old", &old), write("new", &new))
}

fn diff(args: &[&str]) -> std::process::Output {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    driftql(&all, "")
}

#[test]
fn each_kind_of_change_is_an_event() {
    let (old, new) = pair();
    let o = diff(&[
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--output",
        "ndjson",
    ]);
    assert_status(&o, 1);
    let events: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    insta::assert_json_snapshot!("diff_events", events);
    assert_eq!(
        stderr(&o),
        "driftql: 1 new, 1 gone, 8 changed, 2 unchanged services (11 reports in 11 services \
         before, 12 in 11 after)\n"
    );
}

#[test]
fn the_table_shows_each_changed_field_before_and_after() {
    let (old, new) = pair();
    let o = diff(&[old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_status(&o, 1);
    let table = stdout(&o);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("CHANGE   SERVICE"), "{table}");
    let row = |prefix: &str| {
        lines
            .iter()
            .find(|l| {
                l.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .starts_with(prefix)
            })
            .unwrap_or_else(|| panic!("no row {prefix:?} in\n{table}"))
            .to_string()
    };
    let squeezed = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        squeezed(row("changed 192.0.2.2:443/tcp")),
        "changed 192.0.2.2:443/tcp title Welcome Login"
    );
    // Control characters are escaped, so a banner keeps to its row.
    assert!(
        squeezed(row("changed 192.0.2.1:443/tcp"))
            .contains(r"HTTP/1.1 200 OK\r\nServer: nginx/1.18"),
        "{table}"
    );
    assert_eq!(squeezed(row("gone")), "gone 192.0.2.60:22/tcp");
    assert_eq!(squeezed(row("new")), "new 192.0.2.70:8080/tcp");
    assert_eq!(
        squeezed(row("changed shop.example")),
        "changed shop.example title Shop Closed"
    );
    assert!(
        !table.contains("192.0.2.50"),
        "an unchanged service has no row"
    );
    assert!(
        !table.contains("192.0.2.80"),
        "the newest report of a service counts"
    );
}

#[test]
fn identical_exports_differ_in_nothing() {
    let (old, _) = pair();
    let o = diff(&[old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).starts_with("driftql: 0 new, 0 gone, 0 changed, 11 unchanged"));
    // The same reports in another layout (an array, pretty-printed) are the same scan.
    let text = std::fs::read_to_string(&old).unwrap();
    let reports: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pretty =
        std::env::temp_dir().join(format!("driftql-diff-{}-pretty.json", std::process::id()));
    std::fs::write(&pretty, serde_json::to_string_pretty(&reports).unwrap()).unwrap();
    let o = driftql(
        &["diff", old.to_str().unwrap(), "-"],
        std::fs::read(&pretty).unwrap(),
    );
    assert_status(&o, 0);
}

#[test]
fn trouble_is_status_2() {
    let (old, new) = pair();
    let missing = old.with_extension("missing");
    let o = diff(&[missing.to_str().unwrap(), new.to_str().unwrap()]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("cannot open"), "{}", stderr(&o));
    // A bad line is reported with its position, and the comparison may be wrong: status 2.
    let bad = write(
        "bad",
        &[json!({"date": "2024-13-45", "id": "x", "items": []})],
    );
    let o = diff(&[bad.to_str().unwrap(), new.to_str().unwrap()]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains(":1:"), "{}", stderr(&o));
    let o = diff(&["-", "-"]);
    assert_status(&o, 2);
    let o = diff(&[old.to_str().unwrap()]);
    assert_status(&o, 2);
}

#[test]
fn the_readme_example_is_what_diff_prints() {
    let web =
        |title: &str, server: &str| [it("title", "", title), it("http-header", "Server", server)];
    let january = write(
        "january",
        &[
            report(
                "2025-01-10",
                "a1",
                "192.0.2.2",
                443,
                &web("Welcome", "nginx/1.18"),
            ),
            report(
                "2025-01-10",
                "a2",
                "192.0.2.9",
                80,
                &web("Shop", "nginx/1.18"),
            ),
            report(
                "2025-01-11",
                "a3",
                "192.0.2.60",
                22,
                &[it("server-banner", "ssh", "SSH-2.0-OpenSSH_8.9")],
            ),
        ],
    );
    let february = write(
        "february",
        &[
            report(
                "2025-02-10",
                "b1",
                "192.0.2.2",
                443,
                &web("Login", "openresty"),
            ),
            report(
                "2025-02-10",
                "b2",
                "192.0.2.9",
                80,
                &web("Shop", "nginx/1.18"),
            ),
            report(
                "2025-02-11",
                "b3",
                "192.0.2.70",
                8080,
                &[it("title", "", "Jenkins")],
            ),
        ],
    );
    let o = diff(&[january.to_str().unwrap(), february.to_str().unwrap()]);
    assert_status(&o, 1);
    let shown = format!(
        "$ driftql diff january.ndjson february.ndjson\n{}{}```",
        stdout(&o),
        stderr(&o)
    );
    let readme = include_str!("../README.md");
    assert!(readme.contains(&shown), "{shown}");
}

#[test]
fn each_virtual_host_on_an_address_is_a_service() {
    let vhost = |date: &str, id: &str, host: &str, title: &str| {
        let mut r = report(date, id, "192.0.2.10", 443, &[it("title", "", title)]);
        let items = r["items"].as_array_mut().unwrap();
        items.push(json!({"type": "host", "context": "", "value": host, "is_metadata": false}));
        r
    };
    let old = write(
        "vhosts-old",
        &[
            vhost("2025-01-01", "a", "shop.example", "Shop"),
            vhost("2025-01-01", "b", "blog.example", "Blog"),
        ],
    );
    let new = write(
        "vhosts-new",
        &[
            vhost("2025-02-01", "c", "shop.example", "Shop"),
            vhost("2025-02-01", "d", "blog.example", "Blog, moved"),
        ],
    );
    let o = diff(&[
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--output",
        "ndjson",
    ]);
    assert_status(&o, 1);
    let events: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0]["service"],
        json!({"host": "blog.example", "port": 443, "transport": "tcp"})
    );
    assert_eq!(events[0]["fields"][0]["after"], json!(["Blog, moved"]));
}
