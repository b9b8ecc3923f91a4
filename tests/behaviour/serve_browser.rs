//! The what-if page in a real browser: Debian's Chromium, driven through `chromedriver`
//! (W3C WebDriver, spoken over plain HTTP on loopback by the small client below). The test
//! opens the page, picks `reference-tenth` from the list, changes the throughput with the
//! keyboard, and checks that the clear time shown is the one
//! `syncsim run --set sync.throughput=...` prints; an invalid value shows its error beside its field; every control is labelled.
//!
//! It measures, with `performance.now()` in the page, the time from a knob's change to the
//! result on screen (the answers and both dashboards loaded), for `reference-tenth.toml`
//! and `reference.toml`, and writes the figures and a screenshot of the result to
//! `target/serve-browser/` (CI keeps them). Nothing is asserted on time: the figures are
//! recorded in `docs/performance.md`. `SYNCSIM_BIN` names another binary to serve the page
//! (the release build, for those figures).
//!
//! Without Chromium and chromedriver the test is skipped with a note, and fails when `CI` is
//! set (`.ci/run` installs both).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::reports::{assert_not_blank, decode_png};
use super::serve::{request, Server};

/// The WebDriver key for Tab, which moves the focus on and so commits an edited value.
const TAB: &str = "\u{E004}";
/// Control, held until [`RELEASE`].
const CONTROL: &str = "\u{E009}";
/// Releases held keys.
const RELEASE: &str = "\u{E000}";

