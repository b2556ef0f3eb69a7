//! Sending requests to the server in its tests: in process, through the router itself
//! ([`InProcess`], tower's `oneshot`), or over a real socket with a minimal HTTP/1.1 client (a
//! [`SocketAddr`]; one request per connection, `Connection: close`, the whole answer read back)
//! for what needs one: raw bytes, concurrent connections.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use driftql::server::{Dataset, ServerOptions};
use serde_json::Value;
use tower::ServiceExt;

/// Where a request goes: a server on a socket, or a router in process.
pub trait Target {
    /// `GET target` with extra headers.
    fn get(&self, target: &str, headers: &[(&str, &str)]) -> Answer;
}

impl Target for SocketAddr {
    fn get(&self, target: &str, headers: &[(&str, &str)]) -> Answer {
        let addr = *self;
        let mut req = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str("\r\n");
        raw(addr, req.as_bytes())
    }
}

/// The server's router, called in process: no socket, no thread of its own.
#[derive(Clone)]
pub struct InProcess(Router);

impl InProcess {
    /// The API over `data` with `options`.
    pub fn new(data: Arc<Dataset>, options: ServerOptions) -> Self {
        InProcess(driftql::server::router(data, options))
    }
}

impl Target for &InProcess {
    fn get(&self, target: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = axum::http::Request::get(target);
        for (n, v) in headers {
            request = request.header(*n, *v);
        }
        let request = request
            .body(axum::body::Body::empty())
            .expect("a well-formed request");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let response = self.0.clone().oneshot(request).await.expect("an answer");
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        v.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("a body")
                .to_vec();
            Answer {
                status,
                headers,
                body,
            }
        })
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The codes of the diagnostics of an error answer.
    pub fn codes(&self) -> Vec<String> {
        self.json()["diagnostics"]
            .as_array()
            .map(|ds| {
                ds.iter()
                    .map(|d| d["code"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Percent-encodes every byte but the unreserved ones.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string from pairs.
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `GET path?pairs`.
pub fn get(to: impl Target, path: &str, pairs: &[(&str, &str)]) -> Answer {
    to.get(&format!("{path}?{}", query(pairs)), &[])
}

/// `GET target` with extra header lines.
pub fn get_with(to: impl Target, target: &str, headers: &[(&str, &str)]) -> Answer {
    to.get(target, headers)
}

/// Sends raw bytes and reads the answer.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).expect("send");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    parse(&buf)
}

fn parse(buf: &[u8]) -> Answer {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..eol])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&b[start..start + size]);
        b = &b[start + size + 2..];
    }
}
