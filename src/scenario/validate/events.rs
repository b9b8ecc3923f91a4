//! Validation of `[events.<name>]` tables: each kind's keys (a key of another kind is
//! refused), times within the horizon, bulk updates within their object's records, at most
//! [`MAX_TRACKED_EVENTS`] tracked events, and outage windows that do not overlap.

use indexmap::IndexMap;

use super::{check_name, Checker, Expect, MAX_THROUGHPUT};
use crate::scenario::limits::{MAX_SPREAD, WORKERS};
use crate::scenario::raw::RawEvent;
use crate::scenario::{
    Direction, EventKind, EventSpec, ObjectSpec, ScenarioError, Selection, MAX_TRACKED_EVENTS,
};
use crate::units::{self, Instant, Millis};

/// Validates the events, sorted by time (events at the same instant keep their file order);
/// an object enabled by an event starts outside the sync.
pub(super) fn validate_events(
    c: &Checker,
    raw: &IndexMap<String, RawEvent>,
    objects: &mut [ObjectSpec],
    start: Instant,
    horizon: Millis,
    horizon_ends: &str,
) -> Result<Vec<EventSpec>, ScenarioError> {
    let mut events = Vec::with_capacity(raw.len());
    let mut enabled_by_event = vec![false; objects.len()];
    for (name, e) in raw {
        check_name(c, &format!("events.{name}"), name, "an event")?;
        let key = |k: &str| format!("events.{name}.{k}");
        let kind_name = match e.kind.as_deref() {
            None => return c.fail(key("kind"), "is required; allowed: bulk_update, enable_object, sync_disabled, sync_enabled, set_throughput, set_workers, fix_errors, retry_errored, api_calls"),
            Some(k) => k,
        };
        let at = match e.at.as_ref() {
            None => {
                return c.fail(
                    key("at"),
                    "is required: a time after start (`24h`) or a UTC instant",
                )
            }
            Some(t) => {
                c.instant_or_offset(&key("at"), &c.text(&key("at"), t, Expect::Either)?, start)?
            }
        };
        if at >= horizon {
            return c.fail(
                key("at"),
                format!(
                    "is at {} but {horizon_ends} {}; an event must happen within it",
                    units::format_duration(at),
                    units::format_duration(horizon)
                ),
            );
        }
        // Keys each kind understands; any other key set on the event is a mistake.
        let allowed: &[&str] = match kind_name {
            "bulk_update" => &["object", "direction", "count", "spread", "records", "first_record", "synced_fields"],
            "enable_object" => &["object"],
            "sync_disabled" => &["duration"],
            "sync_enabled" => &[],
            "set_throughput" => &["throughput"],
            "set_workers" => &["workers"],
            "fix_errors" | "retry_errored" => &["object"],
            "api_calls" => &["calls", "spread"],
            other => return c.fail(key("kind"), format!("unknown kind '{other}'; allowed: bulk_update, enable_object, sync_disabled, sync_enabled, set_throughput, set_workers, fix_errors, retry_errored, api_calls")),
        };
        let present = [
            ("object", e.object.is_some()),
            ("direction", e.direction.is_some()),
            ("count", e.count.is_some()),
            ("spread", e.spread.is_some()),
            ("records", e.records.is_some()),
            ("first_record", e.first_record.is_some()),
            ("synced_fields", e.synced_fields.is_some()),
            ("duration", e.duration.is_some()),
            ("throughput", e.throughput.is_some()),
            ("workers", e.workers.is_some()),
            ("calls", e.calls.is_some()),
        ];
        for (k, set) in present {
            if set && !allowed.contains(&k) {
                return c.fail(
                    key(k),
                    format!(
                        "does not apply to kind = \"{kind_name}\" (its keys: {})",
                        if allowed.is_empty() {
                            "none beyond kind and at".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                );
            }
        }
        let object = |objects: &[ObjectSpec]| match e.object.as_deref() {
            None => c.fail(
                key("object"),
                "is required: the object the event applies to",
            ),
            Some(n) => c.object(&key("object"), n, objects),
        };
        let kind = match kind_name {
            "bulk_update" => {
                let object = object(objects)?;
                let o = &objects[object];
                let direction = match e.direction.as_deref() {
                    None => {
                        if o.syncs[0] {
                            Direction::ToMarketing
                        } else {
                            Direction::ToCrm
                        }
                    }
                    Some(d) => Direction::parse(d).map_or_else(
                        || {
                            c.fail(
                                key("direction"),
                                format!("unknown direction '{d}'; allowed: to_marketing, to_crm"),
                            )
                        },
                        Ok,
                    )?,
                };
                if !o.syncs[direction as usize] {
                    return c.fail(
                        key("direction"),
                        format!(
                            "object '{}' does not sync {}; allowed here: {} (or set the \
                             object's `sync = \"both\"`)",
                            o.name,
                            direction.name(),
                            direction.other().name()
                        ),
                    );
                }
                let count = match e.count {
                    None => {
                        return c.fail(
                            key("count"),
                            format!(
                                "is required: how many records the update edits, 1..={}",
                                o.records
                            ),
                        )
                    }
                    Some(n) => c.int_in(&key("count"), n, 1, o.records as i64)? as u32,
                };
                let selection = match e.records.as_deref().unwrap_or("sequential") {
                    "sequential" => Selection::Sequential,
                    "random" => Selection::Random,
                    other => {
                        return c.fail(
                            key("records"),
                            format!("unknown selection '{other}'; allowed: sequential, random"),
                        )
                    }
                };
                let first_record = match e.first_record {
                    None => 0,
                    Some(f) => {
                        if selection == Selection::Random {
                            return c.fail(
                                key("first_record"),
                                "applies only with records = \"sequential\"",
                            );
                        }
                        c.int_in(&key("first_record"), f, 0, (o.records - count) as i64)? as u32
                    }
                };
                let spread = match e.spread.as_ref() {
                    None => 0,
                    Some(s) => c.duration(
                        &key("spread"),
                        &c.text(&key("spread"), s, Expect::Duration)?,
                    )?,
                };
                if spread > MAX_SPREAD {
                    return c.fail(
                        key("spread"),
                        format!(
                            "must be at most {} (got {})",
                            units::format_duration(MAX_SPREAD),
                            units::format_duration(spread)
                        ),
                    );
                }
                EventKind::BulkUpdate {
                    object,
                    direction,
                    count,
                    spread,
                    selection,
                    first_record,
                    synced_fields: e.synced_fields.unwrap_or(true),
                }
            }
            "enable_object" => {
                let object = object(objects)?;
                if enabled_by_event[object] {
                    return c.fail(
                        key("object"),
                        format!(
                            "'{}' is enabled by two events; enable it once",
                            objects[object].name
                        ),
                    );
                }
                enabled_by_event[object] = true;
                objects[object].enabled = false;
                EventKind::EnableObject { object }
            }
            "sync_disabled" => EventKind::SyncDisabled {
                duration: match e.duration.as_ref() {
                    None => None,
                    Some(d) => Some(c.positive_duration(
                        &key("duration"),
                        &c.text(&key("duration"), d, Expect::Duration)?,
                    )?),
                },
            },
            "sync_enabled" => EventKind::SyncEnabled,
            "set_throughput" => EventKind::SetThroughput {
                throughput: match e.throughput {
                    None => {
                        return c.fail(
                            key("throughput"),
                            "is required: the new cost units per hour per worker",
                        )
                    }
                    Some(t) => c.non_negative(&key("throughput"), t, MAX_THROUGHPUT)?,
                },
            },
            "set_workers" => EventKind::SetWorkers {
                workers: match e.workers {
                    None => {
                        return c.fail(key("workers"), "is required: the new number of workers")
                    }
                    Some(w) => c.int_in(&key("workers"), w, WORKERS.min, WORKERS.max)? as u32,
                },
            },
            "fix_errors" => EventKind::FixErrors {
                object: object(objects)?,
            },
            "retry_errored" => EventKind::RetryErrored {
                object: object(objects)?,
            },
            "api_calls" => {
                let calls = match e.calls {
                    None => {
                        return c.fail(
                            key("calls"),
                            "is required: how many calls the other integration makes, 1..=1000000000000",
                        )
                    }
                    Some(n) => c.int_in(&key("calls"), n, 1, 1_000_000_000_000)? as u64,
                };
                let spread = match e.spread.as_ref() {
                    None => 0,
                    Some(s) => c.duration(
                        &key("spread"),
                        &c.text(&key("spread"), s, Expect::Duration)?,
                    )?,
                };
                if spread > MAX_SPREAD {
                    return c.fail(
                        key("spread"),
                        format!(
                            "must be at most 3660d (got {})",
                            units::format_duration(spread)
                        ),
                    );
                }
                EventKind::ApiCalls { calls, spread }
            }
            _ => unreachable!("kind names were checked above"),
        };
        events.push(EventSpec {
            name: name.clone(),
            at,
            kind,
        });
    }
    // Events at the same instant keep their order in the file.
    events.sort_by_key(|e| e.at);
    let tracked = events.iter().filter(|e| e.kind.makes_edits()).count();
    if tracked > MAX_TRACKED_EVENTS {
        return c.fail(
            "events",
            format!(
                "at most {MAX_TRACKED_EVENTS} bulk_update and enable_object events are allowed \
                 (got {tracked}); merge bulk updates of the same object"
            ),
        );
    }
    check_outage_windows(c, &events)?;
    Ok(events)
}

/// Disabling an already disabled sync, or enabling a running one, is a scenario mistake.
fn check_outage_windows(c: &Checker, events: &[EventSpec]) -> Result<(), ScenarioError> {
    // Replays the switches in the engine's own order: by time, then scheduling order, in
    // which event i is scheduled before its automatic re-enable and both before event i + 1.
    // Entries: (time, scheduling rank, disables?, name).
    let mut changes: Vec<(Millis, usize, bool, &str)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::SyncDisabled { duration } => {
                changes.push((e.at, 2 * i, true, &e.name));
                if let Some(d) = duration {
                    changes.push((e.at + d, 2 * i + 1, false, &e.name));
                }
            }
            EventKind::SyncEnabled => changes.push((e.at, 2 * i, false, &e.name)),
            _ => {}
        }
    }
    changes.sort_by_key(|(t, rank, _, _)| (*t, *rank));
    let mut disabled = false;
    for (t, _, disables, name) in changes {
        let at = units::format_duration(t);
        match (disables, disabled) {
            (true, true) => return c.fail(format!("events.{name}"), format!("disables the sync at {at} while it is already disabled: outage windows overlap")),
            (false, false) => return c.fail(format!("events.{name}"), format!("enables the sync at {at} but it is not disabled then: a sync_enabled needs an earlier sync_disabled without a duration")),
            _ => disabled = disables,
        }
    }
    Ok(())
}
