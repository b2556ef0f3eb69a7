//! The language server (`driftql lsp`, feature `lsp`): diagnostics, quick fixes, formatting,
//! completion and hover for Driftnet expressions, over the Language Server Protocol.
//!
//! # Documents
//!
//! A document holds one expression a line (files named `*.dql`; any editor that sends plain
//! text works the same). A line whose first non-blank character is `#` is a comment; blank
//! lines are skipped. Each line is read with recovery ([`crate::parse_recovering`]), so every
//! syntax error of a line shows at once, beside the lints of what parsed.
//!
//! # What it answers
//!
//! - **Diagnostics**, published on open and on every change: syntax errors and lints, with
//!   their codes, severities and help.
//! - **Code actions**: a quick fix for each finding with a machine-applicable fix, and "fix
//!   all" (`source.fixAll`) for the whole document.
//! - **Formatting**: each line that parses, in its canonical form.
//! - **Completion**: the registry's types (with what their values are) and `not` where a term
//!   starts; `and`, `or` and `not` after a term; the known contexts of a type after `;`; the
//!   protocols after `protocol=`.
//! - **Hover** on a type or a context: what it matches, which operators it takes, its case
//!   rule, its contexts.
//!
//! Positions are in UTF-16 code units, as the protocol has them. Text is synchronised whole
//! (each change sends the document).
//!
//! ```
//! use driftql::lsp::Server;
//! use serde_json::json;
//!
//! let mut server = Server::default();
//! let out = server.notification(
//!     "textDocument/didOpen",
//!     json!({"textDocument": {"uri": "file:///q.dql", "languageId": "dql", "version": 1,
//!            "text": "geo-country:ru"}}),
//! );
//! assert_eq!(out[0].method, "textDocument/publishDiagnostics");
//! assert_eq!(out[0].params["diagnostics"][0]["code"], "keyword-only-type");
//! ```

mod document;
mod features;

use std::collections::HashMap;
use std::error::Error;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{CodeActionRequest, Completion, Formatting, HoverRequest, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    HoverProviderCapability, OneOf, PositionEncodingKind, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use serde_json::Value;

use document::Document;

/// A notification the server sends: its method and parameters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Outgoing {
    /// The method, e.g. `textDocument/publishDiagnostics`.
    pub method: String,
    /// Its parameters.
    pub params: Value,
}

/// The language server's state: the open documents. The protocol's plumbing
/// ([`serve`]) gives it the requests and notifications; it can also be driven directly, as the
/// tests do.
#[derive(Debug, Default)]
pub struct Server {
    documents: HashMap<String, (Uri, Document)>,
}

/// What the server can do, as `initialize` answers it.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::SOURCE_FIX_ALL,
            ]),
            ..CodeActionOptions::default()
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![";".into(), "=".into(), " ".into(), "(".into()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

impl Server {
    /// Handles a notification from the client; returns the notifications to send back.
    pub fn notification(&mut self, method: &str, params: Value) -> Vec<Outgoing> {
        let uri = match method {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(params)
                else {
                    return Vec::new();
                };
                let doc = Document::new(&p.text_document.text);
                self.documents.insert(
                    p.text_document.uri.as_str().to_owned(),
                    (p.text_document.uri.clone(), doc),
                );
                p.text_document.uri
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(params)
                else {
                    return Vec::new();
                };
                // The whole text is synchronised: the last change holds it.
                let Some(change) = p.content_changes.into_iter().last() else {
                    return Vec::new();
                };
                let doc = Document::new(&change.text);
                self.documents.insert(
                    p.text_document.uri.as_str().to_owned(),
                    (p.text_document.uri.clone(), doc),
                );
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(params)
                else {
                    return Vec::new();
                };
                self.documents.remove(p.text_document.uri.as_str());
                // A closed document's diagnostics are cleared.
                return vec![publish(&p.text_document.uri, Vec::new())];
            }
            _ => return Vec::new(),
        };
        let diagnostics = self
            .documents
            .get(uri.as_str())
            .map(|(_, d)| features::diagnostics(d))
            .unwrap_or_default();
        vec![publish(&uri, diagnostics)]
    }

    /// Answers a request from the client (`Value::Null` for a document it does not hold):
    /// `Err` with the protocol's error code for a method it does not serve or parameters that
    /// do not decode.
    pub fn request(&self, method: &str, params: Value) -> Result<Value, (ErrorCode, String)> {
        let doc = |uri: &Uri| self.documents.get(uri.as_str()).map(|(_, d)| d);
        let answer = match method {
            CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = decode(params)?;
                doc(&p.text_document.uri).map(|d| {
                    serde_json::to_value(features::code_actions(d, &p.text_document.uri, &p.range))
                })
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = decode(params)?;
                doc(&p.text_document.uri).map(|d| serde_json::to_value(features::formatting(d)))
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = decode(params)?;
                let at = p.text_document_position;
                doc(&at.text_document.uri)
                    .map(|d| serde_json::to_value(features::completion(d, &at.position)))
            }
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = decode(params)?;
                let at = p.text_document_position_params;
                doc(&at.text_document.uri)
                    .map(|d| serde_json::to_value(features::hover(d, &at.position)))
            }
            _ => {
                return Err((
                    ErrorCode::MethodNotFound,
                    format!("driftql does not serve `{method}`"),
                ));
            }
        };
        match answer {
            None => Ok(Value::Null),
            Some(v) => v.map_err(|e| (ErrorCode::InternalError, e.to_string())),
        }
    }
}

/// The parameters of a request, decoded.
fn decode<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn publish(uri: &Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> Outgoing {
    let params = PublishDiagnosticsParams {
        uri: uri.clone(),
        diagnostics,
        version: None,
    };
    Outgoing {
        method: PublishDiagnostics::METHOD.to_owned(),
        params: serde_json::to_value(params).unwrap_or(Value::Null),
    }
}

/// Serves `connection` until the client shuts it down (`shutdown`, then `exit`).
pub fn serve(connection: &Connection) -> Result<(), Box<dyn Error + Send + Sync>> {
    let caps = serde_json::to_value(capabilities())?;
    let (id, _params) = connection.initialize_start()?;
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": caps,
            "serverInfo": {"name": "driftql", "version": env!("CARGO_PKG_VERSION")},
        }),
    )?;
    let mut server = Server::default();
    for message in &connection.receiver {
        match message {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                let response = answer(&server, req);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(Notification { method, params }) => {
                for out in server.notification(&method, params) {
                    connection
                        .sender
                        .send(Message::Notification(Notification::new(
                            out.method, out.params,
                        )))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn answer(server: &Server, req: Request) -> Response {
    let Request { id, method, params } = req;
    match server.request(&method, params) {
        Ok(value) => Response::new_ok(id, value),
        Err((code, message)) => error(id, code, message),
    }
}

fn error(id: RequestId, code: ErrorCode, message: String) -> Response {
    Response::new_err(id, code as i32, message)
}

/// Serves the protocol on standard input and output (what `driftql lsp` runs).
pub fn run_stdio() -> Result<(), Box<dyn Error + Send + Sync>> {
    let (connection, io) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io.join()?;
    Ok(())
}
