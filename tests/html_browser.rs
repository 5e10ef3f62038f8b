//! The demo's HTML report in a real browser: headless Chromium renders it in light and dark
//! colour schemes and prints it to PDF. The screenshots must have the asked size and not be
//! blank: the page's tiles and charts put enough distinct pixels on screen, the verdict
//! colours among them. Without Chromium the test says so loudly and passes, unless
//! `SWARMCHECK_REQUIRE_BROWSER=1` (set by `.ci/run`), where a missing browser fails it.
//! The light screenshot is kept at `target/demo-report.png` for a reviewer to look at.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 1600;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SWARMCHECK_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

/// Runs the browser with a time bound; a hung browser is killed and fails the test.
fn run_browser(browser: &Path, profile: &Path, args: &[String]) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            // CI runs as root, where Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the browser");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "browser exited with {status}");
            return;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Picture {
    width: u32,
    height: u32,
    rgb: Vec<[u8; 3]>,
}

fn decode(path: &Path) -> Picture {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|px| match channels {
            1 | 2 => [px[0]; 3],
            _ => [px[0], px[1], px[2]],
        })
        .collect();
    Picture {
        width: info.width,
        height: info.height,
        rgb,
    }
}

impl Picture {
    fn luminance(&self) -> (f64, f64) {
        let l: Vec<f64> = self
            .rgb
            .iter()
            .map(|p| 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64)
            .collect();
        let mean = l.iter().sum::<f64>() / l.len() as f64;
        let var = l.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / l.len() as f64;
        (mean, var)
    }

    /// Pixels within a small distance of `hex`.
    fn near(&self, hex: u32) -> usize {
        let c = [(hex >> 16) as u8, (hex >> 8) as u8, hex as u8];
        self.rgb
            .iter()
            .filter(|p| (0..3).all(|i| p[i].abs_diff(c[i]) <= 24))
            .count()
    }
}

#[test]
fn the_demo_report_renders_in_a_real_browser() {
    let Some(browser) = chromium() else {
        let msg = "Chromium not found (install the distribution's `chromium` package or set SWARMCHECK_CHROMIUM): the HTML report was NOT rendered in a browser";
        if std::env::var("SWARMCHECK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("{msg}, and SWARMCHECK_REQUIRE_BROWSER=1 requires it");
        }
        eprintln!("\n*** SKIPPED: {msg} ***\n");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("demo-report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args([
            "slo",
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo-swarm"),
        ])
        .args(["--output-format", "html", "-o"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");
    let size = format!("--window-size={WIDTH},{HEIGHT}");

    let light = dir.path().join("light.png");
    run_browser(
        &browser,
        &profile,
        &[
            size.clone(),
            format!("--screenshot={}", light.display()),
            url.clone(),
        ],
    );
    let dark = dir.path().join("dark.png");
    run_browser(
        &browser,
        &profile,
        &[
            size,
            // Blink's preferred colour scheme 0 is dark.
            "--blink-settings=preferredColorScheme=0".into(),
            format!("--screenshot={}", dark.display()),
            url.clone(),
        ],
    );
    let pdf = dir.path().join("demo.pdf");
    run_browser(
        &browser,
        &profile,
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
            url,
        ],
    );

    let l = decode(&light);
    assert_eq!((l.width, l.height), (WIDTH, HEIGHT));
    let (mean, var) = l.luminance();
    assert!(
        mean > 180.0,
        "a light page is mostly light (mean luminance {mean:.0})"
    );
    assert!(
        var > 300.0,
        "the page is nearly blank (luminance variance {var:.0})"
    );
    // The verdict colours of the tiles, badges and charts are on screen.
    assert!(
        l.near(0x2da44e) > 2_000,
        "green (meeting, good) barely shows"
    );
    assert!(l.near(0xcf222e) > 500, "red (violating, P1) barely shows");

    let d = decode(&dark);
    assert_eq!((d.width, d.height), (WIDTH, HEIGHT));
    let (dark_mean, dark_var) = d.luminance();
    assert!(
        dark_mean < 70.0,
        "the dark scheme is dark (mean luminance {dark_mean:.0})"
    );
    assert!(
        dark_var > 300.0,
        "the dark page is nearly blank ({dark_var:.0})"
    );

    let pdf_bytes = std::fs::read(&pdf).unwrap();
    assert!(pdf_bytes.starts_with(b"%PDF"), "not a PDF");
    let pages = pdf_bytes.windows(10).filter(|w| w == b"/Type /Pag").count();
    assert!(
        pdf_bytes.len() > 50_000 && pages >= 2,
        "the printout is too small"
    );

    let artifact = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../demo-report.png");
    std::fs::copy(&light, &artifact).unwrap();
    eprintln!("demo report screenshot: {}", artifact.display());
}
