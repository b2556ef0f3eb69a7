//! The language server: driven in process ([`driftql::lsp::Server`]) for each feature, and
//! through `driftql lsp`'s standard input and output, framed as an editor frames it.

#![cfg(feature = "lsp")]

use driftql::lsp::Server;
use serde_json::{Value, json};

const URI: &str = "file:///work/queries.dql";

/// A server holding one document with `text`; returns it and the diagnostics it published.
fn open(text: &str) -> (Server, Value) {
    let mut server = Server::default();
    let out = server.notification(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "dql", "version": 1, "text": text}}),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].method, "textDocument/publishDiagnostics");
    assert_eq!(out[0].params["uri"], URI);
    let diagnostics = out[0].params["diagnostics"].clone();
    (server, diagnostics)
}

fn request(server: &Server, method: &str, params: Value) -> Value {
    server.request(method, params).expect("an answer")
}

fn at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

/// `(code, line, start, end)` of each diagnostic.
fn found(diagnostics: &Value) -> Vec<(String, u64, u64, u64)> {
    diagnostics
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
                d["range"]["end"]["character"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn diagnostics_cover_every_line_with_codes_severities_and_utf16_ranges() {
    let text = "# Shodan-like queries, one a line\n\
                geo-country:ru and title: x\n\
                \n\
                title:\"日本😀\" and port-tcp:80*\n\
                host:example.com\n";
    let (_, diagnostics) = open(text);
    assert_eq!(
        found(&diagnostics),
        [
            ("keyword-only-type".into(), 1, 11, 12),
            ("country-case".into(), 1, 12, 14),
            ("space-in-term".into(), 1, 25, 26),
            // After `日本😀` (one UTF-16 unit each for 日 and 本, two for the emoji): columns
            // count UTF-16 units, not bytes (30..33) or characters (25..28).
            ("invalid-port".into(), 3, 26, 29),
        ]
    );
    let d = &diagnostics[0];
    assert_eq!(d["severity"], 1, "an error");
    assert_eq!(diagnostics[1]["severity"], 2, "a warning");
    assert_eq!(d["source"], "driftql");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("help: write `geo-country=`")
    );
}

#[test]
fn a_change_publishes_again_and_a_close_clears() {
    let (mut server, first) = open("title:x");
    assert_eq!(first, json!([]));
    let out = server.notification(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": "title:x ip=8.8.8.8"}]}),
    );
    let codes: Vec<String> = found(&out[0].params["diagnostics"])
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(codes, ["missing-operator", "ip-needs-match"]);
    let out = server.notification(
        "textDocument/didClose",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(out[0].params["diagnostics"], json!([]));
    assert_eq!(
        request(
            &server,
            "textDocument/formatting",
            json!({"textDocument": {"uri": URI}, "options": {"tabSize": 4, "insertSpaces": true}})
        ),
        Value::Null
    );
}

#[test]
fn code_actions_give_each_fix_and_fix_all() {
    let (server, _) = open("geo-country:ru\nip=8.8.8.8");
    let actions = request(
        &server,
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": URI},
            "range": {"start": {"line": 0, "character": 11}, "end": {"line": 0, "character": 11}},
            "context": {"diagnostics": []}
        }),
    );
    let actions = actions.as_array().unwrap();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "keyword-only-type: write `geo-country=`",
            "Fix all (3 fixes)"
        ],
        "{actions:?}"
    );
    assert_eq!(actions[0]["kind"], "quickfix");
    let edit = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(edit["newText"], "=");
    assert_eq!(
        edit["range"],
        json!({"start": {"line": 0, "character": 11}, "end": {"line": 0, "character": 12}})
    );
    assert_eq!(actions[1]["kind"], "source.fixAll");
    let all: Vec<(u64, String)> = actions[1]["edit"]["changes"][URI]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["range"]["start"]["line"].as_u64().unwrap(),
                e["newText"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(all, [(0, "=".into()), (0, "RU".into()), (1, ":".into())]);
}

