//! Validation: a [`RawScenario`] (the file with overrides applied) becomes a
//! [`ScenarioSpec`]. Presets fill the sync keys the file leaves out, every other key takes
//! its default, every value is checked against its range and every name resolved to an
//! index. The first problem is reported, naming the key, the bad value and what is allowed.
//!
//! This file holds the checks every part shares ([`Checker`]) and the top-level, API and
//! retry keys; objects, the sync and events have a file each.

mod calendar;
mod caused;
mod creations;
mod events;
mod object;
mod sync;
mod windows;

use super::raw::{self, RawScenario};
use super::{
    defaults, limits, ApiSpec, Location, ObjectSpec, Origin, Preset, RetrySpec, ScenarioError,
    ScenarioSpec, SlaSpec, MAX_HORIZON, MAX_OBJECTS,
};
use crate::units::{self, parse_duration, Instant, Millis, DAY};
use calendar::validate_calendar;
use caused::validate_caused;
use creations::size_creations;
use events::validate_events;
use object::{size_batches, validate_object};
use sync::validate_sync;
use windows::validate_burst;

/// What a time value must be, for [`Checker::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A duration (`4h`).
    Duration,
    /// An instant (`2026-11-23T00:00:00Z`).
    Instant,
    /// A time after start (`24h`) or an instant.
    Either,
}

/// A TOML value's kind, as a planner would name it.
fn toml_kind(value: &toml::Value) -> String {
    match value {
        toml::Value::String(_) => "a string".into(),
        toml::Value::Integer(n) => format!("the whole number {n}"),
        toml::Value::Float(x) => format!("the number {x}"),
        toml::Value::Boolean(b) => format!("{b}"),
        toml::Value::Datetime(_) => "a date-time".into(),
        toml::Value::Array(_) => "an array".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

/// Collects the key-named errors of one validation pass; the first is reported.
struct Checker<'a> {
    source: &'a str,
}

impl Checker<'_> {
    fn fail<T>(
        &self,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError {
            source: self.source.into(),
            location: Location::Key(key.into()),
            message: message.into(),
        })
    }

    /// The text of a duration or instant value: a string, a bare `0`, or a TOML date-time.
    fn text(
        &self,
        key: &str,
        value: &toml::Value,
        expect: Expect,
    ) -> Result<String, ScenarioError> {
        let example = match expect {
            Expect::Duration => "a duration such as \"4h\" or \"1d12h\"",
            Expect::Instant => "an RFC 3339 UTC instant such as \"2026-11-23T00:00:00Z\"",
            Expect::Either => {
                "a time after start such as \"24h\" or an RFC 3339 UTC instant such as \
                 \"2026-11-24T00:00:00Z\""
            }
        };
        match value {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(0) if expect != Expect::Instant => Ok("0".into()),
            toml::Value::Integer(n) if expect != Expect::Instant => self.fail(
                key,
                format!("{n} has no unit; write a duration such as \"{n}s\", \"{n}m\" or \"{n}h\""),
            ),
            toml::Value::Float(x) if expect != Expect::Instant => self.fail(
                key,
                format!(
                    "{x} is not a duration: write a whole number and a unit, in quotes, such \
                     as \"4h\" or \"4h30m\""
                ),
            ),
            toml::Value::Datetime(dt) => Ok(dt.to_string()),
            other => self.fail(
                key,
                format!("expected {example} (got {})", toml_kind(other)),
            ),
        }
    }

    fn duration(&self, key: &str, text: &str) -> Result<Millis, ScenarioError> {
        parse_duration(text).or_else(|e| self.fail(key, e.to_string()))
    }

    fn positive_duration(&self, key: &str, text: &str) -> Result<Millis, ScenarioError> {
        match self.duration(key, text)? {
            0 => self.fail(key, format!("must be longer than zero (got '{text}')")),
            d => Ok(d),
        }
    }

    fn int_in(&self, key: &str, value: i64, lo: i64, hi: i64) -> Result<i64, ScenarioError> {
        if (lo..=hi).contains(&value) {
            Ok(value)
        } else {
            self.fail(key, format!("must be {lo}..={hi} (got {value})"))
        }
    }

    fn fraction(&self, key: &str, value: f64) -> Result<f64, ScenarioError> {
        if (0.0..=1.0).contains(&value) {
            Ok(value)
        } else {
            self.fail(key, format!("must be a fraction 0..=1 (got {value})"))
        }
    }

    fn non_negative(&self, key: &str, value: f64, hi: f64) -> Result<f64, ScenarioError> {
        if value.is_finite() && (0.0..=hi).contains(&value) {
            Ok(value)
        } else {
            self.fail(key, format!("must be a number 0..={hi} (got {value})"))
        }
    }

    fn object(
        &self,
        key: &str,
        name: &str,
        objects: &[ObjectSpec],
    ) -> Result<usize, ScenarioError> {
        objects.iter().position(|o| o.name == name).map_or_else(
            || {
                let known: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
                self.fail(
                    key,
                    format!(
                        "unknown object '{name}'; the scenario's objects are: {}",
                        known.join(", ")
                    ),
                )
            },
            Ok,
        )
    }

    fn instant_or_offset(
        &self,
        key: &str,
        text: &str,
        start: Instant,
    ) -> Result<Millis, ScenarioError> {
        units::offset_or_instant(text, start).or_else(|why| {
            if why.contains("is before the scenario's start") {
                self.fail(key, format!("{why}; events happen at or after it"))
            } else {
                self.fail(key, why)
            }
        })
    }
}

