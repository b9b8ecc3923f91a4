//! The server's routes and what each answers.
//!
//! | route | answer |
//! |---|---|
//! | `GET /?scenario=NAME` | the page: the folder's scenarios and the form of the one picked |
//! | `GET /assets/page.js`, `/assets/page.css` | the page's script and stylesheet, embedded in the binary |
//! | `GET /api/scenarios` | the folder's scenario files, JSON |
//! | `GET /api/status` | runs running and waiting, limits, counts, peak memory, JSON |
//! | `POST /api/run` | a what-if (JSON: `scenario`, `values`, `replications`): 400, 404 or 422 with what is wrong by field, 503 when the queue is full, else a stream of JSON lines (queued, progress, then the result or an error) |
//! | `GET /api/runs/ID/dashboard.html` | a run's dashboard, as `dashboard.html` |
//! | `GET /api/runs/ID/scenario.toml` | the run's scenario file: the original with the what-if written in |
//! | `GET /api/runs/ID/files/NAME` | one of the run's report files, written under `--out` on first asking |
//!
//! Scenarios are named by file name and looked up in a listing of the folder (its `*.toml`
//! files, symbolic links included only when they resolve inside it), never joined into a
//! path, so no request reads outside the folder.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, OnceCell};

use super::jobs::{Admitted, Jobs, Slot, Stopped};
use super::{guard, listen, page, Settings};
use syncsim::load::{LoadError, ScenarioFile, MAX_FILE_BYTES};
use syncsim::report::{self, output::OutputDir, Formats};
use syncsim::scenario::Scenario;
use syncsim::whatif::{self, Outcome, Refusal, WhatIf};

/// Baselines kept, each the runs of one file's text with one number of replications.
const BASELINES_KEPT: usize = 16;
/// Finished runs kept for their dashboards and downloads.
const RUNS_KEPT: usize = 64;
/// Most values one request may set.
const MAX_VALUES: usize = 1_000;

/// A baseline: run once by the first request that needs it, shared by the others.
type Baseline = Arc<OnceCell<Arc<Done>>>;

/// A refusal made before any run, boxed (an answer is large, a prepared request is not).
type Refusing = Box<Response>;

/// A finished run, kept for its page parts and downloads.
#[derive(Debug)]
pub struct Done {
    /// Its id in URLs.
    pub id: u64,
    /// The scenario file's name in the folder.
    pub file_name: String,
    /// The runs.
    pub outcome: Arc<Outcome>,
    /// Its dashboard page.
    pub dashboard: String,
    /// Its scenario file.
    pub scenario_text: String,
    /// The overrides that made it, as `--set` shows them.
    pub overrides: Vec<String>,
    /// Where its reports were written, once asked for.
    written: tokio::sync::Mutex<Option<PathBuf>>,
}

/// The server's state.
#[derive(Debug)]
pub struct App {
    settings: Settings,
    jobs: Jobs,
    baselines: Mutex<VecDeque<(String, Baseline)>>,
    runs: Mutex<VecDeque<Arc<Done>>>,
    next_id: AtomicU64,
    refused: AtomicU64,
    requests: AtomicU64,
    /// Reports are written one run at a time (their temporary names are per process).
    writing: tokio::sync::Mutex<()>,
}

impl App {
    /// A server's state for `settings`.
    pub fn new(settings: Settings) -> Self {
        App {
            jobs: Jobs::new(settings.runs, settings.queue, settings.time_limit),
            settings,
            baselines: Mutex::default(),
            runs: Mutex::default(),
            next_id: AtomicU64::new(1),
            refused: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Counts a request refused at the door.
    pub fn count_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Stops every running simulation, and every one that would start.
    pub fn stop_all(&self) {
        self.jobs.stop_all();
    }

    /// The folder's scenario files, by name: regular `*.toml` files directly in it (or
    /// links to files in it), sorted.
    pub fn scenarios(&self) -> Vec<String> {
        let folder = &self.settings.folder;
        let Ok(entries) = std::fs::read_dir(folder) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let inside = e
                    .path()
                    .canonicalize()
                    .ok()
                    .filter(|p| p.parent() == Some(folder.as_path()) && p.is_file());
                (name.ends_with(".toml")
                    && !name.starts_with('.')
                    && !name.chars().any(char::is_control)
                    && inside.is_some())
                .then_some(name)
            })
            .collect();
        names.sort();
        names
    }

