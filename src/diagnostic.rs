//! Findings about a query: syntax errors and validation lints share one shape, [`Diagnostic`].

use std::fmt;

use serde::Serialize;

use crate::ast::Span;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; never blocks a request.
    Warning,
    /// The query is wrong; it must not be sent.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A machine-applicable edit: replace the bytes of `span` in the source with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Fix {
    /// The bytes to replace.
    pub span: Span,
    /// The text to put in their place.
    pub replacement: String,
}

/// One finding about a query, with where it is and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable kebab-case code, e.g. `keyword-only-type` or `unterminated-string`.
    pub code: &'static str,
    /// What is wrong, in the user's words.
    pub message: String,
    /// The bytes of the source the finding is about.
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: usize,
    /// 1-based column of `span.start`, counted in characters (Unicode scalar values).
    pub column: usize,
    /// What to do about it.
    pub help: Option<String>,
    /// An edit that resolves it, when one can be applied mechanically.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A finding at `span` of `source`, with line and column computed from the source.
    pub fn new(
        severity: Severity,
        code: &'static str,
        source: &str,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        let mut d = Diagnostic::unlocated(severity, code, span, message);
        (d.line, d.column) = line_column(source, span.start);
        d
    }

    /// A finding at `span` whose line and column are still to be set by [`locate_all`].
    pub(crate) fn unlocated(
        severity: Severity,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            span,
            line: 0,
            column: 0,
            help: None,
            fix: None,
        }
    }

    /// Adds a help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a machine-applicable fix.
    #[must_use]
    pub fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fix = Some(Fix {
            span,
            replacement: replacement.into(),
        });
        self
    }

    /// Whether this finding is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] at line {}, column {}: {}",
            self.severity, self.code, self.line, self.column, self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// The 1-based line and column (in characters) of byte offset `at` in `source`.
///
/// An offset past the end, or inside a character, is clamped to the nearest earlier boundary.
pub fn line_column(source: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let before = &source[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Sets the line and column of every diagnostic from its span, in one pass over `source`
/// (diagnostics in any order): for many findings in a long source, much faster than
/// [`line_column`] for each.
pub fn locate_all(source: &str, diagnostics: &mut [Diagnostic]) {
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    order.sort_by_key(|&i| diagnostics[i].span.start);
    // A cursor that only moves forward: byte offset, line, and column in characters.
    let (mut at, mut line, mut column) = (0usize, 1usize, 1usize);
    for i in order {
        let mut target = diagnostics[i].span.start.min(source.len());
        while !source.is_char_boundary(target) {
            target -= 1;
        }
        for c in source[at..target].chars() {
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        at = target;
        diagnostics[i].line = line;
        diagnostics[i].column = column;
    }
}

/// Where the rendered source came from, for the `--> origin:line:column` header.
#[cfg(feature = "render")]
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct Origin<'a> {
    /// A name for the input, such as `<stdin>`; no header when `None`.
    pub name: Option<&'a str>,
    /// The line number of the source's first line (1 unless the source is one line of a file).
    pub first_line: usize,
}

#[cfg(feature = "render")]
impl<'a> Origin<'a> {
    /// Line `first_line` of the input called `name`.
    pub fn line_of(name: &'a str, first_line: usize) -> Self {
        Origin {
            name: Some(name),
            first_line,
        }
    }
}

/// Renders diagnostics compiler-style: severity and code, the source line, a caret under the span,
/// the help and the suggested fix. With `color`, ANSI styles are used.
#[cfg(feature = "render")]
pub fn render(source: &str, diagnostics: &[Diagnostic], color: bool) -> String {
    render_from(source, diagnostics, color, Origin::default())
}

/// Like [`render`], naming where the source came from.
#[cfg(feature = "render")]
pub fn render_from(
    source: &str,
    diagnostics: &[Diagnostic],
    color: bool,
    origin: Origin<'_>,
) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Patch, Renderer, Snippet};

    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    fn snippet<'a, T: Clone>(source: &'a str, origin: Origin<'a>) -> Snippet<'a, T> {
        Snippet::source(source)
            .line_start(origin.first_line.max(1))
            .path(origin.name)
    }
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let span = clamp(source, d.span);
        let mut report = vec![level.primary_title(d.message.as_str()).id(d.code).element(
            snippet(source, origin).annotation(AnnotationKind::Primary.span(span.range())),
        )];
        if let Some(help) = &d.help {
            let fix = d.fix.as_ref().map(|f| (f, clamp(source, f.span)));
            // A suggested edit is shown as the changed line, before and after; on a long line
            // (a machine-written query) it is described instead, so the output stays in
            // proportion to the number of findings.
            let title: std::borrow::Cow<'_, str> = match fix {
                Some((f, span)) if line_around(source, span).len() > PATCH_LINE_MAX => format!(
                    "{help} (replace `{}` with `{}`)",
                    shorten(&source[span.range()]),
                    shorten(&f.replacement)
                )
                .into(),
                _ => help.as_str().into(),
            };
            let mut group = Group::with_title(Level::HELP.secondary_title(title));
            if let Some((f, span)) = fix
                && line_around(source, span).len() <= PATCH_LINE_MAX
            {
                group = group.element(
                    snippet(source, origin).patch(Patch::new(span.range(), f.replacement.as_str())),
                );
            }
            report.push(group);
        }
        out.push_str(&renderer.render(&report));
        out.push('\n');
    }
    out
}