/// Longest event or expectation name.
const MAX_NAME_CHARS: usize = 64;

/// Refuses an event or expectation name that would harm what shows it: empty, longer than
/// [`MAX_NAME_CHARS`], or holding a control character (an escape sequence can clear a
/// terminal; a line break splits a CSV row or a JUnit line) or a character that reorders
/// the text around it (bidirectional overrides).
fn check_name(c: &Checker, key: &str, name: &str, what: &str) -> Result<(), ScenarioError> {
    let bad = name.chars().find(|ch| super::error::unsafe_to_show(*ch));
    let why = match bad {
        _ if name.trim().is_empty() => "is empty".to_string(),
        Some(ch) => format!(
            "holds {}, a control or text-direction character",
            ch.escape_unicode()
        ),
        None if name.chars().count() > MAX_NAME_CHARS => {
            format!("is {} characters long", name.chars().count())
        }
        None => return Ok(()),
    };
    c.fail(
        key,
        format!(
            "{what} name {why}; a name is 1-{MAX_NAME_CHARS} characters with no control \
             characters (letters, digits, '_' and '-' are best: it is also a metric name)"
        ),
    )
}

/// Upper bound on a rate, to refuse absurd values before they allocate anything.
const MAX_RATE_PER_HOUR: f64 = limits::RATE_PER_HOUR.max;
/// Upper bound on throughput, cost units per hour per worker.
const MAX_THROUGHPUT: f64 = limits::THROUGHPUT.max;

