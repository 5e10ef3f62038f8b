//! The HTML report (`slo` and `lock.report` with `--output-format html`): the page parses as
//! HTML5 without errors, every chart is well-formed SVG, nothing is fetched from the network,
//! every objective has its section, the summary is in order of urgency, rule links resolve,
//! and the page does not grow with the number of events.

mod common;
use common::*;
use std::collections::HashSet;
use std::fmt::Write as _;

fn demo() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo-swarm").to_string()
}

fn html_of(p: &Project, args: &[&str]) -> String {
    let out = p.run(args);
    assert!(
        matches!(code(&out), 0 | 1),
        "exit {}: {}",
        code(&out),
        stderr(&out)
    );
    std::fs::read_to_string(p.path().join("report.html")).unwrap()
}

/// Parses the page as a browser would; a structural error fails the test.
fn parse(html: &str) -> scraper::Html {
    let doc = scraper::Html::parse_document(html);
    assert!(
        doc.errors.is_empty(),
        "HTML5 parse errors: {:?}",
        doc.errors
    );
    doc
}

fn select<'a>(doc: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let s = scraper::Selector::parse(css).unwrap();
    doc.select(&s).collect()
}

/// Every inline SVG, checked as XML.
fn assert_svgs_well_formed(html: &str) -> usize {
    let mut n = 0;
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("an <svg> is closed") + start + 6;
        let svg = &rest[start..end];
        if let Err(e) = roxmltree::Document::parse(svg) {
            panic!(
                "SVG #{n} is not well-formed XML: {e}\n{}",
                &svg[..svg.len().min(400)]
            );
        }
        n += 1;
        rest = &rest[end..];
    }
    n
}

/// Nothing is loaded from the network: no script, no stylesheet link, no remote src/href or
/// url(); the only http URL is the SVG namespace name, which is never fetched.
fn assert_self_contained(doc: &scraper::Html, html: &str) {
    assert!(select(doc, "script, link, iframe, object, embed").is_empty());
    for el in select(doc, "[src], [href]") {
        for attr in ["src", "href"] {
            if let Some(v) = el.value().attr(attr) {
                assert!(v.starts_with('#'), "{attr}={v} leaves the page");
            }
        }
    }
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_ns.contains("http://"), "an http:// reference");
    assert!(!without_ns.contains("https://"), "an https:// reference");
    assert!(!without_ns.contains("url("), "a CSS url()");
}

/// The checks every page passes: HTML5 without parse errors, self-contained, every SVG
/// well-formed. Returns the parsed page and its number of charts.
fn assert_valid_page(html: &str) -> (scraper::Html, usize) {
    let doc = parse(html);
    assert_self_contained(&doc, html);
    let svgs = assert_svgs_well_formed(html);
    (doc, svgs)
}