/// The longest line a suggested edit is drawn on, before and after.
#[cfg(feature = "render")]
const PATCH_LINE_MAX: usize = 200;

/// The lines of `source` that `span` touches.
#[cfg(feature = "render")]
fn line_around(source: &str, span: Span) -> &str {
    let start = source[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = source[span.end..]
        .find('\n')
        .map_or(source.len(), |i| span.end + i);
    &source[start..end]
}

/// `s`, cut to about 40 characters.
#[cfg(feature = "render")]
fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Clamps a span to the source and to character boundaries, so rendering never slices badly.
#[cfg(feature = "render")]
fn clamp(source: &str, span: Span) -> Span {
    let fix = |mut at: usize| {
        at = at.min(source.len());
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let start = fix(span.start);
    Span::new(start, fix(span.end).max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rendering of the findings of `source`.
    #[cfg(feature = "render")]
    fn rendered(source: &str, origin: Origin<'_>) -> String {
        let q = crate::parse(source).unwrap();
        render_from(source, &q.validate(), false, origin)
    }

    /// A line of `length` bytes with a `country-case` finding (whose fix is `US`).
    #[cfg(feature = "render")]
    fn line_with_a_fix(length: usize) -> String {
        let head = "geo-country=us or title:";
        format!("{head}{}", "x".repeat(length - head.len()))
    }

    #[cfg(feature = "render")]
    #[test]
    fn a_fix_is_drawn_on_lines_up_to_the_bound_and_described_past_it() {
        let at_most = line_with_a_fix(PATCH_LINE_MAX);
        let past = line_with_a_fix(PATCH_LINE_MAX + 1);
        // The line the fix is on counts, not its neighbours (nor their line breaks).
        for (source, drawn) in [
            (at_most.clone(), true),
            (past.clone(), false),
            (format!("title:a or\n{at_most}"), true),
            (format!("{at_most}\nor title:a"), true),
            (format!("title:a or\n{past}\nor title:b"), false),
        ] {
            let out = rendered(&source, Origin::default());
            assert!(out.contains("country-case"), "{out}");
            assert_eq!(
                out.contains("(replace `us` with `US`)"),
                !drawn,
                "{source:?}: {out}"
            );
            assert_eq!(out.contains("geo-country=US"), drawn, "{source:?}: {out}");
        }
    }

    #[cfg(feature = "render")]
    #[test]
    fn a_span_inside_a_character_is_drawn_at_its_start() {
        let at = |span: Span| {
            let d = Diagnostic::new(Severity::Error, "x", "aé", span, "m");
            render("aé", &[d], false)
        };
        assert_eq!(at(Span::new(2, 2)), at(Span::new(1, 1)));
        assert_ne!(at(Span::new(2, 2)), at(Span::new(3, 3)));
        assert_eq!(at(Span::new(9, 9)), at(Span::new(3, 3)));
    }

    #[test]
    fn a_finding_displays_on_one_line() {
        let d = Diagnostic::new(
            Severity::Warning,
            "country-case",
            "geo-country=us",
            Span::new(12, 14),
            "lowercase",
        )
        .with_help("write `US`");
        assert_eq!(
            d.to_string(),
            "warning[country-case] at line 1, column 13: lowercase (help: write `US`)"
        );
        assert_eq!(Severity::Error.to_string(), "error");
    }

    #[cfg(feature = "render")]
    #[test]
    fn an_origin_names_the_input_and_its_line() {
        let out = rendered("title:x and geo-country=us", Origin::line_of("<stdin>", 3));
        assert!(out.contains("--> <stdin>:3:25"), "{out}");
        let unnamed = rendered("title:x and geo-country=us", Origin::default());
        assert!(!unnamed.contains("-->"), "{unnamed}");
    }

    #[test]
    fn locating_all_at_once_agrees_with_one_at_a_time() {
        let source = "ab\ncé\u{1F600}d\n\nxyz";
        let mut ds: Vec<Diagnostic> = [9, 0, 3, 5, 13, 14, 2, 100, 6]
            .iter()
            .map(|&at| Diagnostic::unlocated(Severity::Error, "x", Span::new(at, at), "m"))
            .collect();
        locate_all(source, &mut ds);
        for d in &ds {
            assert_eq!(
                (d.line, d.column),
                line_column(source, d.span.start),
                "{}",
                d.span.start
            );
        }
    }
}