/// Validates `raw`; `source` names it in errors and `default_name` is used when it sets no
/// `name`. The origin is left for the caller to fill.
pub(crate) fn validate(
    raw: RawScenario,
    source: &str,
    default_name: &str,
) -> Result<ScenarioSpec, ScenarioError> {
    let c = Checker { source };
    let preset = match raw.preset.as_deref() {
        None => None,
        Some(p) => Some(Preset::parse(p).map_or_else(
            || {
                c.fail(
                    "preset",
                    format!("unknown preset '{p}'; allowed: salesforce, dynamics, hubspot"),
                )
            },
            Ok,
        )?),
    };
    let name = raw.name.unwrap_or_else(|| default_name.to_string());
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
        || name.starts_with('.')
    {
        return c.fail(
            "name",
            format!(
                "'{name}' cannot name an output folder; use 1-100 letters, digits, '-', '_' or '.'"
            ),
        );
    }
    let seed = match raw.seed {
        None => defaults::SEED,
        Some(s) if s >= 0 => s as u64,
        Some(s) => return c.fail("seed", format!("must be 0 or more (got {s})")),
    };
    let start = match raw.start.as_ref() {
        None => return c.fail("start", "is required: the UTC instant the simulation starts, e.g. `start = \"2026-11-23T00:00:00Z\"`"),
        Some(value) => {
            let text = c.text("start", value, Expect::Instant)?;
            Instant::parse(&text).or_else(|e| c.fail("start", e.to_string()))?
        }
    };
    let horizon_text = match raw.horizon.as_ref() {
        None => None,
        Some(value) => Some(c.text("horizon", value, Expect::Duration)?),
    };
    let until_clear = horizon_text.as_deref().is_some_and(is_until_clear);
    let (horizon, horizon_key) = if until_clear {
        let cap = match raw.horizon_cap.as_ref() {
            None => defaults::HORIZON_CAP,
            Some(value) => c.positive_duration(
                "horizon_cap",
                &c.text("horizon_cap", value, Expect::Duration)?,
            )?,
        };
        (cap, "horizon_cap")
    } else {
        if raw.horizon_cap.is_some() {
            return c.fail(
                "horizon_cap",
                "applies only to a run until clear: write `horizon = \"until clear\"` too, or \
                 drop horizon_cap",
            );
        }
        let horizon = match horizon_text {
            None => defaults::HORIZON,
            Some(text) => match parse_duration(&text) {
                Ok(0) => {
                    return c.fail(
                        "horizon",
                        format!("must be longer than zero (got '{text}')"),
                    )
                }
                Ok(d) => d,
                Err(e) => {
                    return c.fail(
                        "horizon",
                        format!(
                            "{e}; or write \"until clear\" to run until everything has cleared"
                        ),
                    )
                }
            },
        };
        (horizon, "horizon")
    };
    if horizon > MAX_HORIZON {
        return c.fail(
            horizon_key,
            format!(
                "must be at most 3660d (got {})",
                units::format_duration(horizon)
            ),
        );
    }
    // Every instant of a run is shown in RFC 3339, whose years end with 9999.
    if start.0.saturating_add(horizon as i64) > Instant::LAST.0 {
        let (key, what) = if start.0 >= Instant::LAST.0 {
            ("start", format!("{start} is"))
        } else {
            (
                "horizon",
                format!(
                    "{} after the start {start} is",
                    units::format_duration(horizon)
                ),
            )
        };
        return c.fail(
            key,
            format!(
                "{what} too late: a run must end by {}, for what it shows after its end to be \
                 an instant of year 9999 at most; choose an earlier start or a shorter horizon",
                Instant::LAST
            ),
        );
    }
    let calendar = validate_calendar(
        &c,
        raw.time_zone.as_deref(),
        raw.holidays.as_deref(),
        start,
        horizon,
    )?;
    let sample_interval = match raw.sample_interval.as_ref() {
        None => defaults::SAMPLE_INTERVAL,
        Some(value) => c.positive_duration(
            "sample_interval",
            &c.text("sample_interval", value, Expect::Duration)?,
        )?,
    };
    if horizon / sample_interval > 1_000_000 {
        return c.fail(
            "sample_interval",
            format!(
                "gives {} samples over the horizon; at most 1,000,000 are allowed",
                horizon / sample_interval
            ),
        );
    }
    let replications = match raw.replications {
        None => 1,
        Some(r) => c.int_in("replications", r, 1, 1_000_000)? as u32,
    };

    if raw.objects.len() > MAX_OBJECTS {
        return c.fail(
            "objects",
            format!(
                "the scenario has {} objects; at most {MAX_OBJECTS} are allowed",
                raw.objects.len()
            ),
        );
    }
    if raw.objects.is_empty() {
        return c.fail(
            "objects",
            "a scenario needs at least one object, e.g. `[objects.Lead]` with `records = 1000`",
        );
    }
    let mut objects = Vec::with_capacity(raw.objects.len());
    for (name, o) in &raw.objects {
        objects.push(validate_object(&c, name, o)?);
    }
    let sync = validate_sync(&c, &raw.sync, preset, &objects)?;
    let mut api = validate_api(&c, &raw.api, preset)?;
    size_batches(&c, &raw.objects, &mut objects, &sync, &api)?;
    size_creations(&c, &raw.objects, &mut objects, horizon)?;
    api.burst = validate_burst(&c, &raw.api, &objects, api.calls_per_cycle)?;
    let retry = validate_retry(&c, &raw.retry)?;
    let horizon_ends = if until_clear {
        "the horizon ends at the cap of a run until clear (horizon_cap),"
    } else {
        "the horizon ends at"
    };
    let events = validate_events(&c, &raw.events, &mut objects, start, horizon, horizon_ends)?;
    let caused = validate_caused(
        &c,
        &raw.cascades,
        &raw.echoes,
        raw.max_generations,
        &objects,
    )?;
    let mut expect = Vec::with_capacity(raw.expect.len());
    for (name, text) in &raw.expect {
        let key = format!("expect.{name}");
        check_name(&c, &key, name, "an expectation")?;
        let parsed = crate::expr::parse(text).or_else(|e| c.fail(&key, e.to_string()))?;
        expect.push((name.clone(), parsed));
    }
    let sla = validate_sla(&c, &raw.sla, &expect)?;
    Ok(ScenarioSpec {
        name,
        description: raw.description.unwrap_or_default(),
        preset,
        seed,
        start,
        calendar,
        horizon,
        until_clear,
        sample_interval,
        replications,
        objects,
        sync,
        api,
        retry,
        events,
        caused,
        initial: Vec::new().into(),
        initial_backlog_file: raw.initial_backlog_file.clone(),
        expect,
        sla,
        origin: Origin::default(),
    })
}

