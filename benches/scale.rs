//! Scale benchmarks, run on demand (`cargo bench --bench scale`, several minutes and about
//! 2 GiB of memory): one replication of the reference scenario at 1, 10, 30 and 100 times
//! its scale (`scenarios/reference*.toml`), its edits drawn on a second thread as `syncsim
//! run` does. The cost per edit should stay flat from one scale to the next; the figures and
//! the whole-process commands are in `docs/performance.md` (Scale).

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use syncsim::engine::{simulate_with, Inputs};
use syncsim::load;

fn scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for file in [
        "reference",
        "reference-10x",
        "reference-30x",
        "reference-100x",
    ] {
        let path = format!("scenarios/{file}.toml");
        let sc = load::load(Path::new(&path), &[]).expect("a reference scenario");
        group.bench_function(file, |b| {
            b.iter(|| {
                simulate_with(
                    &sc,
                    sc.seed,
                    Inputs {
                        draw_ahead: true,
                        ..Inputs::default()
                    },
                )
                .max_backlog()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
