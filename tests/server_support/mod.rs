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
use driftql::server::{Dataset, RunningServer, ServerOptions};
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

/// A request to a [`proxy`]: its target, and what forwards it (with its `Authorization`).
#[cfg(feature = "client")]
pub struct Asked {
    /// The request's path and query.
    pub target: String,
    auth: Option<axum::http::HeaderValue>,
    http: reqwest::Client,
}

#[cfg(feature = "client")]
impl Asked {
    /// Whether it asks a search endpoint.
    pub fn is_search(&self) -> bool {
        self.target.starts_with("/v1/scan/")
    }

    /// `target` sent to `upstream` with this request's `Authorization`: the answer's status
    /// and body.
    pub async fn forward(&self, upstream: &str, target: &str) -> (u16, Vec<u8>) {
        let mut ask = self.http.get(format!("{upstream}{target}"));
        if let Some(auth) = &self.auth {
            ask = ask.header(axum::http::header::AUTHORIZATION, auth);
        }
        let answer = ask.send().await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.bytes().await.unwrap().to_vec())
    }

    /// The request's own target sent to `upstream`, as JSON.
    pub async fn forward_json(&self, upstream: &str, target: &str) -> Value {
        serde_json::from_slice(&self.forward(upstream, target).await.1).unwrap()
    }
}

/// A proxy on loopback, on a thread of its own, that answers each request with what `answer`
/// makes of it (a status and a JSON body): a server that misbehaves in a chosen way, in front
/// of a real one. Its URL.
#[cfg(feature = "client")]
pub fn proxy<F, Fut>(answer: F) -> String
where
    F: Fn(Asked) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = (u16, Vec<u8>)> + Send + 'static,
{
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let http = reqwest::Client::new();
            let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
                let asked = Asked {
                    target: req.uri().path_and_query().unwrap().as_str().to_owned(),
                    auth: req.headers().get(header::AUTHORIZATION).cloned(),
                    http: http.clone(),
                };
                let answer = answer.clone();
                async move {
                    let (status, body) = answer(asked).await;
                    (
                        StatusCode::from_u16(status).unwrap(),
                        [(header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                        .into_response()
                }
            });
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}

/// A proxy in front of `upstream` that forwards the first `pages` search requests, then
/// answers 503 to every other one (after a pause, so that the pages forwarded arrive first):
/// a connection that gives out midway.
#[cfg(feature = "client")]
pub fn cut_off_after(upstream: String, pages: u64) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    let forwarded = Arc::new(AtomicU64::new(0));
    proxy(move |asked: Asked| {
        let forwarded = Arc::clone(&forwarded);
        let upstream = upstream.clone();
        async move {
            if asked.is_search() && forwarded.fetch_add(1, Ordering::SeqCst) >= pages {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return (503, b"\"cut off\"".to_vec());
            }
            asked.forward(&upstream, &asked.target).await
        }
    })
}

/// A server on loopback of its own (so its own usage counter) over `data`, that asks for
/// `token`.
pub fn start(data: &Arc<Dataset>, token: &str) -> RunningServer {
    driftql::server::start(
        "127.0.0.1:0".parse().unwrap(),
        Arc::clone(data),
        ServerOptions::default().with_token(token),
    )
    .unwrap()
}

/// The search quota `server` has counted, asked with `token`.
pub fn usage(server: &RunningServer, token: &str) -> u64 {
    let auth = format!("Bearer {token}");
    let a = get_with(server.addr(), "/v1/admin/user", &[("Authorization", &auth)]);
    assert_eq!(a.status, 200);
    a.json()["quota"]["api_usage"].as_u64().unwrap()
}
