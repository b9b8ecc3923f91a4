//! The run summary: everything a report says about one run, computed once from (scenario, run
//! result). Terminal, CSV, JSON, charts, HTML, the planner's tables and `check` read it (or,
//! across replications, [`crate::replicate::MonteCarlo`]) and compute nothing themselves.
//!
//! A [`RunSummary`] holds the run's result (whose series it exposes through typed accessors),
//! the totals over every queue, what was left at the end, the admin page's dashboard at the end
//! of the run (and at any other instants asked for), the page hour by hour beside the real
//! clear times ([`Timeline`]), and every scalar metric under its stable name (the names the
//! metric catalogue describes, [`crate::catalogue`]).

pub mod dashboard;
mod over_time;
mod scalars;
pub mod timeline;

pub use dashboard::{Dashboard, DashboardRow, Status};
pub use timeline::{Reading, Timeline};

use crate::metrics::{PendingAtEnd, QueueCounters, RunResult};
use crate::scenario::Scenario;
use crate::units::Millis;

/// A named scalar metric; `None` means "did not happen within the horizon", "infinite" or "no
/// data", as the metric catalogue says for that name.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The stable name (see `docs/outputs.md`).
    pub name: String,
    /// Its value in the catalogue's unit.
    pub value: Option<f64>,
}

/// One run, summarised once for every report.
#[derive(Debug, Clone)]
pub struct RunSummary {
    scenario: Scenario,
    run: RunResult,
    totals: QueueCounters,
    end: PendingAtEnd,
    dashboard: Dashboard,
    dashboards_at: Vec<Dashboard>,
    timeline: Timeline,
    metrics: Vec<Metric>,
    shows_errors: bool,
}

impl RunSummary {
    /// The summary of `run`, a run of `scenario`.
    pub fn of(scenario: &Scenario, run: RunResult) -> Self {
        let totals = run.totals();
        let end = run.pending_totals();
        let dashboard = Dashboard::at(&run, scenario.objects.len(), run.horizon());
        let timeline = Timeline::of(&run, scenario.objects.len());
        let api = run.api();
        let shows_errors = scenario
            .objects
            .iter()
            .any(|o| o.transient_error_rate > 0.0 || o.permanent_error_fraction > 0.0)
            || totals.errors_transient + totals.errors_permanent > 0
            || end.retry + end.timeout > 0
            || scenario.api.daily_limit.is_some()
            || !scenario.api.burst.windows.is_empty()
            || scenario.api.background_calls_per_hour > 0.0
            || api.calls[2] > 0
            || api.paused > 0
            || api.suppressed > 0;
        let mut summary = RunSummary {
            scenario: scenario.clone(),
            run,
            totals,
            end,
            dashboard,
            dashboards_at: Vec::new(),
            timeline,
            metrics: Vec::new(),
            shows_errors,
        };
        summary.metrics = scalars::list(scenario, Some(&summary));
        summary
    }

    /// The scenario that ran.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The run's result: its series and per-queue figures, through typed accessors.
    pub fn run(&self) -> &RunResult {
        &self.run
    }

    /// The seed the run used.
    pub fn seed(&self) -> u64 {
        self.run.seed()
    }

    /// Counters over every queue.
    pub fn totals(&self) -> &QueueCounters {
        &self.totals
    }

    /// What was left at the end over every queue (oldest age: the oldest pending record).
    pub fn end(&self) -> &PendingAtEnd {
        &self.end
    }

    /// The admin page at the end of the horizon.
    pub fn dashboard(&self) -> &Dashboard {
        &self.dashboard
    }

    /// The same summary with the admin page also read at each of `instants` (`--dashboard-at`),
    /// in the order given; an instant after the end of the run reads the page at the end.
    pub fn with_dashboards_at(mut self, instants: &[Millis]) -> Self {
        let objects = self.scenario.objects.len();
        self.dashboards_at = instants
            .iter()
            .map(|&t| Dashboard::at(&self.run, objects, t))
            .collect();
        self
    }

    /// The admin page at the instants asked for with [`Self::with_dashboards_at`].
    pub fn dashboards_at(&self) -> &[Dashboard] {
        &self.dashboards_at
    }

    /// The page at every whole hour of the run, beside the real clear times.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The reading of the total at whole hour `h` ([`Timeline::total`]).
    pub fn reading_total(&self, h: usize) -> Reading {
        self.timeline.total(&self.run, h)
    }

    /// The reading of `object` at whole hour `h` ([`Timeline::object`]).
    pub fn reading(&self, h: usize, object: usize) -> Reading {
        self.timeline.object(&self.run, h, object)
    }

    /// Every scalar metric, in the stable order of [`metric_names`].
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// The value of metric `name`; `None` inside when it has no value, `None` outside when
    /// the run has no such metric.
    pub fn metric(&self, name: &str) -> Option<Option<f64>> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// Whether the run has errors, retries or an API budget worth a report section: error
    /// rates in the scenario, failed attempts or errored records, a daily API limit, or other
    /// integrations' calls. The sync's own batch calls alone do not count: every run makes
    /// them.
    pub fn shows_errors(&self) -> bool {
        self.shows_errors
    }

    /// The largest retry queue on the sample grid.
    pub fn retry_queue_max(&self) -> u64 {
        self.run.retry_samples().iter().copied().max().unwrap_or(0) as u64
    }

    /// The largest timeout queue on the sample grid.
    pub fn timeout_queue_max(&self) -> u64 {
        self.run
            .timeout_samples()
            .iter()
            .copied()
            .max()
            .unwrap_or(0) as u64
    }
}

/// The names of every scalar metric a run of `scenario` has, in the order of
/// [`RunSummary::metrics`], without running it.
pub fn metric_names(scenario: &Scenario) -> Vec<String> {
    scalars::list(scenario, None)
        .into_iter()
        .map(|m| m.name)
        .collect()
}