    /// The path of scenario `name`, if the folder lists it: the folder as typed joined with
    /// a name from the listing (never with the request's text).
    pub fn scenario_path(&self, name: &str) -> Option<PathBuf> {
        let listed = self.scenarios().into_iter().find(|n| n == name)?;
        Some(Path::new(&self.settings.folder_shown).join(listed))
    }

    fn store(&self, done: Done) -> Arc<Done> {
        let done = Arc::new(done);
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.push_back(done.clone());
        while runs.len() > RUNS_KEPT {
            runs.pop_front();
        }
        done
    }

    fn run_by_id(&self, id: u64) -> Option<Arc<Done>> {
        let runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.iter().find(|d| d.id == id).cloned()
    }

    fn baseline_cell(&self, key: String) -> Baseline {
        let mut cells = self.baselines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, cell)) = cells.iter().find(|(k, _)| *k == key) {
            return cell.clone();
        }
        let cell = Arc::new(OnceCell::new());
        cells.push_back((key, cell.clone()));
        while cells.len() > BASELINES_KEPT {
            cells.pop_front();
        }
        cell
    }

    /// Runs `sc` in `slot`, renders its dashboard and keeps it.
    async fn finish(
        &self,
        slot: &Slot,
        prep: &Prepared,
        what_if: Option<&WhatIf>,
        replications: u64,
        cancel: &Arc<AtomicBool>,
        alive: impl FnMut(u64) -> bool,
    ) -> Result<Arc<Done>, Stopped> {
        let sc = what_if.map_or(&prep.base, |w| &w.scenario).clone();
        let outcome = self
            .jobs
            .simulate(slot, sc, replications, cancel, alive)
            .await?;
        let rendering = outcome.clone();
        let dashboard = tokio::task::spawn_blocking(move || {
            report::whatif::dashboard(rendering.summary(), rendering.monte_carlo())
        })
        .await
        .map_err(|_| Stopped::Failed)?
        .map_err(|_| Stopped::Failed)?;
        let (scenario_text, overrides) = match what_if {
            Some(w) => (
                prep.variant_text.clone(),
                w.overrides.iter().map(|o| o.shown().to_string()).collect(),
            ),
            None => (prep.text.clone(), Vec::new()),
        };
        Ok(self.store(Done {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            file_name: prep.file_name.clone(),
            outcome,
            dashboard,
            scenario_text,
            overrides,
            written: tokio::sync::Mutex::new(None),
        }))
    }
}

/// The routes, behind the door ([`guard::check`]).
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page_route))
        .route("/assets/page.js", get(script))
        .route("/assets/page.css", get(stylesheet))
        .route("/api/scenarios", get(scenarios))
        .route("/api/status", get(status))
        .route("/api/run", post(run))
        .route("/api/runs/{id}/dashboard.html", get(dashboard))
        .route("/api/runs/{id}/scenario.toml", get(scenario_file))
        .route("/api/runs/{id}/files/{name}", get(report_file))
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES as usize))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::check,
        ))
        .with_state(app)
}

/// A JSON answer.
fn json_response(status: StatusCode, value: Value) -> Response {
    let mut r = (status, value.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A refusal: what is wrong, by field and in general.
fn refusal(status: StatusCode, r: &Refusal) -> Response {
    let fields: serde_json::Map<String, Value> = r
        .fields
        .iter()
        .map(|(k, m)| (k.clone(), Value::from(m.as_str())))
        .collect();
    json_response(status, json!({ "fields": fields, "general": r.general }))
}

/// A refusal with one general message.
fn general(status: StatusCode, message: impl Into<String>) -> Response {
    refusal(
        status,
        &Refusal {
            fields: Vec::new(),
            general: vec![message.into()],
        },
    )
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    scenario: Option<String>,
}

async fn page_route(State(app): State<Arc<App>>, Query(q): Query<PageQuery>) -> Response {
    let html = tokio::task::spawn_blocking(move || page::render(&app, q.scenario.as_deref()))
        .await
        .unwrap_or_else(|_| "the page could not be made".into());
    let mut r = (StatusCode::OK, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors 'none'",
        ),
    );
    r
}

/// An embedded asset.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=600"),
    );
    r
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", page::SCRIPT)
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", page::STYLESHEET)
}

