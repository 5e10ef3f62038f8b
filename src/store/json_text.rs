//! JSON as text: validation, the document's layout, reformatting, and navigation by JSON pointer,
//! all without building a tree and without recursion.
//!
//! The store works on documents as bytes so that what it does not change stays exactly as the
//! user wrote it: numbers keep their digits (`18446744073709551617`, `0.15838287025480557`), keys
//! keep their order, a one-line document stays on one line, and nesting is limited only by
//! memory (the container stack is a byte per level on the heap).

use std::borrow::Cow;
use std::ops::Range;

/// Where and why a document is not JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the first byte that cannot be accepted.
    pub offset: usize,
    pub reason: String,
}

fn error<T>(offset: usize, reason: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        offset,
        reason: reason.into(),
    })
}

/// How a document is laid out, so that what the store writes looks like what it read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Style {
    /// The indentation of one level in a multi-line document; `None` for one-line documents.
    pub indent: Option<String>,
    /// A space after `,` (one-line documents; `{"a": 1, "b": 2}` as Python's `json.dumps` writes).
    pub space_after_comma: bool,
    /// A space after `:`.
    pub space_after_colon: bool,
    /// The document ends with a newline.
    pub trailing_newline: bool,
}

impl Style {
    /// The layout of documents the store creates: two-space indentation, as `serde_json`'s
    /// pretty printer and Python's `json.dump(indent=2)` write.
    pub fn pretty() -> Self {
        Style {
            indent: Some("  ".to_string()),
            space_after_comma: false,
            space_after_colon: true,
            trailing_newline: false,
        }
    }

    /// One line, no spaces.
    pub fn compact() -> Self {
        Style {
            indent: None,
            space_after_comma: false,
            space_after_colon: false,
            trailing_newline: false,
        }
    }

    fn newline(&self, depth: usize, out: &mut Vec<u8>) {
        if let Some(indent) = &self.indent {
            out.push(b'\n');
            for _ in 0..depth {
                out.extend_from_slice(indent.as_bytes());
            }
        }
    }
}

impl Default for Style {
    fn default() -> Self {
        Style::pretty()
    }
}

/// What validation learned about a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    /// The deepest nesting of arrays and objects (0 for a scalar document).
    pub max_depth: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first non-whitespace byte at or after `i`.
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ws(b[i]) {
        i += 1;
    }
    i
}

/// Checks that `b` is one JSON value (RFC 8259), surrounded only by whitespace. Iterative: any
/// depth is accepted.
pub fn validate(b: &[u8]) -> Result<Info, SyntaxError> {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        Value,
        ValueOrEnd,
        Key,
        KeyOrEnd,
        Colon,
        After,
    }
    let mut stack: Vec<u8> = Vec::new();
    let mut max_depth = 0;
    let mut state = S::Value;
    let mut i = 0;
    loop {
        i = skip_ws(b, i);
        if state == S::After && stack.is_empty() {
            if i == b.len() {
                return Ok(Info { max_depth });
            }
            return error(i, "trailing characters after the JSON value");
        }
        let Some(&c) = b.get(i) else {
            return error(i, "unexpected end of the document (it is truncated)");
        };
        match state {
            S::Value | S::ValueOrEnd => {
                if state == S::ValueOrEnd && c == b']' {
                    stack.pop();
                    i += 1;
                    state = S::After;
                    continue;
                }
                match c {
                    b'{' | b'[' => {
                        stack.push(c);
                        max_depth = max_depth.max(stack.len());
                        i += 1;
                        state = if c == b'{' {
                            S::KeyOrEnd
                        } else {
                            S::ValueOrEnd
                        };
                        continue;
                    }
                    b'"' => i = scan_string(b, i)?,
                    b'-' | b'0'..=b'9' => i = scan_number(b, i)?,
                    b't' => i = scan_literal(b, i, b"true")?,
                    b'f' => i = scan_literal(b, i, b"false")?,
                    b'n' => i = scan_literal(b, i, b"null")?,
                    _ => return error(i, "expected a JSON value"),
                }
                state = S::After;
            }
            S::Key | S::KeyOrEnd => {
                if state == S::KeyOrEnd && c == b'}' {
                    stack.pop();
                    i += 1;
                    state = S::After;
                } else if c == b'"' {
                    i = scan_string(b, i)?;
                    state = S::Colon;
                } else {
                    return error(i, "expected a string key");
                }
            }
            S::Colon => {
                if c != b':' {
                    return error(i, "expected `:` after an object key");
                }
                i += 1;
                state = S::Value;
            }
            S::After => {
                let open = *stack.last().expect("checked above");
                let close = if open == b'{' { b'}' } else { b']' };
                if c == b',' {
                    i += 1;
                    state = if open == b'{' { S::Key } else { S::Value };
                } else if c == close {
                    stack.pop();
                    i += 1;
                } else if open == b'{' {
                    return error(i, "expected `,` or `}` after an object member");
                } else {
                    return error(i, "expected `,` or `]` after an array element");
                }
            }
        }
    }
}

