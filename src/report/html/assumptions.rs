//! The dashboard's "Key assumptions" section: the sync's settings, each object's records,
//! rates and record choice, and the scenario's timed events, in words.

use std::fmt::Write as _;

use super::markup::{cell, esc, h, head_row, num, object_head, utc, zone};
use crate::scenario::{Direction, EventKind, Policy, RecordChoice, Scenario, Selection};
use crate::summary::RunSummary;
use crate::text::{fixed, thousands};
use crate::units::{format_duration, human_duration};

/// The assumptions section; `monte_carlo`: the run is replication 0 of several.
pub(super) fn assumptions_section(o: &mut String, run: &RunSummary, monte_carlo: bool) {
    let (sc, r) = (run.scenario(), run.run());
    let errors = run.shows_errors();
    let s = &sc.sync;
    let gates: Vec<String> = s
        .gates
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            g.map(|g| {
                format!(
                    "{} waits while {} has backlog",
                    sc.objects[i].name, sc.objects[g].name
                )
            })
        })
        .collect();
    let _ = write!(
        o,
        "<section id=\"assumptions\" aria-labelledby=\"assumptions-h\">\n<h2 id=\"assumptions-h\">Key assumptions</h2>\n\
         <dl class=\"facts\">\n<dt>Preset</dt><dd>{}</dd>\n<dt>Policy</dt><dd>{}</dd>\n\
         <dt>Workers</dt><dd>{}</dd>\n<dt>Throughput</dt><dd>{} units per hour per worker (an update costs 1, a skip {})</dd>\n\
         <dt>Batch size</dt><dd>{}</dd>\n<dt>Batch overhead</dt><dd>{}</dd>\n\
         <dt>Cycle wait</dt><dd>{}</dd>\n<dt>Requeue on re-edit</dt><dd>{}</dd>\n<dt>Gates</dt><dd>{}</dd>\n\
         {}<dt>Start, horizon</dt><dd>{} {zone}, {}</dd>\n<dt>Seed</dt><dd>{}</dd>\n<dt>Backlog sampled every</dt><dd>{}</dd>\n</dl>\n",
        sc.preset.map_or("none", |p| p.name()),
        esc(&policy_text(sc)),
        s.workers,
        thousands(s.throughput.round() as u64),
        fixed(s.skip_cost, 2),
        batch_size_text(sc),
        human_duration(s.batch_overhead),
        human_duration(s.cycle_wait),
        if s.requeue { "yes: a re-edited pending record moves behind newer entries" } else { "no" },
        if gates.is_empty() { "none".to_string() } else { esc(&gates.join("; ")) },
        if errors { super::errors::error_assumptions(sc) } else { String::new() },
        utc(sc, 0),
        crate::report::terminal::horizon_text(sc),
        if monte_carlo {
            format!("{} (replication 0: {})", sc.seed, r.seed())
        } else {
            r.seed().to_string()
        },
        human_duration(sc.sample_interval),
        zone = zone(sc),
    );
    o.push_str("<div class=\"scroll\"><table>\n<caption>Objects: records, background edits per hour in each direction, and how edits pick records.</caption>\n");
    head_row(
        o,
        &[
            ("Object", false),
            ("Records", true),
            ("Syncs", false),
            ("Edits/h to marketing", true),
            ("Edits/h to CRM", true),
            ("Synced fields", true),
            ("Passes filter", true),
            ("Record choice", false),
            ("Rate varies", false),
            ("In sync at start", false),
        ],
    );
    o.push_str("<tbody>\n");
    for (i, ob) in sc.objects.iter().enumerate() {
        o.push_str("<tr>");
        o.push_str(&object_head(sc, i));
        num(o, &thousands(ob.records as u64));
        cell(
            o,
            match ob.syncs {
                [true, true] => "both",
                [true, false] => "to_marketing",
                [false, true] => "to_crm",
                [false, false] => "none",
            },
        );
        for dir in Direction::ALL {
            num(
                o,
                &thousands(ob.edits_per_hour[dir as usize].round() as u64),
            );
        }
        num(o, &format!("{}%", fixed(ob.synced_fraction * 100.0, 1)));
        num(o, &format!("{}%", fixed(ob.filter_pass * 100.0, 1)));
        cell(o, &record_choice_text(&ob.record_choice));
        let mut varies = Vec::new();
        if ob.hour_profile.is_some() {
            varies.push("by hour of day".to_string());
        }
        if ob.weekend_factor != 1.0 {
            varies.push(format!("weekends x{}", fixed(ob.weekend_factor, 2)));
        }
        cell(
            o,
            &if varies.is_empty() {
                "no".to_string()
            } else {
                varies.join(", ")
            },
        );
        cell(o, if ob.enabled { "yes" } else { "no" });
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table></div>\n");
    o.push_str("<h3>Events</h3>\n");
    if sc.events.is_empty() {
        o.push_str("<p class=\"note\">No timed events.</p>\n");
    } else {
        o.push_str("<div class=\"scroll\"><table>\n<caption>Timed events of the scenario, in time order.</caption>\n");
        head_row(
            o,
            &[
                ("Event", false),
                ("At", true),
                (format!("At ({})", zone(sc)).as_str(), false),
                ("Kind", false),
                ("What it does", false),
            ],
        );
        o.push_str("<tbody>\n");
        for e in &sc.events {
            let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(&e.name));
            num(o, &h(e.at));
            cell(o, &utc(sc, e.at));
            cell(o, e.kind.name());
            cell(o, &event_text(sc, &e.kind));
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table></div>\n");
    }
    o.push_str("</section>\n");
}

