//! What the tests against a mock Driftnet API (wiremock) share: the token, reading the calls the
//! mock received, and a responder that pages a result set.

#![allow(dead_code)] // each test binary uses its own part

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The token the tests send; it must never appear in any output.
pub const TOKEN: &str = "tok-S3CRET-a1b2c3";

/// Every request the mock received, in order.
pub async fn calls(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// Asserts one call: GET, the path, the exact query string and the bearer token.
#[track_caller]
pub fn assert_call(req: &Request, path: &str, query: &str) {
    assert_eq!(req.method.as_str(), "GET");
    assert_eq!(req.url.path(), path);
    assert_eq!(req.url.query().unwrap_or(""), query);
    assert_eq!(
        req.headers.get("authorization").unwrap().to_str().unwrap(),
        format!("Bearer {TOKEN}")
    );
}

/// Every value of the query parameter `name` of a call.
pub fn query_param(req: &Request, name: &str) -> Vec<String> {
    req.url
        .query_pairs()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The `page` a call asked for.
pub fn page_of(req: &Request) -> u32 {
    query_param(req, "page")[0].parse().unwrap()
}

/// Makes `server` answer every GET with `response`.
pub async fn serve(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .respond_with(response)
        .mount(server)
        .await;
}

/// A mock that answers every GET with `response`.
pub async fn answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    serve(&server, response).await;
    server
}

/// Answers `?page=N` with page N of a result set of `pages` pages, `per_page` reports each
/// (ids `pN-I`); pages listed in `slow` answer after a delay, to shuffle completion order.
pub struct Paged {
    pub pages: u32,
    pub result_count: u64,
    pub per_page: u32,
    pub slow: Vec<u32>,
}

impl Paged {
    pub fn new(pages: u32, result_count: u64, per_page: u32) -> Paged {
        Paged {
            pages,
            result_count,
            per_page,
            slow: Vec::new(),
        }
    }
}

impl Respond for Paged {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page = page_of(req);
        let results: Vec<Value> = (0..self.per_page)
            .map(|i| {
                json!({"date": "2024-05-13", "id": format!("p{page}-{i}"),
                       "items": [{"context": "", "is_metadata": true, "type": "ip", "value": "8.8.8.8"}]})
            })
            .collect();
        let t = ResponseTemplate::new(200).set_body_json(json!({
            "page": page, "pages": self.pages, "result_count": self.result_count,
            "results": results, "took": 12
        }));
        if self.slow.contains(&page) {
            t.set_delay(Duration::from_millis(150))
        } else {
            t
        }
    }
}

/// A mock that pages a result set ([`Paged`]).
pub async fn paged(pages: u32, result_count: u64, per_page: u32) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(pages, result_count, per_page))
        .mount(&server)
        .await;
    server
}

/// The ids [`Paged`] gives the reports of `pages`.
pub fn ids(pages: std::ops::Range<u32>, per_page: u32) -> Vec<String> {
    pages
        .flat_map(|p| (0..per_page).map(move |i| format!("p{p}-{i}")))
        .collect()
}
