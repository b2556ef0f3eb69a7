//! Decoding a query string into its `name=value` pairs; what they mean is read by
//! [`crate::models::SearchRequest::from_pairs`] and [`crate::models::PrioritizeParams::from_pairs`].

use crate::models::RequestError;

use super::wire::ApiError;

/// Decodes a raw query string (`application/x-www-form-urlencoded`: `+` is a space, `%XX` a
/// byte) into its pairs, in order; empty pieces (`&&`) are skipped. A pair whose name or value
/// does not decode to UTF-8 is an `invalid-encoding` error, all of them reported at once.
pub(crate) fn decode_query(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for piece in raw.unwrap_or("").split('&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        match (decode(name), decode(value)) {
            (Some(n), Some(v)) => pairs.push((n, v)),
            _ => errors.extend(RequestError::Encoding(piece.to_owned()).into_diagnostics(piece)),
        }
    }
    if errors.is_empty() {
        Ok(pairs)
    } else {
        Err(ApiError::refused(errors))
    }
}

/// Percent-decodes one name or value of a query string; `None` when the bytes are not UTF-8.
/// A `%` not followed by two hex digits stands for itself.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|&c| (c as char).to_digit(16));
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                if let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(decode("a+b%20c%2B").as_deref(), Some("a b c+"));
        assert_eq!(decode("100%").as_deref(), Some("100%"));
        assert_eq!(decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(decode("%FF"), None);
        assert!(decode_query(Some("&&")).unwrap().is_empty());
        assert!(decode_query(Some("x=%FF")).is_err());
        assert_eq!(
            decode_query(Some("a=1&b&c=%20")).unwrap(),
            [
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), " ".into())
            ]
        );
    }
}
