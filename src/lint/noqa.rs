//! Suppression comments: `# noqa`, `# noqa: CODE[, CODE]` on a line, and
//! `# swarmcheck: noqa[: CODE, ...]` anywhere in a file. Comments come from the token stream, so
//! text inside string literals is never a directive.

use ruff_text_size::TextRange;

/// A `# noqa` on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineDirective {
    /// Range of the `noqa` directive inside the comment.
    pub range: TextRange,
    /// `None` for a bare `# noqa` (everything on the line); otherwise the codes, upper-cased,
    /// each with its range.
    pub codes: Option<Vec<(String, TextRange)>>,
}

/// Whole-file exemption from `# swarmcheck: noqa`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FileExemption {
    #[default]
    None,
    All,
    Codes(Vec<String>),
}

impl FileExemption {
    pub fn covers(&self, code: &str) -> bool {
        match self {
            FileExemption::None => false,
            FileExemption::All => true,
            FileExemption::Codes(codes) => codes.iter().any(|c| c == code),
        }
    }

    fn add(&mut self, codes: Option<Vec<String>>) {
        *self = match (std::mem::take(self), codes) {
            (FileExemption::All, _) | (_, None) => FileExemption::All,
            (FileExemption::None, Some(c)) => FileExemption::Codes(c),
            (FileExemption::Codes(mut old), Some(c)) => {
                old.extend(c);
                FileExemption::Codes(old)
            }
        };
    }
}

/// Parses one comment (text starting with `#`, at `offset` in the file). Returns a line
/// directive, or records a file exemption.
pub fn parse_comment(
    comment: &str,
    offset: u32,
    file: &mut FileExemption,
) -> Option<LineDirective> {
    let lower = comment.to_ascii_lowercase();
    if let Some(rest) = file_directive(&lower) {
        file.add(parse_codes(comment, rest, offset).map(|v| v.into_iter().map(|c| c.0).collect()));
        return None;
    }
    // The first `# noqa` inside the comment (it may follow other text: `# type: ignore  # noqa`).
    let mut search = 0;
    while let Some(found) = lower[search..].find("noqa") {
        let at = search + found;
        let before = lower[..at].trim_end_matches([' ', '\t']);
        if before.ends_with('#') {
            let end = at + 4;
            let codes = parse_codes(comment, end, offset);
            let directive_end = codes
                .as_ref()
                .and_then(|c| c.last())
                .map_or(offset + end as u32, |(_, r)| u32::from(r.end()));
            return Some(LineDirective {
                range: TextRange::new((offset + at as u32).into(), directive_end.into()),
                codes,
            });
        }
        search = at + 4;
    }
    None
}

/// Byte index just after `noqa` in `# swarmcheck: noqa`, if the comment is that directive.
fn file_directive(lower: &str) -> Option<usize> {
    let body = lower.strip_prefix('#')?;
    let trimmed = body.trim_start();
    let rest = trimmed.strip_prefix("swarmcheck:")?;
    let rest_trimmed = rest.trim_start();
    let rest_after = rest_trimmed.strip_prefix("noqa")?;
    if rest_after
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(lower.len() - rest_after.len())
}

/// Codes after `noqa` at byte `end`: `: CODE, CODE` (commas or spaces between codes).
fn parse_codes(comment: &str, end: usize, offset: u32) -> Option<Vec<(String, TextRange)>> {
    let bytes = comment.as_bytes();
    let mut i = end;
    while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
        i += 1;
    }
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let mut codes = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b',' || bytes[i] == b'\t') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let letters = i - start;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if letters == 0 || i == start + letters {
            break;
        }
        codes.push((
            comment[start..i].to_ascii_uppercase(),
            TextRange::new((offset + start as u32).into(), (offset + i as u32).into()),
        ));
    }
    // `# noqa:` with no code is treated as a bare `# noqa`, as flake8 does.
    (!codes.is_empty()).then_some(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(c: &str) -> Option<Option<Vec<String>>> {
        let mut file = FileExemption::None;
        parse_comment(c, 0, &mut file)
            .map(|d| d.codes.map(|v| v.into_iter().map(|x| x.0).collect()))
    }

    #[test]
    fn bare_and_coded() {
        assert_eq!(line("# noqa"), Some(None));
        assert_eq!(line("# noqa : SWC301"), Some(Some(vec!["SWC301".into()])));
        assert_eq!(line("# NOQA"), Some(None));
        assert_eq!(line("# noqa: SWC301"), Some(Some(vec!["SWC301".into()])));
        assert_eq!(
            line("# noqa:SWC301,swc102 trailing words"),
            Some(Some(vec!["SWC301".into(), "SWC102".into()]))
        );
        assert_eq!(
            line("# type: ignore  # noqa: SWC301 E501"),
            Some(Some(vec!["SWC301".into(), "E501".into()]))
        );
    }

    #[test]
    fn not_directives() {
        assert_eq!(line("# this is noqa-free"), None);
        assert_eq!(line("# see the noqa docs"), None);
    }

    #[test]
    fn file_level() {
        let mut file = FileExemption::None;
        assert!(parse_comment("# swarmcheck: noqa: SWC301", 0, &mut file).is_none());
        assert_eq!(file, FileExemption::Codes(vec!["SWC301".into()]));
        parse_comment("#swarmcheck:noqa", 0, &mut file);
        assert_eq!(file, FileExemption::All);
    }

    #[test]
    fn ranges_point_at_codes() {
        let mut file = FileExemption::None;
        let d = parse_comment("# noqa: SWC301", 10, &mut file).unwrap();
        let (code, range) = &d.codes.unwrap()[0];
        assert_eq!(code, "SWC301");
        assert_eq!(u32::from(range.start()), 18);
        assert_eq!(u32::from(range.end()), 24);
    }
}