async fn scenarios(State(app): State<Arc<App>>) -> Response {
    let names = tokio::task::spawn_blocking(move || app.scenarios())
        .await
        .unwrap_or_default();
    json_response(StatusCode::OK, json!({ "scenarios": names }))
}

/// The peak resident memory of this process in KiB, where the system says (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn status(State(app): State<Arc<App>>) -> Response {
    let (running, waiting, capacity, queue) = app.jobs.load();
    let c = &app.jobs.counters;
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    json_response(
        StatusCode::OK,
        json!({
            "running": running,
            "waiting": waiting,
            "capacity": capacity,
            "queue": queue,
            "runs_started": n(&c.started),
            "runs_finished": n(&c.finished),
            "runs_cancelled": n(&c.cancelled),
            "runs_timed_out": n(&c.timed_out),
            "refused_busy": n(&c.busy),
            "refused_at_door": n(&app.refused),
            "run_requests": n(&app.requests),
            "peak_rss_kib": peak_rss_kib(),
            "version": env!("CARGO_PKG_VERSION"),
        }),
    )
}

/// What the page asks for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    scenario: String,
    #[serde(default)]
    values: IndexMap<String, String>,
    #[serde(default = "one")]
    replications: u64,
}

fn one() -> u64 {
    1
}

/// A request checked and validated: everything a job needs.
#[derive(Debug)]
struct Prepared {
    file_name: String,
    text: String,
    base: Scenario,
    what_if: WhatIf,
    variant_text: String,
}

/// Refuses a scenario whose backlog snapshot would be read from outside the folder.
fn snapshot_inside(app: &App, path: &Path, text: &str) -> Result<(), String> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        // Validation words the syntax error.
        Err(_) => return Ok(()),
    };
    let Some(file) = table.get("initial_backlog_file").and_then(|v| v.as_str()) else {
        return Ok(());
    };
    let resolved = path.parent().unwrap_or(Path::new("")).join(file);
    match resolved.canonicalize() {
        Ok(p) if p.starts_with(&app.settings.folder) => Ok(()),
        // A missing file is validation's to report.
        Err(_) => Ok(()),
        Ok(_) => Err(format!(
            "its initial_backlog_file '{file}' is outside the served folder; syncsim serve \
             reads nothing outside it (run it with syncsim run instead)"
        )),
    }
}

/// Reads, validates and applies a request, off the runtime's threads.
fn prepare(app: &App, req: &RunRequest) -> Result<Prepared, Refusing> {
    let Some(path) = app.scenario_path(&req.scenario) else {
        return Err(Box::new(general(
            StatusCode::NOT_FOUND,
            format!(
                "no scenario '{}' in the served folder; its scenarios are listed at /api/scenarios",
                req.scenario.chars().take(200).collect::<String>()
            ),
        )));
    };
    let unprocessable = |m: String| Box::new(general(StatusCode::UNPROCESSABLE_ENTITY, m));
    let file = ScenarioFile::read(&path).map_err(|e| unprocessable(e.to_string()))?;
    let text = std::fs::read_to_string(&path).map_err(|e| unprocessable(e.to_string()))?;
    snapshot_inside(app, &path, &text)
        .map_err(|m| unprocessable(format!("{}: {m}", path.display())))?;
    let base = file.scenario(&[]).map_err(|e| match e {
        LoadError::Scenario(e) => unprocessable(e.to_string()),
        LoadError::Data(e) => unprocessable(e.to_string()),
    })?;
    let values: Vec<(String, String)> = req
        .values
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let what_if = whatif::what_if(&file, &base, &values)
        .map_err(|r| Box::new(refusal(StatusCode::UNPROCESSABLE_ENTITY, &r)))?;
    let variant_text = whatif::variant_text(&text, &path.display().to_string(), &what_if)
        .map_err(|e| unprocessable(e.to_string()))?;
    // Both runs of a request may be running at once with others': each gets its share of
    // the memory cap.
    let share = app.settings.max_memory / app.settings.runs.max(1) as u64;
    let parallel = if req.replications > 1 {
        req.replications.min(rayon::current_num_threads() as u64)
    } else {
        1
    };
    for sc in [&base, &what_if.scenario] {
        syncsim::load::check_memory(sc, parallel, Some(share))
            .map_err(|e| unprocessable(e.to_string()))?;
    }
    Ok(Prepared {
        file_name: req.scenario.clone(),
        text,
        base,
        what_if,
        variant_text,
    })
}

