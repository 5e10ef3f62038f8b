//! The CI output formats against what their consumers document: JUnit XML (parsed as XML, the
//! element and attribute names test reporters read), GitLab Code Quality (the required keys and
//! severity values of GitLab's documentation), reviewdog's rdjson (the Diagnostic Format's
//! fields, with UTF-8 byte columns) and pylint's parseable lines.

mod common;
use common::*;
use std::collections::HashSet;

/// Two JSON files updated without a lock; the second path holds XML-hostile characters, and the
/// leaked handle on the last line sits after a two-byte character.
const SOURCE: &str = concat!(
    crate::bump_without_lock!(),
    "
def tag():
    with open('state/<a&b>.json') as f:
        data = json.load(f)
    data['t'] = 1
    with open('state/<a&b>.json', 'w') as f:
        json.dump(data, f)

while True:
    threading.Thread(target=bump, args=('state/counter.json',)).start()
    threading.Thread(target=tag).start()

label = 'é'; handle = open('log.txt')
"
);

fn project() -> Project {
    let p = Project::new();
    p.write("app.py", SOURCE);
    p
}

fn findings(p: &Project) -> Vec<serde_json::Value> {
    let out = p.run(&["check", ".", "--no-cache", "--output-format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"].as_array().unwrap().clone()
}

fn render(p: &Project, format: &str) -> String {
    let out = p.run(&["check", ".", "--no-cache", "--output-format", format]);
    assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn junit_is_xml_with_one_failed_case_per_finding() {
    let p = project();
    let all = findings(&p);
    assert!(all.len() >= 3, "{all:#?}");
    let text = render(&p, "junit");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests").unwrap(), all.len().to_string());
    assert_eq!(root.attribute("failures").unwrap(), all.len().to_string());
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), all.len());
    for (case, f) in cases.iter().zip(&all) {
        assert_eq!(case.attribute("file"), f["path"].as_str());
        assert_eq!(case.attribute("line").unwrap(), f["line"].to_string());
        let failure = case.children().find(|n| n.has_tag_name("failure")).unwrap();
        assert_eq!(failure.attribute("type"), f["code"].as_str());
        // Escaping round-trips: the reader sees the message as it was.
        assert_eq!(failure.attribute("message"), f["message"].as_str());
    }
    assert!(all
        .iter()
        .any(|f| f["message"].as_str().unwrap().contains("<a&b>")));

    let clean = Project::new();
    clean.write("ok.py", "x = 1\n");
    let out = clean.run(&["check", ".", "--no-cache", "--output-format", "junit"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 1, "a clean scan is one passing case");
    assert!(cases[0].children().all(|n| !n.has_tag_name("failure")));
}

#[test]
fn gitlab_code_quality_has_the_documented_keys() {
    let p = project();
    let all = findings(&p);
    let issues: Vec<serde_json::Value> = serde_json::from_str(&render(&p, "gitlab")).unwrap();
    assert_eq!(issues.len(), all.len());
    let mut fingerprints = HashSet::new();
    for (issue, f) in issues.iter().zip(&all) {
        assert!(issue["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(issue["check_name"], f["code"]);
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap()),
            "{issue}"
        );
        assert!(fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_string()));
        assert_eq!(issue["location"]["path"], f["path"]);
        assert_eq!(issue["location"]["lines"]["begin"], f["line"]);
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn rdjson_counts_columns_in_utf8_bytes() {
    let p = project();
    let all = findings(&p);
    let doc: serde_json::Value = serde_json::from_str(&render(&p, "rdjson")).unwrap();
    assert_eq!(doc["source"]["name"], "swarmcheck");
    let diags = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), all.len());
    for (d, f) in diags.iter().zip(&all) {
        assert!(["ERROR", "WARNING", "INFO"].contains(&d["severity"].as_str().unwrap()));
        assert_eq!(d["code"]["value"], f["code"]);
        assert_eq!(d["location"]["path"], f["path"]);
        let start = &d["location"]["range"]["start"];
        assert_eq!(start["line"], f["line"]);
        assert!(start["column"].as_u64().unwrap() >= 1);
        assert!(d["message"].is_string());
    }
    // The handle opened after `'é'`: one character, two bytes.
    let (d, f) = diags
        .iter()
        .zip(&all)
        .find(|(_, f)| f["code"] == "SWC301")
        .expect("the leaked handle is reported");
    let chars = f["column"].as_u64().unwrap();
    let bytes = d["location"]["range"]["start"]["column"].as_u64().unwrap();
    assert_eq!(bytes, chars + 1, "{d}");
    let line = SOURCE
        .lines()
        .nth(f["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    assert!(
        line.as_bytes()[bytes as usize - 1..].starts_with(b"open("),
        "{line}"
    );
}

#[test]
fn pylint_lines_parse_as_pylint_output() {
    let p = project();
    let all = findings(&p);
    let text = render(&p, "pylint");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), all.len());
    for (line, f) in lines.iter().zip(&all) {
        // path:line: [MSGID(symbol), obj] message
        let (head, message) = line.split_once(", ] ").expect(line);
        let (location, id) = head.split_once(": [").expect(line);
        let (path, number) = location.rsplit_once(':').unwrap();
        assert_eq!(path, f["path"].as_str().unwrap());
        assert_eq!(number, f["line"].to_string());
        assert_eq!(
            id,
            format!(
                "{}({})",
                f["code"].as_str().unwrap(),
                f["name"].as_str().unwrap()
            )
        );
        assert_eq!(message, f["message"].as_str().unwrap());
    }
}
