//! `syncsim serve` through the real binary on loopback: a what-if's answers are the command
//! line's, its downloads validate and equal the command line's files, a closed page stops
//! its run, a run over the time cap stops, a full queue answers 503 with `Retry-After`, and
//! Ctrl-C (or SIGHUP) stops the server cleanly. The helpers here (a server on a free port, a plain
//! HTTP/1.1 client) serve the other `serve_*` tests too.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `syncsim serve`, stopped (SIGTERM, then killed) when dropped.
pub struct Server {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its access token.
    pub token: String,
    /// The first lines it printed.
    pub banner: String,
}

impl Server {
    /// Starts `syncsim serve FOLDER --port 0 --out OUT ARGS...` and reads its URL.
    pub fn start(folder: &Path, out: &Path, args: &[&str]) -> Server {
        Server::launch(folder, out, &[&["--port", "0"], args].concat())
    }

    /// Starts `syncsim serve FOLDER --out OUT ARGS...` and reads its URL.
    fn launch(folder: &Path, out: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .arg("serve")
            .arg(folder)
            .arg("--out")
            .arg(out)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("syncsim serve starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut banner = String::new();
        let url = loop {
            let line = lines
                .next()
                .expect("syncsim serve printed its URL before exiting")
                .unwrap();
            banner.push_str(&line);
            banner.push('\n');
            if let Some(at) = line.find("http://") {
                break line[at..].split_whitespace().next().unwrap().to_string();
            }
        };
        // The rest of its output (the stop message) is read by whoever waits for it.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        let rest = url.trim_start_matches("http://127.0.0.1:");
        let (port, query) = rest.split_once("/?token=").expect("URL with a token");
        Server {
            child: Some(child),
            port: port.parse().unwrap(),
            token: query.to_string(),
            banner,
        }
    }

    /// A request with the token (as a bearer header) and the right Host.
    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &self.auth(), b"")
    }

    /// A POST of `body` with the token and the right Host.
    pub fn post(&self, path: &str, body: &str) -> Reply {
        self.send("POST", path, &self.auth(), body.as_bytes())
    }

    /// The headers that let a request in.
    pub fn auth(&self) -> Vec<(String, String)> {
        vec![
            ("Host".into(), format!("127.0.0.1:{}", self.port)),
            ("Authorization".into(), format!("Bearer {}", self.token)),
        ]
    }

    /// A request with exactly `headers`.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Reply {
        request(self.port, method, path, headers, body)
    }

    /// `/api/status` as JSON.
    pub fn status(&self) -> serde_json::Value {
        serde_json::from_slice(&self.get("/api/status").body).unwrap()
    }

    /// Waits (at most a minute) until `/api/status` satisfies `ok`; returns it.
    pub fn wait_status(&self, ok: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let s = self.status();
            if ok(&s) {
                return s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "status never became as expected: {s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM (or SIGINT) and waits, at most 30 s, for the exit code.
    pub fn stop_with(&mut self, signal: &str) -> Option<i32> {
        let child = self.child.as_mut().unwrap();
        let _ = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status.code();
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("syncsim serve did not stop within 30 s of {signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let started = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if started.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// The binary to serve with: `SYNCSIM_BIN` names another build (the release build, for
/// timings), else this one's.
pub fn binary() -> PathBuf {
    std::env::var_os("SYNCSIM_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("syncsim"))
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body's JSON lines.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// The `result` line of a run's stream.
    pub fn result(&self) -> serde_json::Value {
        let lines = self.lines();
        lines
            .iter()
            .find(|l| l["event"] == "result")
            .cloned()
            .unwrap_or_else(|| panic!("no result in {lines:?}"))
    }
}

/// Sends one HTTP/1.1 request, exactly as given (the path is not normalised), on a new
/// connection, and reads the whole answer.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // A server may refuse before reading a large body; what it did not read is its choice.
    let _ = s.write_all(body);
    parse(&read_reply(&mut s))
}

/// Reads one answer: its head, then as many bytes as `Content-Length` says, or chunks up to
/// the last one, or everything up to the end (some servers keep a connection open after
/// `Connection: close`).
fn read_reply(s: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let complete = |raw: &[u8]| -> bool {
        let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            return false;
        };
        let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
        let body = &raw[end + 4..];
        for line in head.split("\r\n") {
            if let Some(n) = line.strip_prefix("content-length:") {
                return body.len() >= n.trim().parse::<usize>().unwrap_or(0);
            }
            if line.starts_with("transfer-encoding:") && line.contains("chunked") {
                return chunks_complete(body);
            }
        }
        false
    };
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return raw,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
        if complete(&raw) {
            return raw;
        }
    }
}

/// Parses an HTTP/1.1 answer.
pub fn parse(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// Whether a chunked body has reached its last (empty) chunk.
fn chunks_complete(mut raw: &[u8]) -> bool {
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return false;
        };
        let size_text = String::from_utf8_lossy(&raw[..eol]).into_owned();
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
        else {
            return false;
        };
        if size == 0 {
            return raw.len() >= eol + 4;
        }
        if raw.len() < eol + 4 + size {
            return false;
        }
        raw = &raw[eol + 4 + size..];
    }
}

/// A chunked body, joined.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&raw[..eol])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 || raw.len() < eol + 2 + size {
            return out;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[(eol + 4 + size).min(raw.len())..];
    }
}