/// An executable on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A chromedriver and the session of one headless Chromium.
struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session; `None` (with a
    /// note) when they are not installed, a failure when `CI` is set.
    fn start() -> Option<Browser> {
        let (Some(chromium), Some(chromedriver)) = (
            on_path(&["chromium", "chromium-browser"]),
            on_path(&["chromedriver"]),
        ) else {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "CI is set but chromium or chromedriver is not installed; .ci/run installs \
                     them (apt-get install -y chromium chromium-driver)"
                );
            }
            eprintln!(
                "note: chromium or chromedriver not found, so the browser test of syncsim serve \
                 is skipped (install chromium and chromium-driver; with CI set this fails)"
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        let started = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && request(port, "GET", "/status", &browser.host(), b"").status == 200
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1600,1400",
        ]
        .into_iter()
        .map(String::from)
        .chain([format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        )])
        .collect::<Vec<_>>();
        let session = browser.command(
            "POST",
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium, "args": args},
            }}}),
        );
        browser.session = session["sessionId"].as_str().unwrap().to_string();
        Some(browser)
    }

    fn host(&self) -> Vec<(String, String)> {
        vec![("Host".into(), format!("127.0.0.1:{}", self.port))]
    }

    /// One WebDriver command; its `value`, or a panic with the driver's message.
    fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let body = if method == "GET" || method == "DELETE" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let reply = request(self.port, method, path, &self.host(), &body);
        let value: Value = serde_json::from_slice(&reply.body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}: {}", reply.text()));
        assert_eq!(reply.status, 200, "{method} {path}: {value}");
        value["value"].clone()
    }

    fn session(&self, method: &str, path: &str, body: Value) -> Value {
        self.command(method, &format!("/session/{}{path}", self.session), body)
    }

    fn goto(&self, url: &str) {
        self.session("POST", "/url", json!({ "url": url }));
    }

    /// Runs `script` in the page; returns what it returns.
    fn run(&self, script: &str) -> Value {
        self.session(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    /// The element `css` selects.
    fn find(&self, css: &str) -> String {
        let found = self.session(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    /// Clicks element `css`.
    fn click(&self, css: &str) {
        let id = self.find(css);
        self.session("POST", &format!("/element/{id}/click"), json!({}));
    }

    /// Types `keys` into element `css`, as a person would.
    fn type_into(&self, css: &str, keys: &str) {
        let id = self.find(css);
        self.session("POST", &format!("/element/{id}/click"), json!({}));
        self.session(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": keys }),
        );
    }

    /// Replaces the value of field `css` with `value` and moves on with Tab.
    fn set_field(&self, css: &str, value: &str) {
        self.type_into(css, &format!("{CONTROL}a{RELEASE}{value}{TAB}"));
    }

    /// Waits (at most two minutes) until `script` returns something other than false or
    /// null; returns it.
    fn wait_for(&self, script: &str) -> Value {
        let started = Instant::now();
        loop {
            let v = self.run(script);
            if !v.is_null() && v != Value::Bool(false) {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "waited in vain for: {script}; status: {}",
                self.run("return document.getElementById('status').textContent")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Completed runs shown so far.
    fn runs(&self) -> u64 {
        self.run("return Number(document.body.dataset.runs || '0')")
            .as_u64()
            .unwrap()
    }

    /// Waits for the next result after `before` runs; returns the time from the change to
    /// the result on screen and the server's part of it, in ms, as the page measured them.
    fn next_result(&self, before: u64) -> (u64, u64) {
        let both = self.wait_for(&format!(
            "return Number(document.body.dataset.runs || '0') > {before} && \
             [document.body.dataset.lastMs, document.body.dataset.serverMs]"
        ));
        let ms = |i: usize| both[i].as_str().unwrap().parse().unwrap();
        (ms(0), ms(1))
    }

    fn screenshot(&self, path: &Path) {
        let encoded = self.session("GET", "/screenshot", Value::Null);
        std::fs::write(path, base64_decode(encoded.as_str().unwrap())).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ =
                std::panic::catch_unwind(|| request(self.port, "DELETE", &path, &self.host(), b""));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64, as WebDriver sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let v: Vec<u32> = chunk.iter().map(|&c| value(c) as u32).collect();
        let n = v
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, x)| acc | x << (18 - 6 * i));
        out.extend(n.to_be_bytes()[1..chunk.len()].iter());
    }
    out
}

/// The clear time `syncsim run FILE --set sync.throughput=T` prints: `3.98 h`.
fn cli_clear_time(file: &str, throughput: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("syncsim")
        .unwrap()
        .args(["run", file, "--format", "csv", "--set"])
        .arg(format!("sync.throughput={throughput}"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("clear ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no clear time in:\n{text}"))
        .to_string()
}

/// Some times, their median and the largest, in words.
fn spread(ms: &[(u64, u64)]) -> String {
    let text = |pick: fn(&(u64, u64)) -> u64| {
        let mut sorted: Vec<u64> = ms.iter().map(pick).collect();
        let all = format!("{sorted:?}");
        sorted.sort_unstable();
        format!(
            "{all} median {} max {}",
            sorted[(sorted.len() - 1) / 2],
            sorted.last().unwrap()
        )
    };
    format!(
        "on screen {}; on the server {}",
        text(|m| m.0),
        text(|m| m.1)
    )
}

#[test]
fn the_page_runs_a_what_if_in_a_real_browser_as_the_command_line_does() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Path::new("scenarios"), &dir.path().join("out"), &[]);
    let url = |scenario: &str| {
        format!(
            "http://127.0.0.1:{}/?scenario={scenario}&token={}",
            server.port, server.token
        )
    };
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("serve-browser");
    std::fs::create_dir_all(&artifacts).unwrap();

    // The page opens on the folder's first scenario, its baseline run at once.
    browser.goto(&format!(
        "http://127.0.0.1:{}/?token={}",
        server.port, server.token
    ));
    browser.next_result(0);
    assert_eq!(
        browser.run("return document.getElementById('whatif').dataset.scenario"),
        "api-allowance-month-end.toml"
    );
    // The token went into a cookie and left the address bar.
    assert_eq!(browser.run("return location.search"), "");
    // Pick reference-tenth from the list: its form, and its baseline.
    browser.click("#scenario option[value=\"reference-tenth.toml\"]");
    browser.click("form.pick button[type=submit]");
    browser.wait_for(
        "return document.getElementById('whatif').dataset.scenario === 'reference-tenth.toml'",
    );
    browser.next_result(0);
    assert_eq!(
        browser.run("return document.querySelector('#scenario').value"),
        "reference-tenth.toml"
    );
    // Every control has a label; the results area says what happens.
    let unlabelled = browser.run(
        "return Array.from(document.querySelectorAll('input, select, button'))\
         .filter(c => c.labels ? (c.labels.length === 0 && !c.textContent.trim()) : !c.textContent.trim())\
         .map(c => c.id || c.name)",
    );
    assert_eq!(unlabelled, json!([]), "controls without a label");

    // Change the throughput with the keyboard: the clear time shown is the command line's.
    let mut tenth = Vec::new();
    for (i, throughput) in ["8000", "8500", "9000", "9500", "10000", "7000"]
        .iter()
        .enumerate()
    {
        let before = browser.runs();
        browser.set_field("#f-sync-throughput", throughput);
        let ms = browser.next_result(before);
        if i > 0 {
            tenth.push(ms);
        }
        if i == 0 {
            let shown = browser.run(
                "return document.querySelector('[data-metric=\"event.opportunity_bulk.clear_h\"]\
                 [data-side=\"variant\"]').textContent",
            );
            let printed = cli_clear_time("scenarios/reference-tenth.toml", throughput);
            assert_eq!(shown, json!(printed), "clear time shown vs printed");
            // Both dashboards are the run's dashboard.html, loaded.
            let frames = browser.run(
                "return ['baseline-frame', 'variant-frame'].map(id => \
                 document.getElementById(id).contentDocument.querySelector('h1').textContent)",
            );
            assert_eq!(
                frames,
                json!(["Sync Backlog Metrics", "Sync Backlog Metrics"])
            );
            let shot = artifacts.join("whatif-reference-tenth.png");
            browser.screenshot(&shot);
            let (w, h, pixels) = decode_png(&shot);
            // The window less the browser's own bars.
            assert!(w == 1600 && h > 1000, "{w} x {h}");
            assert_not_blank("the what-if page", &pixels);
        }
    }

    // An invalid value: its error beside its field, from the same validation as --set.
    let before = browser.runs();
    browser.set_field("#f-sync-workers", "0");
    let error = browser.wait_for(
        "const f = document.getElementById('f-sync-workers'); \
         const e = f.closest('.field').querySelector('.error'); \
         return !e.hidden && f.getAttribute('aria-invalid') === 'true' && e.textContent",
    );
    assert_eq!(error, json!("must be 1..=1024 (got 0)"));
    assert_eq!(browser.runs(), before, "an invalid value ran");
    // Back to a valid value: the error goes.
    browser.set_field("#f-sync-workers", "1");
    browser.next_result(before);
    assert_eq!(
        browser.run("return document.getElementById('e-sync-workers').hidden"),
        json!(true)
    );

    // The full-size reference: the same, ten times the records.
    browser.goto(&url("reference.toml"));
    browser.next_result(0);
    let mut reference = Vec::new();
    for throughput in ["60000", "65000", "70000", "75000", "80000", "55000"] {
        let before = browser.runs();
        browser.set_field("#f-sync-throughput", throughput);
        reference.push(browser.next_result(before));
    }
    browser.screenshot(&artifacts.join("whatif-reference.png"));

    let figures = format!(
        "knob change to result on screen, ms (performance.now() in the page; both dashboards \
         loaded), and the server's part of it\n\
         reference-tenth.toml: {}\nreference.toml: {}\n",
        spread(&tenth),
        spread(&reference)
    );
    eprint!("{figures}");
    std::fs::write(artifacts.join("timings.txt"), figures).unwrap();
}