/// Whether a `horizon` value asks for a run until clear: `until clear`, `until-clear` or
/// `until_clear` (any case), so the shell needs no quotes (`--horizon until-clear`).
fn is_until_clear(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase().replace(['-', '_'], " ");
    t == "until clear"
}

/// The service levels to measure: the `[sla]` table's levels and bounds, and those the
/// expectations name (`backlog.hours_above.50000` declares level 50,000), each once,
/// ascending. A name the catalogue reads differently (`share_over.900s` for `15m`) is refused
/// with the spelling to use, since the metric would never be found under it.
fn validate_sla(
    c: &Checker,
    raw: &raw::RawSla,
    expect: &[(String, crate::expr::Expr)],
) -> Result<SlaSpec, ScenarioError> {
    let mut sla = SlaSpec::default();
    for (i, level) in raw.backlog_above.iter().flatten().enumerate() {
        let level = c.int_in(&format!("sla.backlog_above[{i}]"), *level, 0, 1 << 40)?;
        sla.backlog_above.push(level as u64);
    }
    for (i, bound) in raw.latency_over.iter().flatten().enumerate() {
        let key = format!("sla.latency_over[{i}]");
        let bound = c.positive_duration(&key, &c.text(&key, bound, Expect::Duration)?)?;
        sla.latency_over.push(bound);
    }
    for (name, e) in expect {
        for cond in &e.conditions {
            let metric = cond.metric.as_str();
            let key = format!("expect.{name}");
            if let Some(level) = metric.strip_prefix("backlog.hours_above.") {
                match level.parse::<u64>() {
                    Ok(n) if n.to_string() == level => sla.backlog_above.push(n),
                    _ => {
                        return c.fail(
                            key,
                            format!("'{metric}': the level must be written in digits alone, e.g. backlog.hours_above.50000"),
                        )
                    }
                }
            } else if let Some((_, bound)) = metric
                .strip_prefix("latency.")
                .and_then(|rest| rest.split_once(".share_over."))
            {
                match parse_duration(bound) {
                    Ok(ms) if ms > 0 && units::format_duration(ms) == bound => {
                        sla.latency_over.push(ms)
                    }
                    Ok(ms) if ms > 0 => {
                        let canonical = metric.replacen(
                            &format!(".share_over.{bound}"),
                            &format!(".share_over.{}", units::format_duration(ms)),
                            1,
                        );
                        return c.fail(key, format!("'{metric}': write the bound in its largest whole unit, as the metric is named: {canonical}"));
                    }
                    _ => {
                        return c.fail(
                            key,
                            format!("'{metric}': the bound must be a duration above zero, e.g. latency.Lead.share_over.15m"),
                        )
                    }
                }
            }
        }
    }
    sla.backlog_above.sort_unstable();
    sla.backlog_above.dedup();
    sla.latency_over.sort_unstable();
    sla.latency_over.dedup();
    Ok(sla)
}