/// The end (exclusive) of the string starting at `b[i] == '"'`, validating escapes and
/// rejecting raw control characters.
fn scan_string(b: &[u8], i: usize) -> Result<usize, SyntaxError> {
    let mut j = i + 1;
    loop {
        let Some(&c) = b.get(j) else {
            return error(j, "unexpected end of the document inside a string");
        };
        match c {
            b'"' => return Ok(j + 1),
            b'\\' => match b.get(j + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => j += 2,
                Some(b'u') => {
                    let hex = b.get(j + 2..j + 6);
                    if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                        return error(j, "invalid \\u escape (four hex digits expected)");
                    }
                    j += 6;
                }
                None => return error(j + 1, "unexpected end of the document inside a string"),
                Some(_) => return error(j, "invalid escape in a string"),
            },
            0..=0x1f => return error(j, "control character in a string (it must be escaped)"),
            _ => j += 1,
        }
    }
}

/// The end of the number starting at `i`, checking the grammar of RFC 8259.
fn scan_number(b: &[u8], i: usize) -> Result<usize, SyntaxError> {
    let digits = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits(j),
        _ => return error(j, "invalid number"),
    }
    if b.get(j) == Some(&b'.') {
        let k = digits(j + 1);
        if k == j + 1 {
            return error(k, "invalid number: digits expected after `.`");
        }
        j = k;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let k = digits(j);
        if k == j {
            return error(k, "invalid number: digits expected in the exponent");
        }
        j = k;
    }
    Ok(j)
}

fn scan_literal(b: &[u8], i: usize, word: &[u8]) -> Result<usize, SyntaxError> {
    if b.get(i..i + word.len()) == Some(word) {
        Ok(i + word.len())
    } else {
        error(i, "expected a JSON value")
    }
}

/// Whether `text` is exactly one JSON number.
pub fn is_number(text: &str) -> bool {
    let b = text.as_bytes();
    matches!(b.first(), Some(b'-' | b'0'..=b'9')) && scan_number(b, 0).is_ok_and(|e| e == b.len())
}

/// A token of validated JSON text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Open(u8),
    Close(u8),
    Colon,
    Comma,
    Scalar,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Tokens of text already validated by [`validate`] (it does not check the grammar again).
struct Tokens<'a> {
    b: &'a [u8],
    i: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;
    fn next(&mut self) -> Option<Token> {
        let b = self.b;
        let start = skip_ws(b, self.i);
        let c = *b.get(start)?;
        let (kind, end) = match c {
            b'{' | b'[' => (Kind::Open(c), start + 1),
            b'}' | b']' => (Kind::Close(c), start + 1),
            b':' => (Kind::Colon, start + 1),
            b',' => (Kind::Comma, start + 1),
            b'"' => (Kind::Scalar, string_end(b, start)),
            _ => {
                let mut j = start + 1;
                while j < b.len() && !is_ws(b[j]) && !matches!(b[j], b',' | b']' | b'}' | b':') {
                    j += 1;
                }
                (Kind::Scalar, j)
            }
        };
        self.i = end;
        Some(Token { kind, start, end })
    }
}

/// The end of a validated string starting at `b[i] == '"'`.
fn string_end(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match memchr::memchr2(b'"', b'\\', &b[j..]) {
            Some(k) if b[j + k] == b'"' => return j + k + 1,
            Some(k) => j += k + 2,
            None => return b.len(),
        }
    }
    b.len()
}

/// The end of the validated value that starts at `i` (after any whitespace).
pub fn value_end(b: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    for t in (Tokens { b, i }) {
        match t.kind {
            Kind::Open(_) => depth += 1,
            Kind::Close(_) => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return t.end;
        }
    }
    b.len()
}

