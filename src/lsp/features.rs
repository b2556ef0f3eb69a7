//! What the language server answers: diagnostics, code actions, formatting, completion and
//! hover, from a [`Document`] and the type registry.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CompletionItem, CompletionItemKind, Diagnostic as LspDiagnostic,
    DiagnosticSeverity, Hover, HoverContents, MarkupContent, MarkupKind, NumberOrString, Position,
    Range, TextEdit, Uri, WorkspaceEdit,
};

use super::document::{Document, LineKind, column, offset, range};
use crate::diagnostic::{Diagnostic, Severity};
use crate::types::{self, Kind, Selects, TypeInfo, ValueSyntax};

/// What the server calls itself in diagnostics.
const SOURCE: &str = "driftql";

/// The document's findings as the protocol's diagnostics.
pub(crate) fn diagnostics(doc: &Document) -> Vec<LspDiagnostic> {
    let mut all = Vec::new();
    for (n, line) in doc.lines.iter().enumerate() {
        if let LineKind::Expression { diagnostics, .. } = &line.kind {
            all.extend(diagnostics.iter().map(|d| to_lsp(n, &line.text, d)));
        }
    }
    all
}

fn to_lsp(n: usize, line: &str, d: &Diagnostic) -> LspDiagnostic {
    let message = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    LspDiagnostic {
        range: range(n, line, d.span.start, d.span.end),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_owned())),
        source: Some(SOURCE.to_owned()),
        message,
        ..LspDiagnostic::default()
    }
}

/// Whether two ranges of lines meet.
fn meets(a: &Range, b: &Range) -> bool {
    (a.start.line, a.start.character) <= (b.end.line, b.end.character)
        && (b.start.line, b.start.character) <= (a.end.line, a.end.character)
}

/// The code actions for `range`: one quick fix per machine-applicable fix of a finding there,
/// and "fix all" for the whole document when anything can be fixed.
pub(crate) fn code_actions(doc: &Document, uri: &Uri, wanted: &Range) -> Vec<CodeAction> {
    let mut actions = Vec::new();
    let mut every = Vec::new();
    for (n, line) in doc.lines.iter().enumerate() {
        let LineKind::Expression { diagnostics, .. } = &line.kind else {
            continue;
        };
        let mut taken_to = 0;
        for d in diagnostics {
            let Some(fix) = &d.fix else { continue };
            let edit = TextEdit::new(
                range(n, &line.text, fix.span.start, fix.span.end),
                fix.replacement.clone(),
            );
            // Fix all takes the fixes that do not overlap (as `Query::fix` does, one round).
            if fix.span.start >= taken_to {
                every.push(edit.clone());
                taken_to = fix.span.end;
            }
            let at = range(n, &line.text, d.span.start, d.span.end);
            if !meets(&at, wanted) {
                continue;
            }
            let title = match &d.help {
                Some(help) => format!("{}: {help}", d.code),
                None => format!("fix {}", d.code),
            };
            actions.push(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp(n, &line.text, d)]),
                edit: Some(edit_of(uri, vec![edit])),
                is_preferred: Some(true),
                ..CodeAction::default()
            });
        }
    }
    if !every.is_empty() {
        actions.push(CodeAction {
            title: format!("Fix all ({} fixes)", every.len()),
            kind: Some(CodeActionKind::SOURCE_FIX_ALL),
            edit: Some(edit_of(uri, every)),
            ..CodeAction::default()
        });
    }
    actions
}

fn edit_of(uri: &Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// The edits that write each line holding a whole expression in its canonical form (lines with
/// syntax errors, comments and blank lines stay as they are).
pub(crate) fn formatting(doc: &Document) -> Vec<TextEdit> {
    let mut edits = Vec::new();
    for (n, line) in doc.lines.iter().enumerate() {
        if let LineKind::Expression {
            query: Some(q),
            whole: true,
            ..
        } = &line.kind
        {
            let canonical = q.to_string();
            if canonical != line.text {
                edits.push(TextEdit::new(
                    range(n, &line.text, 0, line.text.len()),
                    canonical,
                ));
            }
        }
    }
    edits
}

/// Whether `b` ends a token (whitespace or a parenthesis).
fn boundary(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')'
}

/// The completions at `at` of a document: after `;`, the contexts of the type; after
/// `protocol=`, the protocols; where a term starts, the types (and `not`); after a term, the
/// keywords.
pub(crate) fn completion(doc: &Document, at: &Position) -> Vec<CompletionItem> {
    let Some(line) = doc.lines.get(at.line as usize) else {
        return Vec::new();
    };
    let text = &line.text;
    let cursor = offset(text, at.character);
    let start = text[..cursor].rfind(boundary).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &text[start..cursor];
    if let Some(op) = word.find([':', '=']) {
        let head = word[..op].split(';').next().unwrap_or("");
        if head.eq_ignore_ascii_case("protocol") {
            let typed = &word[op + 1..];
            return types::KNOWN_PROTOCOLS
                .iter()
                .filter(|p| p.starts_with(typed))
                .map(|p| {
                    item(
                        p,
                        CompletionItemKind::ENUM_MEMBER,
                        "a protocol (a server-banner context)",
                    )
                })
                .collect();
        }
        return Vec::new();
    }
    if let Some((ty, typed)) = word.split_once(';') {
        let ty = ty.to_ascii_lowercase();
        return types::CONTEXTS
            .iter()
            .filter(|c| c.of.contains(&ty.as_str()) || types::lookup(&ty).is_none())
            .filter(|c| c.name.starts_with(typed))
            .map(|c| item(c.name, CompletionItemKind::PROPERTY, c.about))
            .collect();
    }
    let before = text[..start].trim_end();
    let after_operand = before.ends_with(')')
        || before
            .rsplit(boundary)
            .next()
            .is_some_and(|last| last.contains([':', '=']));
    let typed = word.to_ascii_lowercase();
    let keywords: &[&str] = if after_operand {
        &["and", "or", "not"]
    } else {
        &["not"]
    };
    let mut items: Vec<CompletionItem> = keywords
        .iter()
        .filter(|k| k.starts_with(&typed))
        .map(|k| item(k, CompletionItemKind::KEYWORD, "an operator"))
        .collect();
    if !after_operand {
        items.extend(
            types::TYPES
                .iter()
                .filter(|t| t.name.starts_with(&typed))
                .map(|t| {
                    let mut i = item(t.name, CompletionItemKind::FIELD, kind_text(t));
                    let op = if t.allows_match { ":" } else { "=" };
                    i.insert_text = Some(format!("{}{op}", t.name));
                    i
                }),
        );
    }
    items
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail: Some(detail.to_owned()),
        ..CompletionItem::default()
    }
}

