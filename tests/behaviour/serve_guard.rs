//! `syncsim serve` refuses what it must, each with the right status, and writes nothing:
//! requests without the token or with a wrong one (401), with a foreign or missing Host
//! (403, DNS rebinding), from another site's page (403), naming a path outside the folder
//! (404, whatever the spelling), with an oversize body (413) or a hostile one (400, 422);
//! and it warns on stderr when it listens beyond loopback.

use std::collections::BTreeMap;
use std::path::Path;

use super::serve::{folder_with, request, what_if, Server};

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            for (k, v) in snapshot(&p) {
                out.insert(format!("{}/{k}", entry.file_name().to_string_lossy()), v);
            }
        } else {
            out.insert(
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            );
        }
    }
    out
}

fn header(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_string(), value.into())
}

#[test]
fn requests_without_the_token_or_for_another_host_are_refused() {
    let (dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    // A secret beside the folder, and a link to it inside: neither may be read.
    std::fs::write(dir.path().join("secret.toml"), "name = \"secret\"\n").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.toml"), scenarios.join("link.toml"))
        .unwrap();
    let before = snapshot(dir.path());
    let server = Server::start(&scenarios, &out, &[]);
    let port = server.port;
    let host = header("Host", format!("127.0.0.1:{port}"));
    let bearer = header("Authorization", format!("Bearer {}", server.token));
    let run_body = what_if("reference-tenth.toml", &[], 1);

    // No token, a wrong one, one a character short: 401 on every route.
    for path in [
        "/",
        "/assets/page.js",
        "/api/status",
        "/api/scenarios",
        "/api/runs/1/dashboard.html",
    ] {
        let r = request(port, "GET", path, std::slice::from_ref(&host), b"");
        assert_eq!(r.status, 401, "GET {path} without a token");
        assert!(r.header("www-authenticate").is_some());
    }
    // The token with its last character changed.
    let last = if server.token.ends_with('0') {
        '1'
    } else {
        '0'
    };
    let wrong = format!("{}{last}", &server.token[..63]);
    for auth in [
        header("Authorization", format!("Bearer {wrong}")),
        header("Authorization", format!("Bearer {}", &server.token[..63])),
        header("Cookie", format!("syncsim_token_{port}={wrong}")),
        header("Cookie", format!("syncsim_token_1={}", server.token)),
    ] {
        let r = request(
            port,
            "POST",
            "/api/run",
            &[host.clone(), auth.clone()],
            run_body.as_bytes(),
        );
        assert_eq!(r.status, 401, "{auth:?}");
    }
    let r = request(
        port,
        "GET",
        &format!("/?token={wrong}"),
        std::slice::from_ref(&host),
        b"",
    );
    assert_eq!(r.status, 401);

    // The right token: in the URL it becomes a cookie and leaves the address bar.
    let r = request(
        port,
        "GET",
        &format!("/?scenario=reference-tenth.toml&token={}", server.token),
        std::slice::from_ref(&host),
        b"",
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some("/?scenario=reference-tenth.toml")
    );
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let jar = header("Cookie", cookie.split(';').next().unwrap());
    let page = request(
        port,
        "GET",
        "/?scenario=reference-tenth.toml",
        &[host.clone(), jar.clone()],
        b"",
    );
    assert_eq!(page.status, 200);
    assert!(page.text().contains("id=\"whatif\""));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));

    // A foreign Host, even with the token (DNS rebinding), or none: 403.
    for h in [
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.1".to_string(),
        String::new(),
    ] {
        let r = request(
            port,
            "GET",
            "/api/status",
            &[header("Host", h.clone()), bearer.clone()],
            b"",
        );
        assert_eq!(r.status, 403, "Host {h:?}");
    }
    let r = request(
        port,
        "GET",
        "/api/status",
        std::slice::from_ref(&bearer),
        b"",
    );
    assert_eq!(r.status, 403, "no Host at all");
    for h in [
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("127.0.0.1:{port}"),
    ] {
        let r = request(
            port,
            "GET",
            "/api/status",
            &[header("Host", h.clone()), bearer.clone()],
            b"",
        );
        assert_eq!(r.status, 200, "Host {h:?}");
    }

    // Another site's page, with the cookie the browser would send: 403.
    let r = request(
        port,
        "POST",
        "/api/run",
        &[
            host.clone(),
            jar.clone(),
            header("Origin", "http://evil.example"),
        ],
        run_body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    let r = request(
        port,
        "POST",
        "/api/run",
        &[
            host.clone(),
            jar.clone(),
            header("Origin", format!("http://127.0.0.1:{}", port + 1)),
        ],
        run_body.as_bytes(),
    );
    assert_eq!(r.status, 403);

    // Paths outside the folder, however spelt: not found, nothing read.
    let auth = server.auth();
    for name in [
        "../secret.toml",
        "link.toml",
        "/etc/passwd",
        "..%2fsecret.toml",
        "nested/../../secret.toml",
        "reference-tenth.toml/../../secret.toml",
        "reference-tenth.toml\u{0}",
        "",
    ] {
        let body = serde_json::json!({"scenario": name}).to_string();
        let r = request(port, "POST", "/api/run", &auth, body.as_bytes());
        assert_eq!(r.status, 404, "scenario {name:?}: {}", r.text());
        assert!(!r.text().contains("secret\""), "{}", r.text());
    }
    let listed = server.get("/api/scenarios").text();
    assert!(
        listed.contains("reference-tenth.toml") && !listed.contains("link.toml"),
        "{listed}"
    );
    for path in [
        "/../secret.toml",
        "/%2e%2e/secret.toml",
        "/assets/../../secret.toml",
        "/api/runs/1/files/..%2f..%2fsecret.toml",
        "/api/runs/1/files/../../../secret.toml",
        "/?scenario=../secret.toml",
    ] {
        let r = request(port, "GET", path, &auth, b"");
        assert!(
            [400, 404].contains(&r.status) || (r.status == 200 && !r.text().contains("secret\"")),
            "GET {path}: {} {}",
            r.status,
            r.text()
        );
        assert!(
            !r.text().contains("name = \"secret\""),
            "GET {path} read the secret"
        );
    }

    // An oversize body: 413, before it is parsed.
    let huge = vec![b' '; 4 * 1024 * 1024 + 1];
    let r = request(port, "POST", "/api/run", &auth, &huge);
    assert_eq!(r.status, 413);

    // Hostile bodies: not JSON, the wrong shape, nested deep, unknown fields, values no
    // knob takes.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let many: serde_json::Map<String, serde_json::Value> = (0..5000)
        .map(|i| (format!("k{i}"), serde_json::Value::from("1")))
        .collect();
    let many = serde_json::json!({"scenario": "reference-tenth.toml", "values": many}).to_string();
    for (body, status) in [
        ("not json".to_string(), 400),
        ("{\"scenario\": 7}".into(), 400),
        (deep, 400),
        (
            "{\"scenario\": \"reference-tenth.toml\", \"path\": \"/etc\"}".into(),
            400,
        ),
        (
            "{\"scenario\": \"reference-tenth.toml\", \"values\": {\"sync.workers\": 2}}".into(),
            400,
        ),
        (
            "{\"scenario\": \"reference-tenth.toml\", \"replications\": -1}".into(),
            400,
        ),
        (many, 400),
        (
            what_if(
                "reference-tenth.toml",
                &[("initial_backlog_file", "/etc/passwd")],
                1,
            ),
            422,
        ),
        (
            what_if(
                "reference-tenth.toml",
                &[("sync.workers", "1\n[objects.X]\nrecords = 1")],
                1,
            ),
            422,
        ),
        (
            what_if(
                "reference-tenth.toml",
                &[("sync.order", &"Lead,".repeat(2000))],
                1,
            ),
            422,
        ),
        (
            what_if(
                "reference-tenth.toml",
                &[("events.opportunity_bulk.parts", "99999999999")],
                1,
            ),
            422,
        ),
        (what_if("reference-tenth.toml", &[], 0), 422),
    ] {
        let r = request(port, "POST", "/api/run", &auth, body.as_bytes());
        assert_eq!(
            r.status,
            status,
            "{}: {}",
            &body[..body.len().min(80)],
            r.text()
        );
    }
    let r = request(port, "PUT", "/api/run", &auth, run_body.as_bytes());
    assert_eq!(r.status, 405);

    // Nothing ran, nothing was written: not the output folder, not the served one.
    let s = server.status();
    assert_eq!(s["runs_started"], 0, "{s}");
    assert!(!out.exists(), "the output folder was created");
    assert_eq!(snapshot(dir.path()), before, "a file changed");
}