/// A folder holding copies of the example scenarios named, and an output folder beside it
/// (not created).
pub fn folder_with(names: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    for n in names {
        std::fs::copy(Path::new("scenarios").join(n), scenarios.join(n)).unwrap();
    }
    let out = dir.path().join("out");
    (dir, scenarios, out)
}

/// A what-if request's body.
pub fn what_if(scenario: &str, values: &[(&str, &str)], replications: u64) -> String {
    let values: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    serde_json::json!({"scenario": scenario, "values": values, "replications": replications})
        .to_string()
}

/// Runs `syncsim run FILE --set ... --format csv --out OUT`; returns what it printed.
fn cli_run(file: &Path, sets: &[&str], out: &Path) -> String {
    let mut cmd = assert_cmd::Command::cargo_bin("syncsim").unwrap();
    cmd.arg("run")
        .arg(file)
        .args(["--format", "csv", "--out"])
        .arg(out);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let output = cmd.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_what_if_answers_as_the_command_line_does_and_its_downloads_are_the_command_lines_files() {
    let (dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    let server = Server::start(&scenarios, &out, &[]);
    assert!(server.banner.contains("1 scenario in"), "{}", server.banner);
    let reply = server.post(
        "/api/run",
        &what_if("reference-tenth.toml", &[("sync.throughput", "8000")], 1),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/x-ndjson"));
    let lines = reply.lines();
    assert_eq!(lines[0]["event"], "progress");
    let result = reply.result();
    // The clear time shown is the one the command line prints.
    let cli = cli_run(
        &scenarios.join("reference-tenth.toml"),
        &["sync.throughput=8000"],
        &dir.path().join("cli"),
    );
    let answers = result["answers"].as_str().unwrap();
    let shown = answers
        .split("data-metric=\"event.opportunity_bulk.clear_h\" data-side=\"variant\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap();
    assert!(
        cli.contains(&format!("clear {shown},")),
        "the page shows {shown}; the command line printed:\n{cli}"
    );
    assert_eq!(result["overrides"][0], "--set sync.throughput=8000");

    // The variant's scenario file validates, and runs to the same numbers.
    let variant = result["variant"].as_u64().unwrap();
    let file = server.get(&format!("/api/runs/{variant}/scenario.toml"));
    assert_eq!(file.status, 200);
    assert!(file
        .header("content-disposition")
        .unwrap()
        .contains("reference-tenth-whatif.toml"));
    let saved = dir.path().join("reference-tenth-whatif.toml");
    std::fs::write(&saved, &file.body).unwrap();
    assert_cmd::Command::cargo_bin("syncsim")
        .unwrap()
        .arg("validate")
        .arg(&saved)
        .assert()
        .success();
    let again = cli_run(&saved, &[], &dir.path().join("again"));
    assert!(again.contains(&format!("clear {shown},")), "{again}");

    // A report file, written under --out, is the command line's byte for byte.
    let backlog = server.get(&format!("/api/runs/{variant}/files/backlog.csv"));
    assert_eq!(backlog.status, 200, "{}", backlog.text());
    assert_eq!(
        backlog.body,
        std::fs::read(dir.path().join("cli/backlog.csv")).unwrap()
    );
    assert!(out
        .join("reference-tenth/sync.throughput=8000/backlog.csv")
        .is_file());
    // The dashboard shown is the dashboard.html syncsim run writes.
    let page = server.get(&format!("/api/runs/{variant}/dashboard.html"));
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body,
        std::fs::read(out.join("reference-tenth/sync.throughput=8000/dashboard.html")).unwrap()
    );
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    // Only the registry's files are served.
    let other = server.get(&format!("/api/runs/{variant}/files/.syncsim-files"));
    assert_eq!(other.status, 404);
}

#[test]
fn refusals_name_the_field_with_the_command_lines_message() {
    let (_dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    let server = Server::start(&scenarios, &out, &[]);
    let reply = server.post(
        "/api/run",
        &what_if(
            "reference-tenth.toml",
            &[("sync.workers", "0"), ("sync.cycle_wait", "5 minutes")],
            1,
        ),
    );
    assert_eq!(reply.status, 422);
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["fields"]["sync.workers"], "must be 1..=1024 (got 0)");
    assert!(body["fields"]["sync.cycle_wait"].is_string(), "{body}");
    let too_many = server.post("/api/run", &what_if("reference-tenth.toml", &[], 1001));
    assert_eq!(too_many.status, 422);
    assert!(too_many.text().contains("replications"));
    assert_eq!(server.status()["runs_started"], 0, "nothing ran");
}

/// A what-if request sent on a connection left open, as a page waiting for its answer.
fn open_run(server: &Server, body: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let head = format!(
        "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.port,
        server.token,
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s
}

#[test]
fn a_closed_page_stops_its_run_and_a_run_over_the_time_cap_stops_too() {
    let (_dir, scenarios, out) = folder_with(&["reference.toml"]);
    let server = Server::start(&scenarios, &out, &["--time-limit", "2s"]);
    // Hundreds of replications: far longer than the test waits.
    let body = what_if("reference.toml", &[("sync.workers", "2")], 400);
    let mut s = open_run(&server, &body);
    // The stream has begun: the run is under way.
    let mut first = [0u8; 64];
    let n = s.read(&mut first).unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    server.wait_status(|s| s["running"] == 1);
    drop(s);
    let s = server.wait_status(|s| s["running"] == 0);
    assert_eq!(s["runs_cancelled"], 1, "{s}");
    assert_eq!(s["runs_finished"], 0, "{s}");

    // Kept waiting on: the time cap stops it and says so.
    let reply = server.post("/api/run", &body);
    let last = reply.lines().pop().unwrap();
    assert_eq!(last["event"], "error");
    assert!(
        last["message"].as_str().unwrap().contains("time limit"),
        "{last}"
    );
    assert_eq!(server.status()["runs_timed_out"], 1);
}

#[test]
fn a_full_queue_answers_503_with_retry_after() {
    let (_dir, scenarios, out) = folder_with(&["reference.toml"]);
    let server = Server::start(&scenarios, &out, &["--runs", "1", "--queue", "0"]);
    let body = what_if("reference.toml", &[], 400);
    let s = open_run(&server, &body);
    server.wait_status(|s| s["running"] == 1);
    let busy = server.post("/api/run", &what_if("reference.toml", &[], 1));
    assert_eq!(busy.status, 503, "{}", busy.text());
    let after: u64 = busy.header("retry-after").unwrap().parse().unwrap();
    assert!(after >= 1);
    assert!(busy.text().contains("busy"));
    drop(s);
    server.wait_status(|s| s["running"] == 0);
    // With the slot free again, the same request runs.
    let ok = server.post("/api/run", &what_if("reference.toml", &[], 1));
    assert_eq!(ok.status, 200);
    ok.result();
}

#[test]
fn ctrl_c_stops_the_server_cleanly_even_while_it_runs() {
    let (_dir, scenarios, out) = folder_with(&["reference.toml"]);
    let mut server = Server::start(&scenarios, &out, &[]);
    let port = server.port;
    let body = what_if("reference.toml", &[], 400);
    let auth = server.auth();
    let running =
        std::thread::spawn(move || request(port, "POST", "/api/run", &auth, body.as_bytes()));
    server.wait_status(|s| s["running"] == 1);
    assert_eq!(server.stop_with("-INT"), Some(0));
    // The page got its stream ended with a word on why, and nothing was left behind.
    let reply = running.join().unwrap();
    assert_eq!(reply.lines().pop().unwrap()["event"], "error");
    assert!(!out.exists(), "the server wrote into its output folder");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening"
    );
}

#[test]
fn the_default_port_falls_back_to_a_free_one_and_a_port_asked_for_must_be_free() {
    let (_dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    // Hold the default port (or find it held by someone else: taken either way).
    let _held = std::net::TcpListener::bind(("127.0.0.1", 7962));
    let mut server = Server::launch(&scenarios, &out, &[]);
    assert_ne!(server.port, 7962);
    assert!(
        server.banner.contains(&format!(
            "Port 7962 is taken; using {} instead.",
            server.port
        )),
        "{}",
        server.banner
    );
    assert_eq!(server.get("/api/scenarios").status, 200);
    // Asked for by --port, a taken port is bad input, said in one line.
    let taken = server.port.to_string();
    let output = Command::new(binary())
        .args(["serve", "--port", &taken, "--out"])
        .arg(&out)
        .arg(&scenarios)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{taken}")),
        "{stderr}"
    );
    // Its terminal closed, the server stops as on Ctrl-C.
    assert_eq!(server.stop_with("-HUP"), Some(0));
}

#[test]
fn replications_stream_their_progress_and_answer_as_the_command_line_does() {
    let (dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    let server = Server::start(&scenarios, &out, &[]);
    let reply = server.post(
        "/api/run",
        &what_if("reference-tenth.toml", &[("sync.throughput", "8000")], 3),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let lines = reply.lines();
    // Progress counts the runs of both sides: three of the baseline, three of the variant.
    assert_eq!(lines[0]["event"], "progress");
    assert_eq!(lines[0]["total"], 6);
    assert_eq!(lines[0]["done"], 0);
    let result = reply.result();
    assert_eq!(result["replications"], 3);
    let answers = result["answers"].as_str().unwrap();
    assert!(answers.contains("Means over 3 replications"), "{answers}");
    let cell = |side: &str| {
        answers
            .split(&format!(
                "data-metric=\"event.opportunity_bulk.clear_h\" data-side=\"{side}\">"
            ))
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap()
            .to_string()
    };
    assert!(cell("change").contains("(95% CI "), "{}", cell("change"));
    // The mean shown is the one `syncsim run --replications 3` writes, as a time reads.
    let file = scenarios.join("reference-tenth.toml");
    assert_cmd::Command::cargo_bin("syncsim")
        .unwrap()
        .arg("run")
        .arg(&file)
        .args(["--replications", "3", "--format", "csv", "--quiet", "--out"])
        .arg(dir.path().join("cli"))
        .args(["--set", "sync.throughput=8000"])
        .assert()
        .success();
    let aggregate = std::fs::read_to_string(dir.path().join("cli/aggregate.csv")).unwrap();
    let mean: f64 = aggregate
        .lines()
        .find_map(|l| l.strip_prefix("event.opportunity_bulk.clear_h,"))
        .and_then(|rest| rest.split(',').nth(2))
        .unwrap()
        .parse()
        .unwrap();
    let ms = (mean * syncsim::units::HOUR as f64).round() as u64;
    assert_eq!(
        cell("variant"),
        syncsim::units::human_duration(ms),
        "{mean}"
    );
    // Asked again, the baseline is kept: only the variant runs.
    let again = server.post(
        "/api/run",
        &what_if("reference-tenth.toml", &[("sync.throughput", "9000")], 3),
    );
    assert_eq!(again.lines()[0]["total"], 3);
    assert_eq!(server.status()["runs_finished"], 3);
}

#[test]
fn a_run_over_the_memory_cap_is_refused_before_it_starts() {
    let (_dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    let server = Server::start(&scenarios, &out, &["--max-memory", "1MiB"]);
    let reply = server.post("/api/run", &what_if("reference-tenth.toml", &[], 1));
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert!(reply.text().contains("memory"), "{}", reply.text());
    assert_eq!(server.status()["runs_started"], 0);
}

#[test]
fn the_page_needs_nothing_from_the_network() {
    let (_dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    let server = Server::start(&scenarios, &out, &[]);
    let page = server.get("/?scenario=reference-tenth.toml").text();
    // Every address the page names is one of the server's own.
    let mut named = Vec::new();
    for attr in ["src=\"", "href=\"", "action=\""] {
        for piece in page.split(attr).skip(1) {
            named.push(piece.split('"').next().unwrap().to_string());
        }
    }
    assert!(named.contains(&"/assets/page.js".to_string()), "{named:?}");
    for n in &named {
        assert!(n.starts_with('/') && !n.starts_with("//"), "{n}");
    }
    for asset in ["/assets/page.js", "/assets/page.css"] {
        let text = server.get(asset).text();
        assert!(!text.is_empty());
        for outside in ["http:", "https:", "//cdn", "@import", "url("] {
            assert!(!text.contains(outside), "{asset} names {outside}");
        }
    }
}
