//! CSV and TSV exports (`--output csv|tsv`, `--fields`, `--join`) as a user runs them, read back
//! with the `csv` crate: `filter` over a fixture export whose values hold commas, quotes, line
//! breaks and the join separator; `search` and `summarize` against a real server on loopback.

#![cfg(feature = "cli")]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use common::{assert_status, driftql, stderr, stdout};
use driftql::server::{self, Dataset, ServerOptions};
use driftql::{Item, Report};

/// Reports whose values are as awkward as values get.
fn fixture() -> Vec<Report> {
    let item = |ty: &str, ctx: &str, v: &str| Item::new(ty, ctx, v);
    let meta = |ty: &str, v: &str| Item {
        is_metadata: true,
        ..Item::new(ty, "", v)
    };
    vec![
        Report {
            date: "2024-05-02".into(),
            id: "r1".into(),
            items: vec![
                meta("ip", "192.0.2.1"),
                meta("port-tcp", "443"),
                item("host", "", "example.com"),
                item("host", "cert-dns-name", "example.com"),
                item("host", "cert-dns-name", "www.example.com"),
                item("host", "cert-dns-name", "example.com"),
                item("title", "", "Login, \"secure\" | portal"),
                item("server-banner", "https", "HTTP/1.1 200 OK\r\nServer: nginx"),
                item("http-header", "Set-Cookie", "a=1; b=\"2\""),
                item("ip", "dns-a", "198.51.100.9"),
            ],
        },
        Report {
            date: "2024-05-01".into(),
            id: "r2".into(),
            items: vec![
                meta("ip", "2001:db8::1"),
                meta("port-udp", "53"),
                item("title", "", "tab\there, new\nline"),
                item("product-tag", "", "bind"),
                item("product-tag", "", "isc|bind"),
            ],
        },
        Report {
            date: "2024-04-30".into(),
            id: "r3".into(),
            items: vec![meta("ip", "192.0.2.3")],
        },
    ]
}

fn fixture_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "driftql-exports-{}-{name}.ndjson",
        std::process::id()
    ));
    let text: String = fixture()
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// Every `type;context` of the fixture, as fields.
fn every_field() -> Vec<String> {
    let mut fields = BTreeSet::new();
    for r in fixture() {
        for i in r.items {
            fields.insert(format!("{};{}", i.ty, i.context));
        }
    }
    let mut all = vec!["date".to_owned(), "id".to_owned()];
    all.extend(fields);
    all
}

/// What a cell should hold: the values of the items of that type and context, each once, in
/// order, joined.
fn expected(report: &Report, field: &str, join: &str) -> String {
    match field {
        "date" => return report.date.clone(),
        "id" => return report.id.clone(),
        _ => {}
    }
    let (ty, ctx) = field.split_once(';').unwrap();
    let mut values: Vec<&str> = Vec::new();
    for i in &report.items {
        if i.ty == ty && i.context == ctx && !values.contains(&i.value.as_str()) {
            values.push(&i.value);
        }
    }
    values.join(join)
}