async fn run(State(app): State<Arc<App>>, request: Request) -> Response {
    let received = std::time::Instant::now();
    let body = match listen::body(request, listen::BODY_TIMEOUT).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    app.requests.fetch_add(1, Ordering::Relaxed);
    let req: RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return general(
                StatusCode::BAD_REQUEST,
                format!(
                    "the request is not a what-if: {e}; send JSON such as {{\"scenario\": \
                     \"reference.toml\", \"values\": {{\"sync.workers\": \"2\"}}, \
                     \"replications\": 1}}"
                ),
            )
        }
    };
    if req.values.len() > MAX_VALUES {
        return general(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_VALUES} values per request"),
        );
    }
    let max = app.settings.max_replications;
    if !(1..=max).contains(&req.replications) {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Refusal {
                fields: vec![(
                    "replications".into(),
                    format!(
                        "must be 1..={max} (got {}; --max-replications)",
                        req.replications
                    ),
                )],
                general: Vec::new(),
            },
        );
    }
    let replications = req.replications;
    let preparing = app.clone();
    let prep = match tokio::task::spawn_blocking(move || prepare(&preparing, &req)).await {
        Ok(Ok(p)) => p,
        Ok(Err(refused)) => return *refused,
        Err(_) => return general(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
    };
    let admitted = match app.jobs.admit() {
        Ok(a) => a,
        Err(busy) => {
            let (running, waiting, _, _) = app.jobs.load();
            let mut r = general(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "busy: {running} runs running and {waiting} waiting; try again in {} s",
                    busy.retry_after
                ),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(busy.retry_after));
            return r;
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(32);
    tokio::spawn(job(app, admitted, prep, replications, received, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|line| (Ok::<_, std::convert::Infallible>(line), rx))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    r
}

/// One JSON line.
fn line(v: Value) -> Bytes {
    let mut text = v.to_string();
    text.push('\n');
    Bytes::from(text)
}

/// The run of one request: wait for a slot, run the baseline (unless kept from before) and
/// the variant (unless it is the baseline), stream progress, then the result. Everything
/// stops when the page goes away (the stream's receiver is dropped).
async fn job(
    app: Arc<App>,
    admitted: Admitted,
    prep: Prepared,
    replications: u64,
    received: std::time::Instant,
    tx: mpsc::Sender<Bytes>,
) {
    let cancel = app.jobs.flag();
    if admitted.queued() {
        let (_, waiting, _, _) = app.jobs.load();
        let _ = tx.try_send(line(json!({"event": "queued", "waiting": waiting})));
    }
    let slot = tokio::select! {
        slot = admitted.slot() => slot,
        _ = tx.closed() => return,
    };
    let key = format!(
        "{}\n{}\n{replications}",
        prep.file_name, prep.base.origin.sha256
    );
    let cell = app.baseline_cell(key);
    let same = prep.what_if.overrides.is_empty();
    let runs_needed = |baseline_kept: bool| {
        (if baseline_kept { 0 } else { replications }) + if same { 0 } else { replications }
    };
    let total = runs_needed(cell.initialized());
    let progress = |offset: u64| {
        let tx = tx.clone();
        move |done: u64| {
            if tx.is_closed() {
                return false;
            }
            let _ = tx.try_send(line(
                json!({"event": "progress", "done": offset + done, "total": total}),
            ));
            true
        }
    };
    let _ = tx.try_send(line(
        json!({"event": "progress", "done": 0, "total": total}),
    ));
    let baseline = cell
        .get_or_try_init(|| app.finish(&slot, &prep, None, replications, &cancel, progress(0)))
        .await
        .cloned();
    let outcome = match baseline {
        Ok(baseline) if same => Ok((baseline.clone(), baseline)),
        Ok(baseline) => {
            let offset = total.saturating_sub(replications);
            app.finish(
                &slot,
                &prep,
                Some(&prep.what_if),
                replications,
                &cancel,
                progress(offset),
            )
            .await
            .map(|variant| (baseline, variant))
        }
        Err(stopped) => Err(stopped),
    };
    drop(slot);
    let message = match outcome {
        Ok((baseline, variant)) => {
            let names = whatif::headline_metrics(baseline.outcome.summary().scenario());
            let diffs = whatif::differences(&baseline.outcome, &variant.outcome, &names);
            let answers = report::whatif::answers(
                &diffs,
                variant.outcome.replications(),
                &whatif::splits(&variant.outcome),
            );
            let files =
                report::run_file_names(Formats::default(), variant.outcome.monte_carlo().is_some());
            json!({
                "event": "result",
                "baseline": baseline.id,
                "variant": variant.id,
                "answers": answers,
                "overrides": variant.overrides,
                "files": files,
                "replications": replications,
                // From the request's arrival to this line: validation, waiting, the runs and
                // their dashboards.
                "server_ms": received.elapsed().as_millis() as u64,
            })
        }
        Err(Stopped::TimedOut) => json!({
            "event": "error",
            "message": format!(
                "stopped: the run took longer than the time limit ({} s, --time-limit)",
                app.settings.time_limit.as_secs()
            ),
        }),
        Err(Stopped::Cancelled) => json!({"event": "error", "message": "stopped"}),
        Err(Stopped::Failed) => json!({
            "event": "error",
            "message": "the run failed: a bug in syncsim, please report it with the scenario",
        }),
    };
    let _ = tx.send(line(message)).await;
}

/// A kept run, or 404.
fn kept(app: &App, id: &str) -> Result<Arc<Done>, Refusing> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| app.run_by_id(id))
        .ok_or_else(|| {
            Box::new(general(
                StatusCode::NOT_FOUND,
                "no such run (only the last runs are kept); run it again",
            ))
        })
}