#[test]
fn formatting_writes_each_parsed_line_canonically() {
    let (server, _) =
        open("PORT-TCP:443  AND  (geo-country=\"US\")\n# a comment\ntitle: broken\n(a:1)");
    let edits = request(
        &server,
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let edits: Vec<(u64, String)> = edits
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["range"]["start"]["line"].as_u64().unwrap(),
                e["newText"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        edits,
        [
            (0, "(port-tcp:443 and geo-country=US)".into()),
            (3, "a:1".into())
        ]
    );
}

#[test]
fn completion_offers_types_contexts_protocols_and_keywords() {
    let labels = |text: &str, line: u32, character: u32| -> Vec<String> {
        let (server, _) = open(text);
        let items = request(&server, "textDocument/completion", at(line, character));
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(labels("geo-", 0, 4), ["geo-country"]);
    let (server, _) = open("geo-");
    let item = &request(&server, "textDocument/completion", at(0, 4))[0];
    assert_eq!(item["insertText"], "geo-country=", "geo-country takes `=`");
    assert_eq!(item["kind"], 5, "a field");
    assert_eq!(
        labels("host;", 0, 5),
        ["cert-dns-name", "dns-ptr", "dns-ns"]
    );
    assert_eq!(labels("title:x and ip;cert", 0, 19), ["cert-ip-address"]);
    assert_eq!(labels("protocol=ht", 0, 11), ["http", "https"]);
    assert_eq!(labels("title:x ", 0, 8), ["and", "or", "not"]);
    assert_eq!(labels("title:x o", 0, 9), ["or"]);
    let start = labels("(", 0, 1);
    assert!(start.contains(&"not".to_owned()) && start.contains(&"port-tcp".to_owned()));
    assert!(!start.contains(&"and".to_owned()));
    // Non-ASCII before the cursor: the position is in UTF-16 units.
    assert_eq!(labels("title:日本😀 and geo-", 0, 19), ["geo-country"]);
}

#[test]
fn hover_says_what_a_type_or_a_context_is() {
    let (server, _) = open("port-tcp:443 and host;cert-dns-name:example.com and foo:bar");
    let text =
        |character: u32| -> Value { request(&server, "textDocument/hover", at(0, character)) };
    let port = text(2);
    let value = port["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**`port-tcp`**: a port number"),
        "{value}"
    );
    assert!(value.contains("takes `:` and `=`"), "{value}");
    assert!(
        value.contains("values: an integer from 0 to 65535"),
        "{value}"
    );
    assert_eq!(
        port["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 8}})
    );
    let host = text(18)["contents"]["value"].as_str().unwrap().to_owned();
    assert!(
        host.contains("contexts: `cert-dns-name`, `dns-ptr`, `dns-ns`"),
        "{host}"
    );
    assert!(host.contains("a context may go with `:`"), "{host}");
    let ctx = text(25)["contents"]["value"].as_str().unwrap().to_owned();
    assert_eq!(
        ctx,
        "**`;cert-dns-name`**: a name in a TLS certificate (a context of `host`)"
    );
    let unknown = text(54)["contents"]["value"].as_str().unwrap().to_owned();
    assert!(
        unknown.starts_with("`foo` is not a known type"),
        "{unknown}"
    );
    assert_eq!(text(10), Value::Null, "nothing to say about a value");
}

/// The hover text of the type at `character` of `text`.
fn hover_text(text: &str, character: u32) -> String {
    let (server, _) = open(text);
    let answer = request(&server, "textDocument/hover", at(0, character));
    answer["contents"]["value"].as_str().unwrap().to_owned()
}

#[test]
fn hover_shows_the_registry_row_of_the_type() {
    let ip = hover_text("ip;cert-ip-address:10.0.0.1", 0);
    assert!(ip.contains("- takes `:` only\n"), "{ip}");
    assert!(ip.contains("- a context may go with `:`"), "{ip}");
    for name in ["protocol", "http-header-name"] {
        let text = hover_text(&format!("{name}=x"), 0);
        assert!(text.contains("- takes `=` only\n"), "{text}");
        assert!(text.contains("- case-sensitive"), "{text}");
        assert!(!text.contains("a context may go with"), "{text}");
    }
    let geo = hover_text("geo-country=RU", 0);
    assert!(geo.contains("- case-insensitive"), "{geo}");
    let search = hover_text("search-term:login", 0);
    assert!(search.contains("- takes `:` only\n"), "{search}");
}

#[test]
fn a_method_it_does_not_serve_is_an_error_and_bad_params_too() {
    let server = Server::default();
    let (code, _) = server
        .request("textDocument/rename", json!({}))
        .unwrap_err();
    assert_eq!(code as i32, -32601);
    let (code, _) = server
        .request("textDocument/hover", json!({"nonsense": 1}))
        .unwrap_err();
    assert_eq!(code as i32, -32602);
}

/// Through the binary's standard input and output (needs the binary: feature `cli`).
#[cfg(feature = "cli")]
mod stdio {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    use serde_json::{Value, json};

    use super::URI;

    /// Writes one JSON-RPC message, framed.
    fn send(to: &mut impl Write, message: &Value) {
        let body = message.to_string();
        write!(to, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        to.flush().unwrap();
    }

    /// Reads one framed message.
    fn receive(from: &mut impl BufRead) -> Value {
        let mut length = None;
        loop {
            let mut header = String::new();
            assert!(
                from.read_line(&mut header).unwrap() > 0,
                "the server closed its output"
            );
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some(n) = header.strip_prefix("Content-Length: ") {
                length = Some(n.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.expect("a Content-Length")];
        from.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    #[test]
    fn the_binary_speaks_the_protocol_on_stdio() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut to = child.stdin.take().unwrap();
        let mut from = BufReader::new(child.stdout.take().unwrap());
        send(
            &mut to,
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        );
        let init = receive(&mut from);
        assert_eq!(init["id"], 1);
        let caps = &init["result"]["capabilities"];
        assert_eq!(caps["textDocumentSync"], 1);
        assert_eq!(caps["positionEncoding"], "utf-16");
        assert_eq!(init["result"]["serverInfo"]["name"], "driftql");
        send(
            &mut to,
            &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        );
        send(
            &mut to,
            &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
                {"uri": URI, "languageId": "dql", "version": 1, "text": "geo-country:ru"}}}),
        );
        let published = receive(&mut from);
        assert_eq!(published["method"], "textDocument/publishDiagnostics");
        assert_eq!(
            published["params"]["diagnostics"][0]["code"],
            "keyword-only-type"
        );
        send(
            &mut to,
            &json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/formatting", "params":
                {"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}}),
        );
        let formatted = receive(&mut from);
        assert_eq!(formatted["id"], 2);
        assert_eq!(
            formatted["result"],
            json!([]),
            "an expression with errors is left alone"
        );
        send(
            &mut to,
            &json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}),
        );
        let down = receive(&mut from);
        assert_eq!(
            (down["id"].clone(), down["result"].clone()),
            (json!(3), Value::Null)
        );
        send(&mut to, &json!({"jsonrpc": "2.0", "method": "exit"}));
        drop(to);
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}
