//! `syncsim jobs slurm|kubernetes --shards N -- COMMAND...`: write the job files that run a
//! syncsim command as N shards on a cluster scheduler, and its merge.

use std::path::PathBuf;

use clap::{Args, Parser, ValueEnum};

use super::{print, Cli, CliError, Command};
use syncsim::report::jobs::{self, JobSpec, KubernetesOptions, SlurmOptions};
use syncsim::report::output::OutputDir;
use syncsim::scenario::Scenario;

/// Arguments of `syncsim jobs`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  syncsim jobs slurm --shards 16 --cpus 8 -- run q4.toml --replications 10000
  bash jobs/q4-run/submit.sh
  syncsim jobs kubernetes --shards 8 --image registry.example.com/syncsim:0.1.0 \\
      -- sweep q4.toml --set sync.workers=1..8 --replications 50

COMMAND is a `run` (with several replications), `sweep`, `schedule` or `compare` command line without
--shard, --out, --threads and --quiet, which the job adds. Slurm: shard.sbatch (an array of
N tasks, each `--shard auto`), merge.sbatch (the merge, after every task succeeded) and
submit.sh (queues both). Kubernetes: shards.json (an Indexed Job of N pods, each
`--shard auto/N`), merge.json and submit.sh (kubectl apply, wait, apply). Shards write
DIR/shard-K/, logs go to DIR/logs/, the merge writes DIR/merged/ (run, compare) or DIR/sweep.csv
(DIR/schedule.csv). Memory per shard: the largest scenario's estimate x CPUs x 1.25 + 256 MiB
unless --memory. Details: docs/planner.md.")]
pub struct JobsArgs {
    /// The scheduler.
    #[arg(value_enum)]
    scheduler: Scheduler,
    /// Number of shards (array tasks, pods).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    shards: u64,
    /// Folder for the job files, the shards' outputs, the logs and the merged result
    /// [default: jobs/<job name>]. Relative paths are from the folder the jobs run in.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The job's name [default: <scenario name>-<command>].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// CPUs per shard, also its --threads.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=1024))]
    cpus: u64,
    /// Memory per shard (e.g. 4GiB) [default: from the scenario's memory estimate].
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    memory: Option<u64>,
    /// The syncsim program the jobs run: a name on the nodes' PATH, or a path.
    #[arg(long, value_name = "PATH", default_value = "syncsim")]
    program: String,
    /// Slurm: the folder the jobs run in [default: the current folder].
    #[arg(long, value_name = "DIR")]
    workdir: Option<PathBuf>,
    /// Slurm: the partition [default: the cluster's default].
    #[arg(long, value_name = "NAME")]
    partition: Option<String>,
    /// Slurm: the time limit of each task (e.g. 2:00:00).
    #[arg(long, value_name = "TIME")]
    time: Option<String>,
    /// Kubernetes: the container image holding syncsim.
    #[arg(long, value_name = "IMAGE", default_value = concat!("syncsim:", env!("CARGO_PKG_VERSION")))]
    image: String,
    /// Kubernetes: the persistent volume claim holding the scenario and the results.
    #[arg(long, value_name = "NAME", default_value = "syncsim-work")]
    claim: String,
    /// Kubernetes: where the volume is mounted (the pods' working folder).
    #[arg(long, value_name = "PATH", default_value = "/work")]
    mount: String,
    /// Overwrite files syncsim did not write.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
    /// The syncsim command to shard, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// A cluster scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scheduler {
    /// A Slurm array job.
    Slurm,
    /// A Kubernetes Indexed Job.
    Kubernetes,
}

/// Options the job sets itself.
const SET_BY_THE_JOB: [&str; 6] = [
    "--shard",
    "--out",
    "--threads",
    "--quiet",
    "-q",
    "--replication",
];

/// Checks the command, estimates its memory and writes the job files.
pub fn run(args: &JobsArgs) -> Result<u8, CliError> {
    for word in &args.command {
        let flag = word.split('=').next().unwrap_or("");
        if SET_BY_THE_JOB.contains(&flag) {
            return Err(CliError::Usage(format!(
                "the command after -- must not give {flag}: the job sets --shard, --out, --threads and --quiet itself (and --replication runs one replication, which is not sharded)"
            )));
        }
    }
    let line = std::iter::once("syncsim".to_string()).chain(args.command.iter().cloned());
    let cli = Cli::try_parse_from(line).map_err(|e| {
        CliError::Usage(format!(
            "the command after -- is not a syncsim command: {}",
            e.to_string()
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
        ))
    })?;
    let (stem, merged, scenarios): (&str, &str, Vec<Scenario>) = match &cli.command {
        Command::Run(a) => ("run", "merged", vec![a.job_scenario()?]),
        Command::Sweep(a) => ("sweep", "sweep.csv", a.job_scenarios()?),
        Command::Schedule(a) => ("schedule", "schedule.csv", vec![a.job_scenario()?]),
        Command::Compare(a) => ("compare", "merged", a.job_scenarios()?),
        _ => {
            return Err(CliError::Usage(format!(
                "'{}' cannot be sharded; jobs shard run (with several replications), sweep, schedule and compare",
                args.command[0]
            )))
        }
    };
    let largest = scenarios
        .iter()
        .max_by_key(|sc| syncsim::engine::memory_estimate(sc))
        .expect("at least one scenario");
    let name = jobs::job_name(
        &args
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-{stem}", largest.name)),
    );
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("jobs").join(&name));
    let spec = JobSpec {
        name: name.clone(),
        command: args.command.clone(),
        stem: stem.into(),
        merged: merged.into(),
        shards: args.shards,
        cpus: args.cpus,
        memory_mib: match args.memory {
            Some(bytes) => bytes.div_ceil(1024 * 1024),
            None => jobs::memory_mib(syncsim::engine::memory_estimate(largest), args.cpus),
        },
        program: args.program.clone(),
        results: dir.display().to_string(),
    };
    let files = match args.scheduler {
        Scheduler::Slurm => {
            let workdir = match &args.workdir {
                Some(d) => d.clone(),
                None => std::env::current_dir()
                    .map_err(|e| CliError::Usage(format!("cannot tell the current folder: {e}")))?,
            };
            jobs::slurm(
                &spec,
                &SlurmOptions {
                    workdir: workdir.display().to_string(),
                    partition: args.partition.clone(),
                    time: args.time.clone(),
                },
            )
        }
        Scheduler::Kubernetes => jobs::kubernetes(
            &spec,
            &KubernetesOptions {
                image: args.image.clone(),
                claim: args.claim.clone(),
                mount: args.mount.clone(),
            },
        ),
    };
    let mut out = OutputDir::open(&dir, args.force)?;
    out.check(&files.iter().map(|(n, _)| *n).collect::<Vec<_>>())?;
    for (file, text) in &files {
        out.write(file, |w| w.write_all(text.as_bytes()))?;
    }
    let shown = out.path().display().to_string();
    out.finish()?;
    if !args.quiet {
        let _ = print(|w| {
            writeln!(
                w,
                "{name}: {} shards of `syncsim {}`, {} CPUs and {} MiB each",
                spec.shards,
                args.command.join(" "),
                spec.cpus,
                spec.memory_mib
            )?;
            let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
            writeln!(w, "Job files in {shown}/: {}", names.join(", "))?;
            writeln!(w, "Submit with: sh {shown}/submit.sh")
        });
    }
    Ok(0)
}