fn profile(c: &Checker, key: &str, values: &[f64]) -> Result<[f64; 24], ScenarioError> {
    if values.len() != 24 {
        return c.fail(
            key,
            format!(
                "must hold 24 multipliers, one per hour of the day (got {})",
                values.len()
            ),
        );
    }
    let mut profile = [0.0; 24];
    for (i, v) in values.iter().enumerate() {
        profile[i] = c.non_negative(&format!("{key}[{i}]"), *v, 1e6)?;
    }
    Ok(profile)
}

fn validate_api(
    c: &Checker,
    raw: &raw::RawApi,
    preset: Option<Preset>,
) -> Result<ApiSpec, ScenarioError> {
    let default_checks = match preset {
        Some(Preset::Salesforce) => defaults::SALESFORCE_CALLS_PER_CYCLE,
        _ => 0,
    };
    let records_per_call = c.int_in(
        "api.records_per_call",
        raw.records_per_call
            .unwrap_or(defaults::RECORDS_PER_CALL as i64),
        1,
        1_000_000,
    )? as u32;
    let calls_per_cycle = c.int_in(
        "api.calls_per_cycle",
        raw.calls_per_cycle.unwrap_or(default_checks as i64),
        0,
        1_000_000,
    )? as u32;
    let daily_limit = match raw.daily_limit {
        None => None,
        Some(l) => Some(c.int_in("api.daily_limit", l, 1, 1_000_000_000_000)? as u64),
    };
    let background_weekend_factor = c.non_negative(
        "api.background_weekend_factor",
        raw.background_weekend_factor.unwrap_or(1.0),
        1e6,
    )?;
    Ok(ApiSpec {
        daily_limit,
        records_per_call,
        calls_per_cycle,
        background_calls_per_hour: c.non_negative(
            "api.background_calls_per_hour",
            raw.background_calls_per_hour.unwrap_or(0.0),
            MAX_RATE_PER_HOUR,
        )?,
        background_hour_profile: match &raw.background_hour_profile {
            None => None,
            Some(p) => Some(profile(c, "api.background_hour_profile", p)?),
        },
        background_weekend_factor,
        background_holiday_factor: c.non_negative(
            "api.background_holiday_factor",
            raw.background_holiday_factor
                .unwrap_or(background_weekend_factor),
            1e6,
        )?,
        burst: Default::default(),
    })
}

fn validate_retry(c: &Checker, raw: &raw::RawRetry) -> Result<RetrySpec, ScenarioError> {
    let interval = match &raw.interval {
        None => defaults::RETRY_INTERVAL,
        Some(v) => c.positive_duration(
            "retry.interval",
            &c.text("retry.interval", v, Expect::Duration)?,
        )?,
    };
    if interval > 30 * DAY {
        return c.fail("retry.interval", "must be at most 30d");
    }
    let nightly_at = match raw.nightly_at.as_deref() {
        None => 0,
        Some(t) => units::parse_time_of_day(t).map_or_else(
            || {
                c.fail(
                    "retry.nightly_at",
                    format!("'{t}' is not a time of day; write HH:MM, e.g. \"00:00\" or \"02:30\""),
                )
            },
            Ok,
        )?,
    };
    Ok(RetrySpec {
        interval,
        max_attempts: c.int_in(
            "retry.max_attempts",
            raw.max_attempts.unwrap_or(defaults::MAX_ATTEMPTS as i64),
            1,
            1000,
        )? as u32,
        nightly_at,
        suppress_above_fraction: c.fraction(
            "retry.suppress_above_fraction",
            raw.suppress_above_fraction
                .unwrap_or(defaults::SUPPRESS_ABOVE_FRACTION),
        )?,
        suppress_above_calls: c.int_in(
            "retry.suppress_above_calls",
            raw.suppress_above_calls
                .unwrap_or(defaults::SUPPRESS_ABOVE_CALLS as i64),
            0,
            1_000_000_000_000,
        )? as u64,
    })
}