/// The span of the whole (validated) document's value, without surrounding whitespace.
pub fn root(b: &[u8]) -> Range<usize> {
    let start = skip_ws(b, 0);
    start..value_end(b, start)
}

/// The layout of a validated document: indentation from the first non-empty container,
/// separators from the first `,` and `:`. Only the beginning of a large document is looked at.
pub fn detect_style(b: &[u8]) -> Style {
    const LOOK: usize = 1 << 16;
    let mut style = Style::compact();
    style.trailing_newline = b.last() == Some(&b'\n');
    let mut indent_known = false;
    let mut comma_known = false;
    let mut colon_known = false;
    let mut tokens = Tokens { b, i: 0 }.peekable();
    while let Some(t) = tokens.next() {
        match t.kind {
            Kind::Open(_) if !indent_known => {
                let Some(next) = tokens.peek() else { break };
                if matches!(next.kind, Kind::Close(_)) {
                    continue;
                }
                indent_known = true;
                let gap = &b[t.end..next.start];
                if let Some(nl) = gap.iter().rposition(|&c| c == b'\n') {
                    let indent = String::from_utf8_lossy(&gap[nl + 1..]).into_owned();
                    // The first container may itself be indented: one level is the difference
                    // from its own line's indentation.
                    let line_start = b[..t.start]
                        .iter()
                        .rposition(|&c| c == b'\n')
                        .map_or(0, |p| p + 1);
                    let own = b[line_start..t.start]
                        .iter()
                        .take_while(|&&c| c == b' ' || c == b'\t')
                        .count();
                    let one = indent
                        .get(own.min(indent.len())..)
                        .unwrap_or("")
                        .to_string();
                    style.indent = Some(if one.is_empty() { indent } else { one });
                }
            }
            Kind::Comma if !comma_known => {
                comma_known = true;
                style.space_after_comma = b.get(t.end) == Some(&b' ');
            }
            Kind::Colon if !colon_known => {
                colon_known = true;
                style.space_after_colon = b.get(t.end).is_some_and(|&c| is_ws(c));
            }
            _ => {}
        }
        if (indent_known && comma_known && colon_known) || t.end > LOOK {
            break;
        }
    }
    if !indent_known {
        // Nothing tells (`{}`, a scalar): the store's default layout.
        return Style {
            trailing_newline: style.trailing_newline,
            ..Style::pretty()
        };
    }
    if !colon_known && style.indent.is_some() {
        style.space_after_colon = true;
    }
    if !comma_known && style.indent.is_none() {
        // One member: `{"a": 1}` is Python's layout, `{"a":1}` the compact one.
        style.space_after_comma = style.space_after_colon;
    }
    style
}

/// Writes the validated value `b` in `style`, as if it were nested `depth` levels deep.
/// Strings, numbers and literals are copied byte for byte.
pub fn reformat_into(b: &[u8], style: &Style, depth: usize, out: &mut Vec<u8>) {
    let mut depth = depth;
    let mut tokens = Tokens { b, i: 0 }.peekable();
    while let Some(t) = tokens.next() {
        match t.kind {
            Kind::Open(c) => {
                out.push(c);
                if let Some(Token {
                    kind: Kind::Close(close),
                    ..
                }) = tokens.peek().copied()
                {
                    out.push(close);
                    tokens.next();
                } else {
                    depth += 1;
                    style.newline(depth, out);
                }
            }
            Kind::Close(c) => {
                depth = depth.saturating_sub(1);
                style.newline(depth, out);
                out.push(c);
            }
            Kind::Comma => {
                out.push(b',');
                if style.indent.is_some() {
                    style.newline(depth, out);
                } else if style.space_after_comma {
                    out.push(b' ');
                }
            }
            Kind::Colon => {
                out.push(b':');
                if style.space_after_colon {
                    out.push(b' ');
                }
            }
            Kind::Scalar => out.extend_from_slice(&b[t.start..t.end]),
        }
    }
}

/// The validated value `b` in `style` at depth `depth`.
pub fn reformat(b: &[u8], style: &Style, depth: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 4);
    reformat_into(b, style, depth, &mut out);
    out
}

