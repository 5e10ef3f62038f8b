//! The store's JSON text functions against serde_json: the same texts are valid, reformatting
//! keeps the value, and a layout survives being detected and written again.

use proptest::prelude::*;
use swarmcheck::store::json_text::{detect_style, reformat, validate, Style};

fn parse(text: &str) -> Result<serde_json::Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let v =
        serde::Deserialize::deserialize(&mut de).map_err(|e: serde_json::Error| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

/// Short strings over the characters that matter to JSON's grammar.
fn jsonish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{"),
            Just("}"),
            Just("["),
            Just("]"),
            Just(":"),
            Just(","),
            Just("\""),
            Just("\\"),
            Just(" "),
            Just("\n"),
            Just("0"),
            Just("1"),
            Just("-"),
            Just("."),
            Just("e"),
            Just("+"),
            Just("true"),
            Just("null"),
            Just("u00e9"),
            Just("a"),
            Just("\"k\":"),
            Just("\"s\""),
            Just("1.5e3"),
        ],
        0..16,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn accepts_exactly_what_serde_json_accepts(text in jsonish()) {
        let ours = validate(text.as_bytes()).is_ok();
        let theirs = parse(&text);
        prop_assert_eq!(ours, theirs.is_ok(), "{:?}: serde_json says {:?}", text, theirs);
    }

    #[test]
    fn reformatting_keeps_the_value_and_the_layout(text in jsonish()) {
        if let Ok(value) = parse(&text) {
            for style in [Style::pretty(), Style::compact(), Style { space_after_comma: true, ..Style::compact() }] {
                let out = reformat(text.as_bytes(), &style, 0);
                let again = String::from_utf8(out.clone()).unwrap();
                prop_assert_eq!(parse(&again).unwrap(), value.clone());
                let detected = detect_style(&out);
                prop_assert_eq!(reformat(&out, &detected, 0), out);
            }
        }
    }
}
