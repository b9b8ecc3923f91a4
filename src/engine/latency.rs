//! The latency summaries of a run's synced updates, per object and direction, computed when
//! the run ends (nearest-rank percentiles over every sample, docs/model.md, Metrics), and how
//! many of each object's were slower than each service-level bound of the scenario
//! (`[sla] latency_over`), on two threads when the run may use a second one.

use crate::metrics::{LatencySamples, LatencySummary};
use crate::scenario::QueueId;
use crate::units::Millis;

use super::entries::{Queue, Queues};

/// One object's latency: its summaries to the marketing platform, to the CRM and both ways,
/// how many of its synced updates (both ways) took longer than each bound, and both ways
/// the summaries of its creations and of its other updates (docs/model.md, Creations).
type ObjectLatency = (
    [Option<LatencySummary>; 3],
    Vec<u64>,
    [Option<LatencySummary>; 2],
);

/// Per object: the latency summaries of its synced updates to the marketing platform, to the
/// CRM, and both ways, and the counts above each of `bounds`. On `two_threads`, the objects
/// are shared between this thread and a second one, the largest first to whichever has fewer
/// samples so far; the summaries are the same either way.
pub(super) fn latency_summaries(
    queues: &Queues,
    objects: usize,
    bounds: &[Millis],
    two_threads: bool,
) -> Vec<ObjectLatency> {
    let of_object = |[m, c]: [&Queue; 2]| -> ObjectLatency {
        if !(m.creation_latencies.is_empty() && c.creation_latencies.is_empty()) {
            return with_creations([m, c], bounds);
        }
        let over = bounds
            .iter()
            .map(|&b| m.latencies.count_above(b) + c.latencies.count_above(b))
            .collect();
        let to_marketing = m.latencies.summary();
        let to_crm = c.latencies.summary();
        // An object that syncs one way has the same summary overall: no second pass.
        let both = match (to_marketing, to_crm) {
            (Some(_), Some(_)) => {
                let mut both = m.latencies.clone();
                both.extend_from(&c.latencies);
                both.summary()
            }
            (one, None) | (None, one) => one,
        };
        ([to_marketing, to_crm, both], over, [None, both])
    };
    let objects: Vec<[&Queue; 2]> = (0..objects)
        .map(|o| QueueId::of_object(o).map(|q| &queues[q]))
        .collect();
    if !two_threads || objects.len() < 2 {
        return objects.into_iter().map(of_object).collect();
    }
    let samples = |[m, c]: [&Queue; 2]| {
        m.latencies.len()
            + c.latencies.len()
            + m.creation_latencies.len()
            + c.creation_latencies.len()
    };
    let mut by_size: Vec<usize> = (0..objects.len()).collect();
    by_size.sort_by_key(|&o| std::cmp::Reverse(samples(objects[o])));
    let (mut here, mut there) = (Vec::new(), Vec::new());
    let (mut here_samples, mut there_samples) = (0, 0);
    for o in by_size {
        if here_samples <= there_samples {
            here_samples += samples(objects[o]);
            here.push(o);
        } else {
            there_samples += samples(objects[o]);
            there.push(o);
        }
    }
    let mut summaries = vec![([None; 3], Vec::new(), [None; 2]); objects.len()];
    std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            there
                .iter()
                .map(|&o| (o, of_object(objects[o])))
                .collect::<Vec<_>>()
        });
        for &o in &here {
            summaries[o] = of_object(objects[o]);
        }
        for (o, s) in other.join().expect("the summary thread does not panic") {
            summaries[o] = s;
        }
    });
    summaries
}

/// [`latency_summaries`] of an object whose creations synced: every figure over creations
/// and updates together, beside the creations' and the other updates' own.
fn with_creations([m, c]: [&Queue; 2], bounds: &[Millis]) -> ObjectLatency {
    let over = bounds
        .iter()
        .map(|&b| {
            [m, c]
                .iter()
                .map(|q| q.latencies.count_above(b) + q.creation_latencies.count_above(b))
                .sum()
        })
        .collect();
    let joined = |a: &LatencySamples, b: &LatencySamples| {
        let mut all = a.clone();
        all.extend_from(b);
        all
    };
    let to_marketing = joined(&m.latencies, &m.creation_latencies);
    let to_crm = joined(&c.latencies, &c.creation_latencies);
    let both = joined(&to_marketing, &to_crm).summary();
    let creations = joined(&m.creation_latencies, &c.creation_latencies).summary();
    let updates = joined(&m.latencies, &c.latencies).summary();
    (
        [to_marketing.summary(), to_crm.summary(), both],
        over,
        [creations, updates],
    )
}
