//! `syncsim serve` under a bounded load on loopback: 50 clients each asking for a what-if of
//! a small scenario at once, while others load pages and poll the status a few hundred
//! times. Every request must be answered in full (no failure, nothing lost, nothing
//! refused as busy: the queue holds them all), and every run must finish. The figures
//! (requests, p50 and p99 latency, peak memory of the server) are printed and written to
//! `target/serve-load.txt`; they are recorded in `docs/robustness.md`, not asserted.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::serve::{request, what_if, Server};

/// A small scenario: two objects over three days, one bulk update; a few milliseconds a run.
const SMALL: &str = r#"
name = "small"
start = "2026-11-23T00:00:00Z"
horizon = "3d"
[objects.Lead]
records = 50000
edits_per_hour = 400
[objects.Contact]
records = 20000
edits_per_hour = 200
[sync]
throughput = 5000
[events.bulk]
kind = "bulk_update"
at = "12h"
object = "Lead"
count = 20000
spread = "30m"
"#;

/// Clients asking for a what-if at once.
const CLIENTS: usize = 50;
/// Page, asset and status requests, spread over a few clients.
const LIGHT: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[test]
fn fifty_clients_at_once_and_hundreds_of_page_requests_are_all_answered() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("scenarios");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("small.toml"), SMALL).unwrap();
    let server = Server::start(&folder, &dir.path().join("out"), &[]);
    let (port, auth) = (server.port, server.auth());
    let started = Instant::now();
    let runs: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let light: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut threads = Vec::new();
    for i in 0..CLIENTS {
        let (auth, runs, failures) = (auth.clone(), runs.clone(), failures.clone());
        threads.push(std::thread::spawn(move || {
            // Each client its own variant, so every request runs a simulation.
            let throughput = (1500 + 10 * i).to_string();
            let body = what_if("small.toml", &[("sync.throughput", &throughput)], 1);
            let t = Instant::now();
            let reply = request(port, "POST", "/api/run", &auth, body.as_bytes());
            let took = t.elapsed();
            let done = reply.status == 200
                && reply
                    .text()
                    .lines()
                    .any(|l| l.contains("\"event\":\"result\""));
            if done {
                runs.lock().unwrap().push(took);
            } else {
                failures.lock().unwrap().push(format!(
                    "run {i}: {} {}",
                    reply.status,
                    reply.text()
                ));
            }
        }));
    }
    let paths = [
        "/?scenario=small.toml",
        "/api/status",
        "/assets/page.js",
        "/api/scenarios",
        "/assets/page.css",
    ];
    for c in 0..4 {
        let (auth, light, failures) = (auth.clone(), light.clone(), failures.clone());
        threads.push(std::thread::spawn(move || {
            for k in 0..LIGHT / 4 {
                let path = paths[(c + k) % paths.len()];
                let t = Instant::now();
                let reply = request(port, "GET", path, &auth, b"");
                let took = t.elapsed();
                if reply.status == 200 && !reply.body.is_empty() {
                    light.lock().unwrap().push(took);
                } else {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("GET {path}: {}", reply.status));
                }
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let wall = started.elapsed();
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let mut runs = runs.lock().unwrap().clone();
    let mut light = light.lock().unwrap().clone();
    assert_eq!(runs.len(), CLIENTS, "a run was lost");
    assert_eq!(light.len(), LIGHT, "a page request was lost");
    let status = server.status();
    // The baseline once, then each client's variant; nothing stopped, nothing refused.
    assert_eq!(status["runs_finished"], CLIENTS as u64 + 1, "{status}");
    assert_eq!(status["runs_started"], status["runs_finished"], "{status}");
    assert_eq!(status["refused_busy"], 0, "{status}");
    assert_eq!(status["running"], 0, "{status}");
    assert_eq!(status["waiting"], 0, "{status}");
    runs.sort();
    light.sort();
    let figures = format!(
        "syncsim serve under load: {CLIENTS} what-if runs at once and {LIGHT} page, asset and \
         status requests, {} requests in {:.2} s\n\
         what-if runs: p50 {}, p99 {}, max {}\n\
         page/status:  p50 {}, p99 {}, max {}\n\
         server peak memory (VmHWM): {} KiB; {} simulations at once, queue {}\n",
        CLIENTS + LIGHT,
        wall.as_secs_f64(),
        ms(percentile(&runs, 0.5)),
        ms(percentile(&runs, 0.99)),
        ms(*runs.last().unwrap()),
        ms(percentile(&light, 0.5)),
        ms(percentile(&light, 0.99)),
        ms(*light.last().unwrap()),
        status["peak_rss_kib"],
        status["capacity"],
        status["queue"],
    );
    eprint!("{figures}");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    std::fs::write(target.join("serve-load.txt"), figures).unwrap();
}