/// A whole document from validated JSON text, in `style` (with its trailing newline).
pub fn reformat_document(b: &[u8], style: &Style) -> Vec<u8> {
    let mut out = reformat(b, style, 0);
    if style.trailing_newline {
        out.push(b'\n');
    }
    out
}

/// The text of a JSON string literal for `s`.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The value of the validated string literal at `span` (quotes included). Lone surrogates
/// become U+FFFD (only used to compare keys).
pub fn unquote(b: &[u8], span: Range<usize>) -> Cow<'_, str> {
    let inner = &b[span.start + 1..span.end - 1];
    if !inner.contains(&b'\\') {
        return String::from_utf8_lossy(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    let hex = |at: usize| -> u32 {
        std::str::from_utf8(&inner[at..at + 4])
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .unwrap_or(0xFFFD)
    };
    while i < inner.len() {
        let c = inner[i];
        if c != b'\\' {
            let run = inner[i..]
                .iter()
                .position(|&x| x == b'\\')
                .map_or(inner.len(), |p| i + p);
            out.push_str(&String::from_utf8_lossy(&inner[i..run]));
            i = run;
            continue;
        }
        let e = inner[i + 1];
        i += 2;
        match e {
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let first = hex(i);
                i += 4;
                let code = if (0xD800..0xDC00).contains(&first)
                    && inner.get(i..i + 2) == Some(b"\\u")
                    && (0xDC00..0xE000).contains(&hex(i + 2))
                {
                    let second = hex(i + 2);
                    i += 6;
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            other => out.push(other as char),
        }
    }
    Cow::Owned(out)
}

/// A member of an object: the spans of its key (with quotes) and its value.
#[derive(Clone, Debug)]
pub struct Member {
    pub key: Range<usize>,
    pub value: Range<usize>,
}

/// The members of the validated object at `span`, in order, one at a time.
pub fn members(b: &[u8], span: Range<usize>) -> impl Iterator<Item = Member> + '_ {
    let mut i = span.start + 1;
    std::iter::from_fn(move || {
        i = skip_ws(b, i);
        if b.get(i) == Some(&b',') {
            i = skip_ws(b, i + 1);
        }
        if i >= span.end || b[i] != b'"' {
            return None;
        }
        let key = i..string_end(b, i);
        let colon = skip_ws(b, key.end);
        let start = skip_ws(b, colon + 1);
        let end = value_end(b, start);
        i = end;
        Some(Member {
            key,
            value: start..end,
        })
    })
}

/// The elements of the validated array at `span`, in order.
pub fn elements(b: &[u8], span: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut i = span.start + 1;
    std::iter::from_fn(move || {
        i = skip_ws(b, i);
        if b.get(i) == Some(&b',') {
            i = skip_ws(b, i + 1);
        }
        if i >= span.end || b[i] == b']' {
            return None;
        }
        let start = i;
        i = value_end(b, start);
        Some(start..i)
    })
}

/// The value of the last member named `key` of the object at `span`.
pub fn member(b: &[u8], span: Range<usize>, key: &str) -> Option<Member> {
    members(b, span)
        .filter(|m| unquote(b, m.key.clone()) == key)
        .last()
}

/// An array index token of a JSON pointer (`0`, `12`; no sign, no leading zero).
pub fn pointer_index(token: &str) -> Option<usize> {
    let valid = !token.is_empty()
        && token.bytes().all(|c| c.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    valid.then(|| token.parse().ok()).flatten()
}

/// The reference tokens of a JSON pointer (RFC 6901); `""` is the whole document.
pub fn pointer_tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer[1..]
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The span of the value at `pointer` in the validated document `b`, and its depth.
pub fn lookup(b: &[u8], tokens: &[String]) -> Option<(Range<usize>, usize)> {
    let mut span = root(b);
    for token in tokens {
        span = match b[span.start] {
            b'{' => member(b, span, token)?.value,
            b'[' => elements(b, span).nth(pointer_index(token)?)?,
            _ => return None,
        };
    }
    Some((span, tokens.len()))
}

/// A replacement of `range` of a document by `text` (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: Vec<u8>,
}

/// Applies non-overlapping edits to `b`.
pub fn apply(b: &[u8], mut edits: Vec<Edit>) -> Vec<u8> {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let added: usize = edits.iter().map(|e| e.text.len()).sum();
    let mut out = Vec::with_capacity(b.len() + added);
    let mut at = 0;
    for e in edits {
        out.extend_from_slice(&b[at..e.range.start.max(at)]);
        out.extend_from_slice(&e.text);
        at = at.max(e.range.end);
    }
    out.extend_from_slice(&b[at..]);
    out
}

/// The text of new members (`"key": value` pairs, already rendered at `depth + 1`) added to the
/// object at `span` (nested `depth` deep), after its last remaining member `after` (the end of
/// that member's value) or as its only content.
pub fn insert_members(
    span: Range<usize>,
    after: Option<usize>,
    pairs: &[(String, Vec<u8>)],
    style: &Style,
    depth: usize,
) -> Edit {
    let mut text = Vec::new();
    for (n, (key, value)) in pairs.iter().enumerate() {
        if n > 0 || after.is_some() {
            text.push(b',');
            if style.indent.is_none() && style.space_after_comma {
                text.push(b' ');
            }
        }
        style.newline(depth + 1, &mut text);
        text.extend_from_slice(quote(key).as_bytes());
        text.push(b':');
        if style.space_after_colon {
            text.push(b' ');
        }
        text.extend_from_slice(value);
    }
    insert_at_end(after, span, text, style, depth)
}

/// The edit that puts `text` after the container's last item (ending at `after`), or, in an
/// empty container at `span`, in place of its inside with the closing bracket on its own line.
fn insert_at_end(
    after: Option<usize>,
    span: Range<usize>,
    mut text: Vec<u8>,
    style: &Style,
    depth: usize,
) -> Edit {
    match after {
        Some(end) => Edit {
            range: end..end,
            text,
        },
        None => {
            style.newline(depth, &mut text);
            Edit {
                range: span.start + 1..span.end - 1,
                text,
            }
        }
    }
}

/// Appends an element (rendered at `depth + 1`) to the array at `span`.
pub fn append_element(
    b: &[u8],
    span: Range<usize>,
    value: &[u8],
    style: &Style,
    depth: usize,
) -> Edit {
    let last = elements(b, span.clone()).last();
    let mut text = Vec::new();
    if last.is_some() {
        text.push(b',');
        if style.indent.is_none() && style.space_after_comma {
            text.push(b' ');
        }
    }
    style.newline(depth + 1, &mut text);
    text.extend_from_slice(value);
    insert_at_end(last.map(|l| l.end), span, text, style, depth)
}

/// `a + b` for JSON numbers: exact (any size) when both are integers, else in binary64 floating
/// point as Python adds an int and a float. Errors when the result is not a finite number.
pub fn add_numbers(a: &str, b: &str) -> Result<String, String> {
    let integer = |s: &str| !s.contains(['.', 'e', 'E']);
    if integer(a) && integer(b) {
        return Ok(add_integers(a, b));
    }
    let x: f64 = a.parse().map_err(|_| format!("`{a}` is not a number"))?;
    let y: f64 = b.parse().map_err(|_| format!("`{b}` is not a number"))?;
    let sum = x + y;
    if !x.is_finite() || !y.is_finite() || !sum.is_finite() {
        return Err(format!(
            "{a} + {b} is not a finite binary64 number (the largest is about 1.8e308)"
        ));
    }
    // Debug prints the shortest text that reads back as the same f64 (`0.1`, `1e16`, `2.0`).
    Ok(format!("{sum:?}"))
}

/// Exact sum of two integer literals (optional `-`, digits).
fn add_integers(a: &str, b: &str) -> String {
    let split = |s: &str| -> (bool, Vec<u8>) {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s),
        };
        // Least significant digit first.
        (neg, digits.bytes().rev().map(|c| c - b'0').collect())
    };
    let (na, da) = split(a);
    let (nb, db) = split(b);
    let cmp = |x: &[u8], y: &[u8]| {
        let trim = |v: &[u8]| v.len() - v.iter().rev().take_while(|&&d| d == 0).count();
        let (lx, ly) = (trim(x), trim(y));
        lx.cmp(&ly)
            .then_with(|| x[..lx].iter().rev().cmp(y[..ly].iter().rev()))
    };
    let (neg, digits) = if na == nb {
        let mut out = Vec::with_capacity(da.len().max(db.len()) + 1);
        let mut carry = 0;
        for i in 0..da.len().max(db.len()) {
            let s = da.get(i).copied().unwrap_or(0) + db.get(i).copied().unwrap_or(0) + carry;
            out.push(s % 10);
            carry = s / 10;
        }
        if carry > 0 {
            out.push(carry);
        }
        (na, out)
    } else {
        // |big| - |small|, with the sign of the bigger magnitude.
        let (big, small, neg) = if cmp(&da, &db) == std::cmp::Ordering::Less {
            (&db, &da, nb)
        } else {
            (&da, &db, na)
        };
        let mut out = Vec::with_capacity(big.len());
        let mut borrow = 0i8;
        for (i, &digit) in big.iter().enumerate() {
            let mut d = digit as i8 - small.get(i).copied().unwrap_or(0) as i8 - borrow;
            borrow = i8::from(d < 0);
            if d < 0 {
                d += 10;
            }
            out.push(d as u8);
        }
        (neg, out)
    };
    let mut text: String = digits
        .iter()
        .rev()
        .skip_while(|&&d| d == 0)
        .map(|&d| char::from(b'0' + d))
        .collect();
    if text.is_empty() {
        return "0".to_string();
    }
    if neg {
        text.insert(0, '-');
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds_exactly() {
        assert_eq!(
            add_numbers("9223372036854775807", "1").unwrap(),
            "9223372036854775808"
        );
        assert_eq!(
            add_numbers("18446744073709551617", "-18446744073709551618").unwrap(),
            "-1"
        );
        assert_eq!(add_numbers("-5", "5").unwrap(), "0");
        assert_eq!(add_numbers("-0", "0").unwrap(), "0");
        assert_eq!(add_numbers("100", "-1").unwrap(), "99");
        assert_eq!(add_numbers("0.1", "0.2").unwrap(), "0.30000000000000004");
        assert_eq!(add_numbers("5", "1e19").unwrap(), "1e19");
        assert_eq!(add_numbers("2", "0.5").unwrap(), "2.5");
        assert!(add_numbers("1.7e308", "1e308").is_err());
    }

    use super::*;

    #[test]
    fn validates_like_the_rfc() {
        for ok in [
            "0",
            "-0",
            "1.5e-3",
            "\"\\u00e9\\ud83d\"",
            "[]",
            "{}",
            " {\"a\": [1, {\"b\": null}]} ",
            "18446744073709551617",
        ] {
            assert!(validate(ok.as_bytes()).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "01",
            "1.",
            "-",
            "[1,]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "[1",
            "\"a",
            "tru",
            "{} {}",
            "\"\u{1}\"",
            "{1: 2}",
            "[1 2]",
            "NaN",
        ] {
            assert!(validate(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(validate(b"[1, 2").unwrap_err().offset, 5);
    }

    #[test]
    fn any_depth_without_recursion() {
        let n = 1_000_000;
        let text = format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(validate(text.as_bytes()).unwrap().max_depth, n);
        assert_eq!(
            reformat(text.as_bytes(), &Style::compact(), 0),
            text.as_bytes()
        );
    }

    #[test]
    fn detects_and_keeps_layouts() {
        let compact = br#"{"b":1,"a":[1,2],"c":{}}"#;
        let style = detect_style(compact);
        assert_eq!(style, Style::compact());
        assert_eq!(reformat(compact, &style, 0), compact);
        let python = br#"{"b": 1, "a": [1, 2]}"#;
        assert_eq!(reformat(python, &detect_style(python), 0), python);
        let pretty = b"{\n    \"b\": 1,\n    \"a\": [\n        1\n    ]\n}\n";
        let style = detect_style(pretty);
        assert_eq!(style.indent.as_deref(), Some("    "));
        assert!(style.trailing_newline);
        assert_eq!(reformat_document(pretty, &style), pretty);
    }

    #[test]
    fn navigates_by_pointer() {
        let doc = br#"{"a": {"b~/c": [10, 20]}, "a": {"x": 1}}"#;
        let (span, _) = lookup(doc, &pointer_tokens("/a/x")).unwrap();
        assert_eq!(&doc[span], b"1");
        let doc = br#"{"k\u00e9": [10, 20]}"#;
        let (span, depth) = lookup(doc, &pointer_tokens("/k\u{e9}/1")).unwrap();
        assert_eq!((&doc[span], depth), (&b"20"[..], 2));
        assert!(lookup(doc, &pointer_tokens("/k\u{e9}/01")).is_none());
    }
}