fn policy_text(sc: &Scenario) -> String {
    let names = |order: &[usize]| {
        order
            .iter()
            .map(|&o| sc.objects[o].name.as_str())
            .collect::<Vec<_>>()
            .join(" > ")
    };
    match &sc.sync.policy {
        Policy::Fifo => "fifo: oldest edit first across all objects".into(),
        Policy::RoundRobin { order, slice } => format!(
            "round_robin: turns of up to {} records per object, in the order {}",
            thousands(*slice as u64),
            names(order)
        ),
        Policy::Priority { order } => format!("priority: {}", names(order)),
        Policy::Weighted { weights } => format!(
            "weighted: {}",
            weights
                .iter()
                .enumerate()
                .map(|(o, w)| format!("{} {w}", sc.objects[o].name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn record_choice_text(c: &RecordChoice) -> String {
    match c {
        RecordChoice::Uniform => "uniform".into(),
        RecordChoice::HotSet { fraction, share } => format!(
            "hot set: {}% of records get {}% of edits",
            fixed(fraction * 100.0, 1),
            fixed(share * 100.0, 1)
        ),
        RecordChoice::Zipf { exponent } => format!("Zipf, exponent {}", fixed(*exponent, 2)),
    }
}

fn event_text(sc: &Scenario, kind: &EventKind) -> String {
    match kind {
        EventKind::BulkUpdate {
            object,
            direction,
            count,
            spread,
            selection,
            first_record,
            synced_fields,
        } => format!(
            "{} {} records ({}), {}, spread over {}; {}",
            thousands(*count as u64),
            sc.objects[*object].name,
            match selection {
                Selection::Sequential => format!("ids from {}", thousands(*first_record as u64)),
                Selection::Random => "picked at random".into(),
            },
            match direction {
                Direction::ToMarketing => "CRM to marketing platform",
                Direction::ToCrm => "marketing platform to CRM",
            },
            format_duration(*spread),
            if *synced_fields {
                "synced fields (updates)"
            } else {
                "hidden fields only (skips)"
            }
        ),
        EventKind::EnableObject { object } => format!(
            "{} joins the sync: all its records enter the queue",
            sc.objects[*object].name
        ),
        EventKind::SyncDisabled { duration: Some(d) } => {
            format!("sync disabled for {}", format_duration(*d))
        }
        EventKind::SyncDisabled { duration: None } => "sync disabled until enabled".into(),
        EventKind::SyncEnabled => "sync enabled".into(),
        EventKind::SetThroughput { throughput } => format!(
            "throughput set to {} units per hour per worker",
            thousands(throughput.round() as u64)
        ),
        EventKind::SetWorkers { workers } => format!("workers set to {workers}"),
        EventKind::ApiCalls { calls, spread } => format!(
            "another integration makes {} API calls, spread over {}",
            thousands(*calls),
            format_duration(*spread)
        ),
        EventKind::FixErrors { object } => format!(
            "the cause of {}'s permanent errors is fixed",
            sc.objects[*object].name
        ),
        EventKind::RetryErrored { object } => format!(
            "every errored {} record is retried now",
            sc.objects[*object].name
        ),
    }
}

/// The batch size, and the objects that set their own size or records per call, if any.
fn batch_size_text(sc: &Scenario) -> String {
    let mut text = format!("{} records", thousands(sc.sync.batch_size as u64));
    let own: Vec<String> = sc
        .objects
        .iter()
        .filter(|o| {
            o.batch_size != sc.sync.batch_size || o.records_per_call != sc.api.records_per_call
        })
        .map(|o| {
            format!(
                "{} {} ({} per call)",
                esc(&o.name),
                thousands(o.batch_size as u64),
                thousands(o.records_per_call as u64)
            )
        })
        .collect();
    if !own.is_empty() {
        text.push_str(&format!("; objects of their own: {}", own.join(", ")));
    }
    text
}
