//! Reading and decoding one Python file: bytes -> text, honouring a UTF-8 BOM and a PEP 263
//! coding cookie. Anything that cannot become text is reported, never guessed.

use std::borrow::Cow;

/// Why a file could not be turned into source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub message: String,
    /// 1-based line the problem is on (1 when not known).
    pub line: usize,
}

/// Decodes `bytes` as Python source (PEP 263: a BOM, or a `coding` cookie on line 1 or 2, else UTF-8).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let cookie = coding_cookie(body);
    let decoded: Cow<'_, str> = match cookie.as_deref() {
        None => utf8(body)?,
        Some(label) if is_utf8_label(label) => utf8(body)?,
        // WHATWG maps "ascii" to windows-1252; Python does not.
        Some(label) if is_ascii_label(label) => match body.iter().position(|b| !b.is_ascii()) {
            None => utf8(body)?,
            Some(pos) => {
                return Err(DecodeError {
                    message: format!(
                    "byte 0x{:02x} at offset {pos} is not ASCII, as the coding declaration says",
                    body[pos]
                ),
                    line: line_of(body, pos),
                })
            }
        },
        Some(label) => {
            if bom {
                return Err(DecodeError {
                    message: format!("encoding problem: `{label}` with a UTF-8 BOM"),
                    line: 1,
                });
            }
            let encoding = encoding_for(label).ok_or_else(|| DecodeError {
                message: format!("unknown encoding `{label}` in the coding declaration"),
                line: cookie_line(body),
            })?;
            let (text, had_errors) = encoding.decode_without_bom_handling(body);
            if had_errors {
                return Err(DecodeError {
                    message: format!("the file is not valid {}", encoding.name()),
                    line: 1,
                });
            }
            text
        }
    };
    if let Some(pos) = decoded.find('\0') {
        return Err(DecodeError {
            message: "source code cannot contain NUL bytes".to_string(),
            line: line_of(decoded.as_bytes(), pos),
        });
    }
    Ok(decoded)
}

fn utf8(body: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    match std::str::from_utf8(body) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(e) => Err(DecodeError {
            message: format!(
                "invalid UTF-8 at byte offset {} (add a PEP 263 coding declaration if the file uses another encoding)",
                e.valid_up_to()
            ),
            line: line_of(body, e.valid_up_to()),
        }),
    }
}

/// Python's codec names mapped onto WHATWG labels where they differ (`latin-1`, `cp1252`, `euc_jp`).
fn encoding_for(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let l = label.to_ascii_lowercase().replace('_', "-");
    let l = match l.as_str() {
        "latin-1" | "l1" | "iso-8859-1" | "iso8859-1" | "latin" => "latin1",
        "cp1252" | "windows-1252" => "windows-1252",
        other => other,
    };
    encoding_rs::Encoding::for_label(l.as_bytes())
}

fn is_ascii_label(label: &str) -> bool {
    let l = label.to_ascii_lowercase().replace('_', "-");
    matches!(l.as_str(), "ascii" | "us-ascii" | "646")
}

fn is_utf8_label(label: &str) -> bool {
    let l = label.to_ascii_lowercase().replace('_', "-");
    l == "utf-8" || l == "utf8" || l.starts_with("utf-8-") || l == "utf8-sig"
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The first two lines, as Python looks for the cookie (a line that is not a comment on line 1
/// stops the search on line 2 only if it is not blank or a comment).
fn first_lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|&b| b == b'\n').take(2)
}

fn cookie_line(body: &[u8]) -> usize {
    first_lines(body)
        .position(|l| parse_cookie(l).is_some())
        .map_or(1, |i| i + 1)
}

fn coding_cookie(body: &[u8]) -> Option<String> {
    for (i, line) in first_lines(body).enumerate() {
        if let Some(label) = parse_cookie(line) {
            return Some(label);
        }
        let trimmed = line.trim_ascii();
        if i == 0 && !trimmed.is_empty() && !trimmed.starts_with(b"#") {
            return None;
        }
    }
    None
}

/// `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`, as in PEP 263.
fn parse_cookie(line: &[u8]) -> Option<String> {
    let start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))?;
    if line[start] != b'#' {
        return None;
    }
    let comment = &line[start..];
    let at = comment.windows(6).position(|w| w == b"coding")?;
    let rest = &comment[at + 6..];
    let rest = rest
        .strip_prefix(b":")
        .or_else(|| rest.strip_prefix(b"="))?;
    let rest = &rest[rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()..];
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        .count();
    (len > 0).then(|| String::from_utf8_lossy(&rest[..len]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_without_cookie() {
        assert_eq!(decode(b"x = 1\n").unwrap(), "x = 1\n");
    }

    #[test]
    fn bom_is_stripped() {
        assert_eq!(decode(b"\xEF\xBB\xBFx = 1\n").unwrap(), "x = 1\n");
    }

    #[test]
    fn latin1_cookie_decodes() {
        let src = b"# -*- coding: latin-1 -*-\ns = '\xe9'\n";
        assert!(decode(src).unwrap().contains('\u{e9}'));
    }

    #[test]
    fn cookie_on_second_line_after_shebang() {
        let src = b"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\ns = '\xa4'\n";
        assert!(decode(src).unwrap().contains('\u{20ac}'));
    }

    #[test]
    fn cookie_after_code_is_ignored() {
        let src = b"x = 1\n# coding: latin-1\ns = '\xe9'\n";
        let err = decode(src).unwrap_err();
        assert!(err.message.contains("invalid UTF-8"), "{}", err.message);
        assert_eq!(err.line, 3);
    }

    #[test]
    fn unknown_cookie_is_reported() {
        let err = decode(b"# coding: klingon\nx = 1\n").unwrap_err();
        assert!(err.message.contains("klingon"));
    }

    #[test]
    fn nul_byte_is_reported_with_its_line() {
        let err = decode(b"x = 1\ny = \0\n").unwrap_err();
        assert!(err.message.contains("NUL"));
        assert_eq!(err.line, 2);
    }
}
