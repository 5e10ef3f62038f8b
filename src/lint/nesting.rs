//! A guard against source the recursive parser and visitors cannot handle safely: expressions
//! nested (by brackets, or by chains of operators, which parse as nested nodes) tens of
//! thousands deep. CPython itself rejects such code (200 nested brackets; recursion limits in
//! the compiler), so swarmcheck reports it as SWC000 instead of risking the process.

use ruff_python_ast::token::TokenKind;
use ruff_python_parser::{lexer, Mode};

/// Deeper than this is reported, not parsed. Real code stays far below (CPython: 200 brackets).
pub const MAX_NESTING: usize = 5_000;

/// Only files that could be this deep pay for the token scan: large files or very long lines.
/// Below both limits, chains of 500,000 levels (brackets across lines, operators, attributes)
/// were analyzed without trouble on the analysis threads' stack.
const SCAN_ABOVE_BYTES: usize = 1024 * 1024;
const SCAN_ABOVE_LINE: usize = 8 * 1024;

/// `Some(depth)` when the estimated nesting of some expression exceeds [`MAX_NESTING`].
pub fn too_deep(source: &str) -> Option<usize> {
    if !might_be_deep(source.as_bytes()) {
        return None;
    }
    let depth = estimate(source);
    (depth > MAX_NESTING).then_some(depth)
}

/// A cheap scan (SIMD newline search): large files, or a line longer than the limit.
fn might_be_deep(bytes: &[u8]) -> bool {
    if bytes.len() > SCAN_ABOVE_BYTES {
        return true;
    }
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
        if nl - start > SCAN_ABOVE_LINE {
            return true;
        }
        start = nl + 1;
    }
    false
}

/// Upper bound of expression depth: bracket depth plus the longest run of operators, dots and
/// call/subscript trailers between separators (commas, colons, newlines) at one bracket level.
fn estimate(source: &str) -> usize {
    let mut lexer = lexer::lex(source, Mode::Module);
    let mut runs: Vec<usize> = vec![0];
    let mut max = 0usize;
    loop {
        let kind = lexer.next_token();
        match kind {
            TokenKind::EndOfFile => break,
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace => {
                *runs.last_mut().expect("never empty") += 1;
                runs.push(0);
            }
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace if runs.len() > 1 => {
                runs.pop();
            }
            TokenKind::Comma
            | TokenKind::Colon
            | TokenKind::Semi
            | TokenKind::Newline
            | TokenKind::Equal => *runs.last_mut().expect("never empty") = 0,
            k if k.is_operator()
                || matches!(
                    k,
                    TokenKind::If | TokenKind::Else | TokenKind::Lambda | TokenKind::Await
                ) =>
            {
                *runs.last_mut().expect("never empty") += 1;
            }
            _ => {}
        }
        let depth = runs.len() + runs.last().copied().unwrap_or(0);
        max = max.max(depth);
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_code_is_shallow() {
        let src = "x = {'a': [1, -2, 3], 'b': f(g(h(1)))}\ny = a.b.c + d * e\n".repeat(20_000);
        assert!(too_deep(&src).is_none());
    }

    #[test]
    fn operator_chains_and_brackets_are_deep() {
        assert!(too_deep(&format!("x = {}\n", vec!["1"; 10_000].join("+"))).is_some());
        assert!(too_deep(&format!("x = {}1\n", "-".repeat(10_000))).is_some());
        assert!(too_deep(&format!(
            "x = {}1{}\n",
            "(".repeat(6_000),
            ")".repeat(6_000)
        ))
        .is_some());
        assert!(too_deep(&format!("x = a{}\n", ".b".repeat(6_000))).is_some());
        assert!(too_deep(&format!(
            "x = {}1{}\n",
            "(".repeat(1_000),
            ")".repeat(1_000)
        ))
        .is_none());
    }
}
