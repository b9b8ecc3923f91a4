//! `syncsim serve [FOLDER]`: the what-if page, served on this machine. A planner picks a
//! scenario of the folder, edits its main knobs in a form built from it, and sees the
//! baseline's and the variant's dashboards side by side with the differences between them.
//!
//! A thin shell, like the command line: the form's fields, their validation, the runs, the
//! differences and every report come from the library ([`syncsim::whatif`],
//! [`syncsim::report`]); this module serves them over HTTP (axum on tokio) and keeps the
//! server safe to leave running. The security model is a local notebook server's:
//!
//! - it listens on loopback unless `--bind` says otherwise, and then warns on stderr at
//!   start that the page can be reached from other machines;
//! - every request carries the token printed in the URL at start (the page's first request
//!   swaps it for a cookie), and the `Host` header must name the bound address, so a web page
//!   elsewhere cannot reach it, not even through DNS rebinding (`guard`);
//! - requests name scenarios from a listing of the folder, never by path, so nothing outside
//!   it is read; the only files written are reports, under `--out`, through the library's
//!   safe output folder;
//! - at most 256 connections are open at once, a request's head must arrive within 10 s,
//!   and its body within 10 s more, else 408 (`listen`); request bodies are capped at a
//!   scenario file's 4 MiB;
//! - every run passes the memory check and a time cap; at most `--runs` run at once
//!   (default: the cores), further ones wait in a bounded queue or are refused with 503 and
//!   `Retry-After`; a run whose page is closed is stopped (`jobs`).
//!
//! Simulations run on blocking threads (and rayon's pool for replications), never on the
//! runtime's threads. Ctrl-C, SIGTERM or SIGHUP stops it cleanly: running simulations are
//! stopped, connections finish, and no temporary file is left. See `docs/serve.md`.

mod api;
mod guard;
mod jobs;
mod listen;
mod page;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::cli::{self, CliError};

/// The port tried first; when it is taken (and `--port` was not given) any free port is used.
pub const DEFAULT_PORT: u16 = 7962;

/// Arguments of `syncsim serve`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  syncsim serve                       # the scenarios/ folder on http://127.0.0.1:7962/
  syncsim serve my-scenarios --port 8080
  syncsim serve --runs 1 --time-limit 20s

Prints the page's URL, with its access token, and runs until Ctrl-C. The page lists the
folder's *.toml files; reports downloaded from it are written under --out. See docs/serve.md.")]
pub struct ServeArgs {
    /// The folder of scenario files to serve (its *.toml files; not its subfolders).
    #[arg(value_name = "FOLDER", default_value = "scenarios")]
    pub folder: PathBuf,
    /// Port to listen on [default: 7962, or a free port when that one is taken]; 0 picks a
    /// free port.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Address to listen on. Anything but loopback makes the page reachable from other
    /// machines (the token still guards it).
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Also accept requests whose Host header is this name (e.g. a reverse proxy's).
    /// Repeatable.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Folder the downloaded reports are written to, as `syncsim run` lays them out.
    #[arg(long, value_name = "DIR", default_value = "output/serve")]
    pub out: PathBuf,
    /// Simulations run at once [default: the cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub runs: Option<u64>,
    /// Requests that may wait for a free slot; more are refused with 503 and Retry-After.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub queue: usize,
    /// Stop a run (baseline or variant) that takes longer than this (e.g. 30s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub time_limit: String,
    /// Most replications a page may ask for.
    #[arg(long, value_name = "R", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_replications: u64,
    /// Refuse runs whose estimated memory, times the runs at once, is above SIZE (e.g.
    /// 8GiB) [default: half of physical memory].
    #[arg(long, value_name = "SIZE", value_parser = cli::parse_size)]
    pub max_memory: Option<u64>,
}

/// The settings of a running server, resolved from the arguments.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The served folder, canonical.
    pub folder: PathBuf,
    /// The folder as the user typed it, for messages.
    pub folder_shown: String,
    /// Where reports are written.
    pub out: PathBuf,
    /// The access token.
    pub token: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// Extra Host names allowed.
    pub allow_hosts: Vec<String>,
    /// Simulations at once.
    pub runs: usize,
    /// Requests that may wait.
    pub queue: usize,
    /// Time cap of one run.
    pub time_limit: Duration,
    /// Most replications per request.
    pub max_replications: u64,
    /// Memory cap of all runs at once, bytes.
    pub max_memory: u64,
}