#[test]
fn the_demo_slo_page_has_every_objective_in_order_of_urgency() {
    let p = Project::new();
    let html = html_of(
        &p,
        &[
            "slo",
            &demo(),
            "--output-format",
            "html",
            "-o",
            "report.html",
        ],
    );
    let (doc, svgs) = assert_valid_page(&html);

    let out = p.run(&["slo", &demo(), "--output-format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let objectives = report["objectives"].as_array().unwrap();
    let sections = select(&doc, "section.objective");
    assert_eq!(sections.len(), objectives.len());
    for (o, section) in objectives.iter().zip(&sections) {
        let title = section
            .select(&scraper::Selector::parse("h2").unwrap())
            .next()
            .unwrap();
        let text: String = title.text().collect();
        assert!(text.starts_with(o["name"].as_str().unwrap()), "{text}");
        assert!(
            section.value().classes().any(|c| c == "objective"),
            "section class"
        );
    }
    // Three charts per SLO with events (budget, burn rate, strip), plus locks and swarm.
    assert!(svgs >= 3 * 4 + 2, "only {svgs} charts");

    // Tiles: every objective once, P1 alerts first, the meeting objective last; each links
    // to its section.
    let tiles = select(&doc, "nav.tiles a.tile");
    assert_eq!(tiles.len(), objectives.len());
    let ids: HashSet<&str> = sections.iter().filter_map(|s| s.value().id()).collect();
    let rank = |name: &str| {
        let o = objectives.iter().find(|o| o["name"] == name).unwrap();
        let alert = match o["alert"]["priority"].as_str() {
            Some("p1") => 1,
            Some("p2") => 2,
            Some("p3") => 3,
            _ => 9,
        };
        let verdict = match o["verdict"].as_str().unwrap() {
            "violating" => 0,
            "at_risk" => 1,
            "no_data" => 2,
            _ => 3,
        };
        (alert, verdict)
    };
    let mut last = (0, 0);
    for t in &tiles {
        let href = t.value().attr("href").unwrap();
        assert!(ids.contains(&href[1..]), "tile link {href} has no target");
        let name: String = t
            .select(&scraper::Selector::parse("b").unwrap())
            .next()
            .unwrap()
            .text()
            .collect();
        let r = rank(&name);
        assert!(r >= last, "{name} is out of order");
        last = r;
    }
    let first: String = tiles[0].text().collect();
    assert!(first.contains("P1"), "the first tile raises a P1: {first}");

    // Each rule in the findings table links to its embedded documentation.
    let rule_links = select(&doc, "#findings a[href^=\"#rule-\"]");
    assert!(!rule_links.is_empty());
    for a in rule_links {
        let target = &a.value().attr("href").unwrap()[1..];
        let doc_block = select(&doc, &format!("#{target} pre"));
        assert_eq!(doc_block.len(), 1, "no documentation for {target}");
        let code = target.trim_start_matches("rule-");
        let text: String = doc_block[0].text().collect();
        let rule = p.run(&["rule", code]);
        assert_eq!(
            text,
            stdout(&rule),
            "the page shows `swarmcheck rule {code}`"
        );
    }

    // The swarm section draws every agent of the pulse history as a row.
    let swarm: String = select(&doc, "#swarm")[0].html();
    for agent in ["Agent-1", "Agent-6"] {
        assert!(swarm.contains(agent), "{agent} missing from the timeline");
    }
    // The wait histogram marks the latency objective (500 ms in the demo).
    let locks: String = select(&doc, "#locks")[0].html();
    assert!(locks.contains("objective 500ms"));
    assert!(locks.contains("p99"));
    // The memory objective lists each agent process, and Agent-3's suspects.
    let memory: String = select(&doc, "section.objective")
        .into_iter()
        .map(|s| s.html())
        .find(|h| h.contains("agent-memory"))
        .expect("the agent-memory objective has a section");
    assert_eq!(memory.matches("<tr><td>Agent-").count(), 6, "{memory}");
    assert!(
        memory.contains("SWC102 ") && memory.contains("demo-swarm/swarm/agent.py:12"),
        "{memory}"
    );
}

#[test]
fn the_lock_report_page_stands_alone() {
    let p = Project::new();
    let metrics = format!("{}/metrics/locks.jsonl", demo());
    let html = html_of(
        &p,
        &[
            "lock.report",
            "--metrics",
            &metrics,
            "--now",
            "2026-11-20T12:00:00Z",
            "--output-format",
            "html",
            "-o",
            "report.html",
        ],
    );
    let (doc, svgs) = assert_valid_page(&html);
    assert!(svgs >= 2);
    let rows = select(&doc, "#documents tr");
    // Header, three documents, the total.
    assert_eq!(rows.len(), 5);
    assert!(html.contains("state/task_queue.json"));
}

/// A log of `n` events over 30 days on four documents, 0.3% timeouts.
fn big_log(p: &Project, n: usize) {
    let mut text = String::with_capacity(n * 170);
    let end: i64 = 1_763_640_000_000; // 2025-11-20T12:00:00Z
    let span: i64 = 30 * 86_400_000;
    for i in 0..n {
        let t = end - span + (span * i as i64) / n as i64;
        let ts = chrono::DateTime::from_timestamp_millis(t)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let outcome = if i % 331 == 0 { "timeout" } else { "ok" };
        let _ = writeln!(
            text,
            "{{\"v\":1,\"ts\":\"{ts}\",\"op\":\"update\",\"path\":\"state/doc{}.json\",\"attempts\":1,\"wait_ms\":{},\"hold_ms\":1.0,\"outcome\":\"{outcome}\"}}",
            i % 4,
            (i * 7919) % 900
        );
    }
    p.write("locks.jsonl", text);
}

#[test]
fn the_page_does_not_grow_with_the_number_of_events() {
    let sizes: Vec<usize> = [2_000usize, 100_000]
        .iter()
        .map(|&n| {
            let p = Project::new();
            big_log(&p, n);
            let html = html_of(
                &p,
                &[
                    "slo",
                    ".",
                    "--metrics",
                    "locks.jsonl",
                    "--now",
                    "2025-11-20T12:00:00Z",
                    "--fail-on",
                    "never",
                    "--output-format",
                    "html",
                    "-o",
                    "report.html",
                ],
            );
            assert_valid_page(&html);
            html.len()
        })
        .collect();
    assert!(sizes[1] < 2 << 20, "{} bytes", sizes[1]);
    // Fifty times the events, at most a fifth larger: charts aggregate before drawing.
    assert!(
        (sizes[1] as f64) < sizes[0] as f64 * 1.2,
        "{} bytes for 2,000 events, {} for 100,000",
        sizes[0],
        sizes[1]
    );
}