#[test]
fn a_scenario_reading_a_snapshot_outside_the_folder_is_refused() {
    let (dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    std::fs::write(dir.path().join("backlog.csv"), "object,record,stamp\n").unwrap();
    let mut text = std::fs::read_to_string(scenarios.join("reference-tenth.toml")).unwrap();
    text.insert_str(0, "initial_backlog_file = \"../backlog.csv\"\n");
    std::fs::write(scenarios.join("outside.toml"), text).unwrap();
    let server = Server::start(&scenarios, &out, &[]);
    let r = server.post("/api/run", &what_if("outside.toml", &[], 1));
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("outside the served folder"),
        "{}",
        r.text()
    );
}

/// What `syncsim serve FOLDER --port 0 ARGS...` prints on stderr by the time its address is
/// on stdout, then it is stopped.
fn start_stderr(args: &[&str]) -> String {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let (_dir, scenarios, out) = folder_with(&["reference-tenth.toml"]);
    let mut child = Command::new(super::serve::binary())
        .arg("serve")
        .arg(&scenarios)
        .arg("--out")
        .arg(&out)
        .args(["--port", "0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("syncsim serve starts");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let started = stdout
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("?token="));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(started, "syncsim serve printed no address");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    stderr
}

#[test]
fn listening_beyond_loopback_warns_on_stderr() {
    let warning = "syncsim serve: warning: listening on 0.0.0.0, not on loopback: the page can be \
                   reached from other machines on the network (every request still needs the \
                   access token, sent in clear over plain HTTP). Use --bind 127.0.0.1 to keep \
                   it on this machine.\n";
    assert_eq!(start_stderr(&["--bind", "0.0.0.0"]), warning);
    assert_eq!(start_stderr(&["--bind", "127.0.0.2"]), "");
    assert_eq!(start_stderr(&[]), "");
}
