//! Arbitrary bytes as a store document, through everything the store and `swarmcheck store` do
//! with one: the syntax check (the corruption verdict), layout detection, rewriting in a
//! layout, typed decoding, member and element walks, pointer lookups and `--incr` arithmetic.
//! Any panic, stack overflow or runaway allocation is a bug; so is a rewrite that is not
//! valid JSON or that changes the value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use swarmcheck::store::{json_text, Document, RawJson, Style};

/// Nodes visited per input by the walk (inputs are small; this bounds the work anyway).
const WALK_BUDGET: usize = 20_000;

fuzz_target!(|data: &[u8]| {
    // The verdict the store gives a document read from disk: valid, or corrupt.
    let Ok(raw) = RawJson::new(data.to_vec()) else {
        return;
    };
    let info = json_text::validate(data).expect("RawJson::new accepted it");
    let typed = <Value as Document>::decode(data.to_vec(), &info).ok();

    // Every layout the store writes keeps the text valid, its depth, and its value.
    let own = json_text::detect_style(data);
    for style in [own.clone(), Style::pretty(), Style::compact()] {
        let out = json_text::reformat_document(data, &style);
        let out_info = json_text::validate(&out)
            .unwrap_or_else(|e| panic!("rewritten in {style:?}, the document is not JSON: {e:?}"));
        assert_eq!(out_info.max_depth, info.max_depth);
        if let Some(value) = &typed {
            let again = <Value as Document>::decode(out.clone(), &out_info)
                .expect("a rewritten document decodes as its original did");
            assert_eq!(&again, value, "rewriting in {style:?} changed the value");
        }
        let via_raw = RawJson::in_style(raw.as_bytes(), &style).expect("valid");
        assert_eq!(via_raw.as_bytes(), &out[..]);
    }

    // Walk the tree as the CLI's pointer edits do, without recursion (inputs can be deep).
    let mut stack = vec![(json_text::root(data), 0usize)];
    let mut budget = WALK_BUDGET;
    while let Some((span, depth)) = stack.pop() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        let text = &data[span.clone()];
        match text.first() {
            Some(b'{') => {
                for m in json_text::members(data, span.clone()) {
                    let key = json_text::unquote(data, m.key.clone());
                    // The last member of a name is its value (as Python's `json` reads it).
                    let found = json_text::member(data, span.clone(), &key)
                        .expect("a member's own key finds a member");
                    assert!(
                        found.key.start >= m.key.start,
                        "member() missed a later duplicate"
                    );
                    assert_eq!(json_text::unquote(data, found.key.clone()), key);
                    if depth == 0 {
                        let tokens = vec![key.into_owned()];
                        assert!(json_text::lookup(data, &tokens).is_some());
                    }
                    stack.push((m.value, depth + 1));
                }
            }
            Some(b'[') => {
                for (i, e) in json_text::elements(data, span.clone()).enumerate() {
                    if depth == 0 {
                        let tokens = vec![i.to_string()];
                        let (at, _) = json_text::lookup(data, &tokens).expect("an index finds it");
                        assert_eq!(at, e);
                    }
                    stack.push((e, depth + 1));
                }
            }
            Some(b'"') => {
                let s = json_text::unquote(data, span.clone());
                let quoted = json_text::quote(&s);
                assert!(
                    json_text::validate(quoted.as_bytes()).is_ok(),
                    "quote() of {s:?}"
                );
            }
            Some(_) => {
                let number = std::str::from_utf8(text).expect("validated UTF-8");
                if json_text::is_number(number) {
                    for by in ["1", "-1", "0.5", "1e308"] {
                        if let Ok(sum) = json_text::add_numbers(number, by) {
                            assert!(json_text::is_number(&sum), "{number} + {by} = {sum}");
                        }
                    }
                }
            }
            None => {}
        }
    }
});
