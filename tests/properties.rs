//! Property tests for the pieces with algebra: fingerprints under line moves, noqa parsing,
//! percentiles, time parsing.

use proptest::prelude::*;
use swarmcheck::lint::settings::LintSettings;
use swarmcheck::lint::{check_source, noqa};
use swarmcheck::obs::lock_report::percentiles;
use swarmcheck::obs::slo::eval::{error_budget, Series};
use swarmcheck::rules::RuleSet;

fn fingerprints(source: &str) -> Vec<(String, String)> {
    let settings = LintSettings::default();
    let (findings, _) = check_source(source.as_bytes(), "m.py", false, RuleSet::all(), &settings);
    let mut out: Vec<(String, String)> = findings
        .into_iter()
        .map(|f| (f.code.to_string(), f.fingerprint))
        .collect();
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Inserting blank lines and comments anywhere (between statements) keeps every fingerprint.
    #[test]
    fn fingerprints_survive_line_moves(padding in proptest::collection::vec(0usize..4, 4)) {
        let stmts = [
            "def load(p):\n    f = open(p)\n    return f.read()\n",
            "def keep(p):\n    g = open(p)\n    return g.read()\n",
            "x = open('a')\n",
            "y = open('b')\n",
        ];
        let base: String = stmts.concat();
        let mut moved = String::new();
        for (stmt, pad) in stmts.iter().zip(&padding) {
            for i in 0..*pad {
                moved.push_str(if i % 2 == 0 { "\n" } else { "# a comment\n" });
            }
            moved.push_str(stmt);
        }
        let a = fingerprints(&base);
        prop_assert_eq!(a.len(), 4);
        prop_assert_eq!(a, fingerprints(&moved));
    }

    /// Any comment text parses without panicking, and coded directives list what was written.
    #[test]
    fn noqa_parsing_is_total(text in "\\PC{0,40}") {
        let mut file = noqa::FileExemption::None;
        let _ = noqa::parse_comment(&format!("#{text}"), 0, &mut file);
    }

    #[test]
    fn noqa_codes_round_trip(codes in proptest::collection::vec("SWC[0-9]{3}", 1..4), sep in prop_oneof![Just(","), Just(", "), Just(" ")]) {
        let comment = format!("# noqa: {}", codes.join(sep));
        let mut file = noqa::FileExemption::None;
        let directive = noqa::parse_comment(&comment, 0, &mut file).expect("a directive");
        let parsed: Vec<String> = directive.codes.expect("codes").into_iter().map(|(c, _)| c).collect();
        prop_assert_eq!(parsed, codes);
    }

    /// Percentiles are ordered, taken from the data, and `max` is the maximum.
    #[test]
    fn percentiles_are_ordered_members(values in proptest::collection::vec(0.0f64..1e6, 1..200)) {
        let mut v = values.clone();
        let p = percentiles(&mut v).expect("non-empty");
        prop_assert!(p.p50 <= p.p95 && p.p95 <= p.p99 && p.p99 <= p.max);
        for x in [p.p50, p.p95, p.p99, p.max] {
            prop_assert!(values.contains(&x));
        }
        prop_assert_eq!(p.max, values.iter().cloned().fold(f64::MIN, f64::max));
    }

    /// RFC 3339 timestamps in UTC parse to the same instant whatever the fraction digits.
    #[test]
    fn utc_timestamps_parse(secs in 0i64..4_000_000_000, millis in 0i64..1000) {
        let dt = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(secs * 1000 + millis).unwrap();
        for format in [chrono::SecondsFormat::Millis, chrono::SecondsFormat::Micros] {
            let text = dt.to_rfc3339_opts(format, true);
            prop_assert_eq!(swarmcheck::obs::load::parse_time(&text), Some(secs * 1000 + millis));
        }
    }

    /// Window counts from the prefix sums equal a brute-force count over `(now - w, now]`, and
    /// a longer window never holds fewer events or fewer bad ones.
    #[test]
    fn window_counts_match_brute_force(
        mut events in proptest::collection::vec((0i64..10_000, any::<bool>()), 0..300),
        now in 0i64..12_000,
        w1 in 1i64..5_000,
        extra in 0i64..5_000,
    ) {
        events.sort_by_key(|e| e.0);
        let series = Series::new(events.iter().copied());
        let brute = |w: i64| {
            let inside: Vec<_> = events.iter().filter(|(t, _)| *t > now - w && *t <= now).collect();
            let bad = inside.iter().filter(|(_, b)| *b).count() as u64;
            (inside.len() as u64 - bad, inside.len() as u64)
        };
        let (g1, t1) = series.counts(now, w1);
        prop_assert_eq!((g1, t1), brute(w1));
        let (g2, t2) = series.counts(now, w1 + extra);
        prop_assert!(t2 >= t1 && t2 - g2 >= t1 - g1);
    }

    /// A burn rate of exactly 1 spends the budget over the window: error ratio = 1 - objective.
    /// Above 1/(1 - objective) no burn rate is possible, which is what `slo validate` warns of.
    #[test]
    fn burn_rate_is_error_ratio_over_budget(objective_per_mille in 900u32..999, bad in 0u64..1000, total in 1u64..1000) {
        let objective = f64::from(objective_per_mille) / 1000.0;
        let bad = bad.min(total);
        let budget = error_budget(objective);
        prop_assert!((budget - (1.0 - objective)).abs() < 1e-9);
        let burn = (bad as f64 / total as f64) / budget;
        prop_assert!(burn <= 1.0 / budget + 1e-9);
        // Spending exactly the allowed share burns at 1x.
        let at_budget = ((1.0 - objective) * total as f64) / total as f64 / budget;
        prop_assert!((at_budget - 1.0).abs() < 1e-6);
    }
}
