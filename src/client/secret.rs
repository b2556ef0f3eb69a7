//! The API token, and how it is kept out of everything the client shows: the one redaction every
//! message from outside goes through, before it is cut short and its control characters escaped.

use std::fmt;

use super::ConfigError;

/// What replaces the token in text.
pub(crate) const REDACTED: &str = "[redacted]";

/// The API token. Its `Debug` shows `[redacted]`.
#[derive(Clone)]
pub(crate) struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// The shortest part of the token, at either end of a text, that is redacted as a part of it.
const MIN_PART: usize = 4;

impl Token {
    /// The shortest token accepted. A shorter one could not be told apart from ordinary text
    /// ("x" is in every message), so it could not be kept out of what the client shows.
    pub(crate) const MIN_LEN: usize = 8;

    /// The token given, without surrounding whitespace: refused when empty or too short.
    pub(crate) fn new(given: &str) -> Result<Token, ConfigError> {
        let token = given.trim();
        if token.is_empty() {
            return Err(ConfigError::MissingToken);
        }
        if token.chars().count() < Token::MIN_LEN {
            return Err(ConfigError::ShortToken {
                min: Token::MIN_LEN,
            });
        }
        Ok(Token(token.to_owned()))
    }

    /// The token itself, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every whole occurrence of the token replaced by `[redacted]`, and so is a
    /// part of the token that `text` starts or ends with (at least 4 characters: where a server
    /// cut its own message inside the token).
    pub(crate) fn redact(&self, text: &str) -> String {
        let token = self.0.as_str();
        let mut out = text.replace(token, REDACTED);
        // A prefix of the token at the end: the longest one, down to MIN_PART bytes.
        if let Some(len) = (MIN_PART..token.len())
            .rev()
            .filter(|&n| token.is_char_boundary(n))
            .find(|&n| out.ends_with(&token[..n]))
        {
            out.truncate(out.len() - len);
            out.push_str(REDACTED);
        }
        // A suffix of the token at the start.
        if let Some(len) = (MIN_PART..token.len())
            .rev()
            .filter(|&n| token.is_char_boundary(token.len() - n))
            .find(|&n| out.starts_with(&token[token.len() - n..]))
        {
            out.replace_range(..len, REDACTED);
        }
        out
    }

    /// Text from outside (a server's message, a body, an error of the HTTP stack) as the client
    /// shows it: the token redacted first, then control characters escaped, then cut to
    /// `max_chars` characters with `…`. Cutting last means no part of the token can survive a
    /// cut.
    pub(crate) fn shown(&self, text: &str, max_chars: usize) -> String {
        crate::text::excerpt(&self.redact(text), max_chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token::new("SECRET123").unwrap()
    }

    #[test]
    fn tokens_too_short_to_be_secrets_are_refused() {
        assert!(matches!(Token::new(""), Err(ConfigError::MissingToken)));
        assert!(matches!(Token::new("   "), Err(ConfigError::MissingToken)));
        assert!(matches!(
            Token::new("x"),
            Err(ConfigError::ShortToken { min: 8 })
        ));
        assert!(Token::new(" 12345678 ").is_ok());
        assert_eq!(format!("{:?}", token()), "[redacted]");
    }

    #[test]
    fn whole_occurrences_are_replaced_not_letters() {
        let t = token();
        assert_eq!(
            t.redact("Bearer SECRET123 is bad"),
            "Bearer [redacted] is bad"
        );
        assert_eq!(t.redact("SECRET123SECRET123"), "[redacted][redacted]");
        assert_eq!(
            t.redact("an expression about SECRETS"),
            "an expression about SECRETS"
        );
    }

    #[test]
    fn a_part_of_the_token_at_either_end_is_redacted() {
        let t = token();
        assert_eq!(
            t.redact("cut at Bearer SECRET12"),
            "cut at Bearer [redacted]"
        );
        assert_eq!(t.redact("T123 was the token"), "[redacted] was the token");
        // Three characters are not enough to tell.
        assert_eq!(t.redact("ends in SEC"), "ends in SEC");
    }

    #[test]
    fn shortening_comes_after_redaction() {
        let t = token();
        let message = format!("{}Bearer SECRET123", "x".repeat(485));
        let shown = t.shown(&message, 500);
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.ends_with('…') || shown.ends_with(REDACTED), "{shown}");
        let shown = t.shown(&format!("{}\u{1b}[31mSECRET123\r", "x".repeat(10)), 500);
        assert_eq!(
            shown,
            format!("{}\\u{{1b}}[31m[redacted]\\r", "x".repeat(10))
        );
    }
}
