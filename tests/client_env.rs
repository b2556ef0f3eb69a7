//! `Client::from_env`: the token from `DRIFTNET_API_TOKEN`, the base URL from `DRIFTNET_API_URL`.
//! One test in its own binary, since it changes the process's environment.

use driftql::client::{Client, ConfigError};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn from_env_reads_the_token_and_the_base_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/admin/user"))
        .and(header("authorization", "Bearer env-token-123"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"api_usage": 3}"#))
        .expect(1)
        .mount(&server)
        .await;

    // SAFETY: this binary has this one test, and nothing else reads the environment meanwhile.
    unsafe {
        std::env::remove_var("DRIFTNET_API_TOKEN");
        std::env::remove_var("DRIFTNET_API_URL");
    }
    assert!(matches!(Client::from_env(), Err(ConfigError::MissingToken)));

    unsafe {
        std::env::set_var("DRIFTNET_API_TOKEN", "env-token-123\n");
        std::env::set_var("DRIFTNET_API_URL", "http://api.example.com");
    }
    assert!(matches!(
        Client::from_env(),
        Err(ConfigError::InsecureBaseUrl { .. })
    ));

    unsafe {
        std::env::set_var("DRIFTNET_API_URL", server.uri());
    }
    let client = Client::from_env().unwrap();
    assert!(!format!("{client:?}").contains("env-token-123"));
    assert_eq!(client.user().await.unwrap().quota.api_usage, Some(3));

    // Settings given in code win over the environment.
    let other = Client::builder()
        .with_env()
        .base_url("https://api.driftnet.io")
        .build()
        .unwrap();
    assert_eq!(other.base_url().as_str(), "https://api.driftnet.io/");
    server.verify().await;
}