fn read_table(text: &str, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[test]
fn every_field_of_every_report_round_trips_through_csv_and_tsv() {
    let path = fixture_file("round-trip");
    let fields = every_field();
    for (format, delimiter) in [("csv", b','), ("tsv", b'\t')] {
        for join in ["|", " ; "] {
            let list = fields.join(",");
            let o = driftql(
                &[
                    "filter",
                    "ip:0.0.0.0/0 or ip:::/0",
                    path.to_str().unwrap(),
                    "--output",
                    format,
                    "--fields",
                    &list,
                    "--join",
                    join,
                ],
                "",
            );
            assert_status(&o, 0);
            let (header, rows) = read_table(&stdout(&o), delimiter);
            assert_eq!(header, fields);
            let reports = fixture();
            assert_eq!(rows.len(), reports.len());
            for (row, report) in rows.iter().zip(&reports) {
                for (cell, field) in row.iter().zip(&fields) {
                    assert_eq!(cell, &expected(report, field, join), "{format} {field}");
                }
            }
        }
    }
    std::fs::remove_file(path).unwrap();
}

#[test]
fn default_fields_and_the_scanned_address() {
    let path = fixture_file("defaults");
    let o = driftql(
        &[
            "filter",
            "ip:0.0.0.0/0 or ip:::/0",
            path.to_str().unwrap(),
            "--output",
            "csv",
        ],
        "",
    );
    assert_status(&o, 0);
    let (header, rows) = read_table(&stdout(&o), b',');
    assert_eq!(
        header,
        ["date", "id", "ip", "port-tcp", "port-udp", "host", "title"]
    );
    // `ip` is the scanned address (the empty context), not the one seen in DNS; `host` the
    // scanned host, not the certificate's names.
    assert_eq!(
        rows[0],
        [
            "2024-05-02",
            "r1",
            "192.0.2.1",
            "443",
            "",
            "example.com",
            "Login, \"secure\" | portal"
        ]
    );
    assert_eq!(rows[1][2..5], ["2001:db8::1", "", "53"]);
    // `;*` takes every context; a pseudo-type what it selects.
    let o = driftql(
        &[
            "filter",
            "ip:192.0.2.1",
            path.to_str().unwrap(),
            "--output",
            "csv",
            "--fields",
            "ip;*,protocol,http-header-name",
        ],
        "",
    );
    assert_status(&o, 0);
    let (_, rows) = read_table(&stdout(&o), b',');
    assert_eq!(rows, [["192.0.2.1|198.51.100.9", "https", "Set-Cookie"]]);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_misspelt_field_is_a_usage_error_with_the_suggestion() {
    for command in [
        vec!["filter", "port-tcp:443", "-", "--output", "csv"],
        vec![
            "search",
            "port-tcp:443",
            "--output",
            "csv",
            "--token",
            "unused-token",
        ],
    ] {
        let mut args = command.clone();
        args.extend(["--fields", "date,prot-tcp,host;cert-dns-name"]);
        let o = driftql(&args, "");
        assert_status(&o, 2);
        assert!(
            stderr(&o).contains("field 2, `prot-tcp`: not a known type; did you mean `port-tcp`?"),
            "{}",
            stderr(&o)
        );
        assert_eq!(stdout(&o), "");
    }
    // --fields without a table format is a usage error too.
    let o = driftql(&["filter", "port-tcp:443", "-", "--fields", "date"], "");
    assert_status(&o, 2);
    assert!(stderr(&o).contains("--fields and --join go with --output csv"));
}

#[test]
fn search_and_summarize_print_csv() {
    let data = Arc::new(Dataset::new(fixture()).unwrap());
    let s = server::start(
        "127.0.0.1:0".parse().unwrap(),
        data,
        ServerOptions::default(),
    )
    .unwrap();
    let url = s.url();
    let api = ["--api-url", url.as_str(), "--token", "exports-token"];
    let mut args = vec![
        "search",
        "ip:0.0.0.0/0 or ip:::/0",
        "--output",
        "tsv",
        "--fields",
        "id,title",
    ];
    args.extend(api);
    let o = driftql(&args, "");
    assert_status(&o, 0);
    let (header, rows) = read_table(&stdout(&o), b'\t');
    assert_eq!(header, ["id", "title"]);
    let want: Vec<Vec<String>> = fixture()
        .iter()
        .map(|r| vec![r.id.clone(), expected(r, "title;", "|")])
        .collect();
    assert_eq!(rows, want);

    let mut args = vec![
        "summarize",
        "product-tag",
        "ip:::/0",
        "--output",
        "csv",
        "--cardinality",
    ];
    args.extend(api);
    let o = driftql(&args, "");
    assert_status(&o, 0);
    let (header, rows) = read_table(&stdout(&o), b',');
    assert_eq!(header, ["kind", "value", "count"]);
    assert_eq!(
        rows,
        [
            ["value", "bind", "1"],
            ["value", "isc|bind", "1"],
            ["other", "", "0"],
            ["distinct", "", "2"]
        ]
    );
}

#[test]
fn filter_over_a_file_shows_its_progress_on_a_terminal_only() {
    let path = fixture_file("progress");
    let out = path.with_extension("csv");
    // On a terminal (a pseudo-terminal from `script`), the bar shows the bytes read.
    let command = format!(
        "{} filter 'ip:0.0.0.0/0' {} --output csv > {}",
        env!("CARGO_BIN_EXE_driftql"),
        path.display(),
        out.display()
    );
    let o = std::process::Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("script (util-linux) runs");
    assert_status(&o, 0);
    let terminal = String::from_utf8_lossy(&o.stdout);
    assert!(
        terminal.contains(&format!("{} ", path.display())),
        "{terminal}"
    );
    let size = indicatif::HumanBytes(std::fs::metadata(&path).unwrap().len());
    assert!(terminal.contains(&format!("/{size} ")), "{terminal}");
    assert!(terminal.contains("B/s"), "{terminal}");
    let (_, rows) = read_table(&std::fs::read_to_string(&out).unwrap(), b',');
    assert_eq!(rows.len(), 2);
    // Off a terminal, standard error stays empty.
    let o = driftql(
        &["filter", "ip:0.0.0.0/0", path.to_str().unwrap(), "--count"],
        "",
    );
    assert_status(&o, 0);
    assert_eq!(stderr(&o), "");
    std::fs::remove_file(path).unwrap();
    std::fs::remove_file(out).unwrap();
}

#[test]
fn with_a_separator_the_values_do_not_hold_cells_split_back_into_values() {
    let path = fixture_file("split");
    let unit = "\u{1f}";
    let o = driftql(
        &[
            "filter",
            "ip:0.0.0.0/0 or ip:::/0",
            path.to_str().unwrap(),
            "--output",
            "csv",
            "--fields",
            "host;cert-dns-name,product-tag,title",
            "--join",
            unit,
        ],
        "",
    );
    assert_status(&o, 0);
    let (_, rows) = read_table(&stdout(&o), b',');
    let split = |cell: &str| -> Vec<String> {
        if cell.is_empty() {
            Vec::new()
        } else {
            cell.split(unit).map(str::to_owned).collect()
        }
    };
    for (row, report) in rows.iter().zip(fixture()) {
        for (cell, (ty, ctx)) in row.iter().zip([
            ("host", "cert-dns-name"),
            ("product-tag", ""),
            ("title", ""),
        ]) {
            let mut want: Vec<String> = Vec::new();
            for i in &report.items {
                if i.ty == ty && i.context == ctx && !want.contains(&i.value) {
                    want.push(i.value.clone());
                }
            }
            assert_eq!(split(cell), want, "{ty};{ctx} of {}", report.id);
        }
    }
    // The `|` inside a value survives, whole.
    assert_eq!(split(&rows[1][1]), ["bind", "isc|bind"]);
    std::fs::remove_file(path).unwrap();
}
