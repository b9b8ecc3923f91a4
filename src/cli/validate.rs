//! `syncsim validate FILE`: parse and validate a scenario (its backlog snapshot read, one
//! run's estimated memory and work checked against their caps and shown) without running it.

use clap::Args;

use super::{print, CliError, ScenarioArgs};
use syncsim::engine::{events_text, MemoryEstimate, WorkEstimate};
use syncsim::units::bytes_text;

/// Arguments of `syncsim validate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  syncsim validate scenarios/reference.toml --set sync.workers=2"
)]
pub struct ValidateArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Refuse the scenario when a run's estimated memory is above SIZE (e.g. 8GiB), as `run`
    /// would [default: half of physical memory].
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    max_memory: Option<u64>,
    /// Refuse the scenario when one run's estimated work is above N events (e.g. 2e10)
    /// [default: 1e10, about a quarter of an hour].
    #[arg(long, value_name = "N", value_parser = syncsim::load::parse_events)]
    max_events: Option<u64>,
}

/// Validates the scenario (and that one run of it fits under the memory and work caps), warns
/// of any setting past a limit its preset documents, and prints a one-line description of
/// it, with those estimates.
pub fn run(args: &ValidateArgs) -> Result<u8, CliError> {
    let sc = args.scenario.load()?;
    syncsim::load::check_memory(&sc, 1, args.max_memory)?;
    syncsim::load::check_work(&sc, 1, 0.0, args.max_events)?;
    super::warn(&args.scenario.file, &sc);
    let records: u64 = sc.objects.iter().map(|o| o.records as u64).sum();
    let memory = MemoryEstimate::of(&sc).total();
    let work = WorkEstimate::of(&sc).total();
    let _ = print(|w| {
        writeln!(
            w,
            "{}: valid ({} objects, {} records, {} events, policy {}, horizon {}); a run: at \
             most {} of memory, about {} events of work",
            args.scenario.file.display(),
            sc.objects.len(),
            records,
            sc.events.len(),
            sc.sync.policy.name(),
            syncsim::report::terminal::horizon_text(&sc),
            bytes_text(memory),
            events_text(work)
        )
    });
    Ok(0)
}