/// Runs the server until Ctrl-C, SIGTERM or SIGHUP.
pub fn run(args: &ServeArgs) -> Result<u8, CliError> {
    let folder = args.folder.canonicalize().map_err(|e| {
        CliError::Usage(format!(
            "cannot serve '{}': {e}; name a folder of scenario files",
            args.folder.display()
        ))
    })?;
    if !folder.is_dir() {
        return Err(CliError::Usage(format!(
            "cannot serve '{}': it is not a folder",
            args.folder.display()
        )));
    }
    let time_limit = syncsim::units::parse_duration(&args.time_limit)
        .ok()
        .filter(|&ms| ms > 0)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--time-limit {}: expected a duration longer than zero, e.g. 60s or 5m",
                args.time_limit
            ))
        })?;
    let runs = args.runs.unwrap_or_else(cli::default_threads) as usize;
    let token = guard::new_token()
        .map_err(|e| CliError::Usage(format!("cannot make an access token: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("syncsim-serve")
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the server: {e}")))?;
    runtime.block_on(async {
        let listener = bind(args.bind, args.port).await?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Usage(format!("cannot read the bound address: {e}")))?;
        let settings = Settings {
            folder,
            folder_shown: args.folder.display().to_string(),
            out: args.out.clone(),
            token,
            addr,
            allow_hosts: args.allow_hosts.clone(),
            runs,
            queue: args.queue,
            time_limit: Duration::from_millis(time_limit),
            max_replications: args.max_replications,
            max_memory: args
                .max_memory
                .unwrap_or_else(syncsim::load::default_memory_cap),
        };
        let state = Arc::new(api::App::new(settings.clone()));
        let scenarios = state.scenarios().len();
        let host = match addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        if let Some(warning) = exposure_warning(addr.ip()) {
            eprintln!("{warning}");
        }
        let _ = cli::print(|w| {
            writeln!(
                w,
                "syncsim serve: {} scenario{} in {}",
                scenarios,
                if scenarios == 1 { "" } else { "s" },
                settings.folder_shown
            )?;
            if args.port.is_none() && addr.port() != DEFAULT_PORT {
                writeln!(
                    w,
                    "Port {DEFAULT_PORT} is taken; using {} instead.",
                    addr.port()
                )?;
            }
            writeln!(
                w,
                "Open http://{host}:{}/?token={} in a browser.",
                addr.port(),
                settings.token
            )?;
            writeln!(
                w,
                "Reports go to {}. Press Ctrl-C to stop.",
                settings.out.display()
            )
        });
        let app = api::router(state.clone());
        let stopping = state.clone();
        let signalled = Arc::new(tokio::sync::Notify::new());
        let notify = signalled.clone();
        let served = listen::serve(listener, app, async move {
            shutdown_signal().await;
            // Running simulations stop at their next sample point; their pages get an error
            // line and the connections close.
            stopping.stop_all();
            notify.notify_one();
        });
        // Connections get a few seconds to finish; a browser holding one open does not keep
        // the server up.
        let grace = async {
            signalled.notified().await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        };
        tokio::select! {
            () = served => {},
            () = grace => {},
        }
        Ok::<(), CliError>(())
    })?;
    // A report being written when the signal came leaves no temporary file.
    syncsim::report::output::abandon();
    runtime.shutdown_timeout(Duration::from_secs(5));
    let _ = cli::print(|w| writeln!(w, "syncsim serve: stopped"));
    Ok(0)
}

/// Listens on `ip`:`port`, or on the default port, falling back to a free port when that
/// one is taken.
/// The warning printed at start when the server listens on `ip` and that is not loopback:
/// the page can then be reached from other machines, each request still needing the token.
fn exposure_warning(ip: IpAddr) -> Option<String> {
    (!ip.is_loopback()).then(|| {
        format!(
            "syncsim serve: warning: listening on {ip}, not on loopback: the page can be \
             reached from other machines on the network (every request still needs the \
             access token, sent in clear over plain HTTP). Use --bind 127.0.0.1 to keep it \
             on this machine."
        )
    })
}

async fn bind(ip: IpAddr, port: Option<u16>) -> Result<tokio::net::TcpListener, CliError> {
    let fail = |addr: SocketAddr, e: std::io::Error| {
        CliError::Usage(format!(
            "cannot listen on {addr}: {e}; choose another --port (0 picks a free one)"
        ))
    };
    let first = SocketAddr::new(ip, port.unwrap_or(DEFAULT_PORT));
    match tokio::net::TcpListener::bind(first).await {
        Ok(l) => Ok(l),
        Err(e) if port.is_none() && e.kind() == std::io::ErrorKind::AddrInUse => {
            let any = SocketAddr::new(ip, 0);
            tokio::net::TcpListener::bind(any)
                .await
                .map_err(|e| fail(any, e))
        }
        Err(e) => Err(fail(first, e)),
    }
}

/// Resolves on Ctrl-C (SIGINT), SIGTERM or SIGHUP (its terminal closed).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(mut term), Ok(mut hup)) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = hup.recv() => {},
                }
            }
            _ => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