/// What a type's values are, in a few words.
fn kind_text(t: &TypeInfo) -> &'static str {
    match (t.selects, t.kind) {
        (Selects::Every, _) => "the text of every item",
        (Selects::ContextOf("server-banner"), _) => {
            "a protocol: the context of server-banner items"
        }
        (Selects::ContextOf(_), _) => "the context of another type's items",
        (_, Kind::Ip) => "an IP address or CIDR block",
        (_, Kind::Host) => "a host name, matched on label boundaries",
        (_, Kind::Url) => "a URL, by its host or its words",
        (_, Kind::Port) => "a port number",
        (_, Kind::Asn) => "an autonomous system number",
        (_, Kind::Keyword) => "a keyword, matched whole",
        _ => "text: `:` matches words, `=` the whole value",
    }
}

/// The hover at `at`: on the type of a term, what the registry says of it; on its context,
/// what the context is.
pub(crate) fn hover(doc: &Document, at: &Position) -> Option<Hover> {
    let line = doc.lines.get(at.line as usize)?;
    let text = &line.text;
    let cursor = offset(text, at.character);
    let start = text[..cursor].rfind(boundary).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    let end = text[cursor..]
        .find(boundary)
        .map_or(text.len(), |i| cursor + i);
    let token = &text[start..end];
    let type_end = token.find([';', ':', '=']).unwrap_or(token.len());
    let within = cursor - start;
    let (markdown, from, to) = if within <= type_end {
        let name = &token[..type_end];
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return None;
        }
        (type_hover(name), start, start + type_end)
    } else if token[type_end..].starts_with(';') {
        let ctx_end = token[type_end + 1..]
            .find([':', '='])
            .map_or(token.len(), |i| type_end + 1 + i);
        if within > ctx_end {
            return None;
        }
        let name = &token[type_end + 1..ctx_end];
        (
            context_hover(&token[..type_end], name),
            start + type_end + 1,
            start + ctx_end,
        )
    } else {
        return None;
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(Range::new(
            Position::new(at.line, column(text, from)),
            Position::new(at.line, column(text, to)),
        )),
    })
}

fn type_hover(name: &str) -> String {
    let Some(t) = types::lookup(name) else {
        let close = types::closest(name)
            .map(|c| format!(" Did you mean `{c}`?"))
            .unwrap_or_default();
        return format!("`{name}` is not a known type: it is searched as text.{close}");
    };
    let ops = match (t.allows_match, t.allows_keyword) {
        (true, true) => "takes `:` and `=`",
        (true, false) => "takes `:` only",
        (false, true) => "takes `=` only",
        (false, false) => "takes no operator",
    };
    let mut lines = vec![
        format!("**`{}`**: {}", t.name, kind_text(t)),
        format!("- {ops}"),
    ];
    let syntax = match t.value_syntax {
        ValueSyntax::Any => None,
        ValueSyntax::IpOrCidr => Some("an IPv4 or IPv6 address, or a CIDR block".to_owned()),
        ValueSyntax::Port => Some("an integer from 0 to 65535".to_owned()),
        ValueSyntax::CountryCode => Some("a two-letter country code, in uppercase".to_owned()),
        ValueSyntax::Hex(n) => Some(format!("{n} hex digits")),
        ValueSyntax::Murmur3 => Some("a signed 32-bit integer".to_owned()),
        ValueSyntax::Cve => Some("`CVE-YYYY-NNNN`".to_owned()),
        ValueSyntax::Asn => Some("`AS` and digits, or the digits alone".to_owned()),
    };
    if let Some(s) = syntax {
        lines.push(format!("- values: {s}"));
    }
    lines.push(format!(
        "- {}",
        if t.case_sensitive {
            "case-sensitive"
        } else {
            "case-insensitive"
        }
    ));
    if t.context_with_match {
        lines.push("- a context may go with `:` (`;context:`)".to_owned());
    }
    let contexts: Vec<String> = types::CONTEXTS
        .iter()
        .filter(|c| c.of.contains(&t.name))
        .map(|c| format!("`{}`", c.name))
        .collect();
    if !contexts.is_empty() {
        lines.push(format!("- contexts: {}", contexts.join(", ")));
    }
    if t.slow {
        lines.push("- slow: it searches every type".to_owned());
    }
    lines.join("\n")
}

fn context_hover(ty: &str, name: &str) -> String {
    if name.is_empty() {
        return format!(
            "The empty context: the `{}` the scan looked at directly, not one seen elsewhere.",
            ty.to_ascii_lowercase()
        );
    }
    match types::lookup_context(name) {
        Some(c) => format!(
            "**`;{}`**: {} (a context of {})",
            c.name,
            c.about,
            c.of.iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!(
            "`{name}` is a context the registry does not know (contexts are compared exactly)."
        ),
    }
}