/// A download: `content_type`, saved as `file_name`, never run as a page of this site.
fn download(content_type: &str, file_name: &str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    r
}

async fn dashboard(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    let done = match kept(&app, &id) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let mut r = (StatusCode::OK, done.dashboard.clone()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The dashboard has inline CSS and SVG, no script, nothing to fetch.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
        ),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    r
}

/// The name a run's scenario file is saved under: `reference-whatif.toml`.
fn scenario_download_name(done: &Done) -> String {
    let stem = done.file_name.trim_end_matches(".toml");
    if done.overrides.is_empty() {
        done.file_name.clone()
    } else {
        format!("{stem}-whatif.toml")
    }
}

async fn scenario_file(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    match kept(&app, &id) {
        Ok(done) => download(
            "application/toml; charset=utf-8",
            &scenario_download_name(&done),
            done.scenario_text.clone(),
        ),
        Err(r) => *r,
    }
}

/// The content type of a report file, by extension.
fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn report_file(
    State(app): State<Arc<App>>,
    UrlPath((id, name)): UrlPath<(String, String)>,
) -> Response {
    let done = match kept(&app, &id) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let mc = done.outcome.monte_carlo().is_some();
    // Only names of the registry: nothing else is read.
    let Some(name) = report::run_file_names(Formats::default(), mc)
        .into_iter()
        .find(|n| *n == name)
    else {
        return general(StatusCode::NOT_FOUND, "no such report file");
    };
    let mut written = done.written.lock().await;
    if written.is_none() {
        let _one_at_a_time = app.writing.lock().await;
        let sc = done.outcome.summary().scenario().clone();
        let mut dir = app.settings.out.join(&sc.name);
        if let Some(variant) = report::output::variant_folder(&done.overrides) {
            dir = dir.join(variant);
        }
        let outcome = done.outcome.clone();
        let target = dir.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut out = OutputDir::open(&target, false)?;
            let names = report::run_file_names(Formats::default(), outcome.monte_carlo().is_some());
            out.check(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
            report::write_run(
                outcome.summary(),
                outcome.monte_carlo(),
                Formats::default(),
                &mut out,
            )?;
            out.finish()
        })
        .await;
        match result {
            Ok(Ok(_)) => *written = Some(dir),
            Ok(Err(e)) => return general(StatusCode::CONFLICT, e.to_string()),
            Err(_) => return general(StatusCode::INTERNAL_SERVER_ERROR, "writing failed"),
        }
    }
    let dir = written.clone().expect("written above");
    drop(written);
    let path = dir.join(&name);
    let read = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match read {
        Ok(bytes) => download(content_type(&name), &name, bytes),
        Err(e) => general(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read {}: {e}", dir.join(&name).display()),
        ),
    }
}
