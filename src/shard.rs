//! Shards: a run that is many runs (Monte Carlo replications, sweep points, schedule plans,
//! compared candidates' replications) split over machines or array tasks, and the parts they
//! write (docs/planner.md).
//!
//! Shard `k` of `n` owns the items (replications, points, plans) whose index `i` satisfies
//! `i % n == k - 1`. `--shard auto` takes `k` and `n` from a cluster scheduler's environment
//! ([`ShardSpec::resolve`]; the caller passes the lookup, this module reads no environment).
//! Each shard writes one [`Part`]: a small JSON file that says what it is (command, program
//! version, scenario fingerprint, options, shard, item count, seed) around a body of exact
//! text that only the command knows how to read. [`check`] refuses parts that cannot be
//! joined (another command, version, scenario, options or shard count; a shard twice or
//! missing) before any body is read.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::scenario::Scenario;

/// The format tag every part starts with.
pub const FORMAT: &str = "syncsim-part-1";

/// The program version parts are stamped with: results depend on it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One deterministic slice of many runs: shard `k` of `n` holds the items whose index `i`
/// satisfies `i % n == k - 1` (interleaved, so neighbouring items, which cost about the same,
/// spread over all shards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based shard number.
    pub k: u64,
    /// Number of shards.
    pub n: u64,
}

impl Shard {
    /// Everything.
    pub const WHOLE: Shard = Shard { k: 1, n: 1 };

    /// Parses `K/N`, 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!("'{text}' is not a shard; write K/N with 1 <= K <= N, e.g. --shard 3/8 for the third of eight, or auto (docs/planner.md)")
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// Whether item `i` belongs to this shard.
    pub fn owns(&self, i: usize) -> bool {
        i as u64 % self.n == self.k - 1
    }

    /// Whether this is everything.
    pub fn is_whole(&self) -> bool {
        self.n == 1
    }

    /// The items of `0..count` this shard owns.
    pub fn items(&self, count: u64) -> impl Iterator<Item = u64> + '_ {
        (self.k - 1..count).step_by(self.n as usize)
    }

    /// The table a whole run writes, `stem.csv`.
    pub fn file_name(&self, stem: &str) -> String {
        if self.is_whole() {
            format!("{stem}.csv")
        } else {
            self.part_name(stem)
        }
    }

    /// The part this shard writes: `stem.shard-K-of-N.part`.
    pub fn part_name(&self, stem: &str) -> String {
        format!("{stem}.shard-{}-of-{}.part", self.k, self.n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// What `--shard` says: a shard, or `auto` (with a shard count, or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSpec {
    /// `K/N`.
    Fixed(Shard),
    /// `auto` or `auto/N`: the index (and without `/N` the count) from the scheduler.
    Auto(Option<u64>),
}

/// Environment variables `--shard auto` reads: Slurm's array task and bounds, Kubernetes'
/// completion index.
pub const SLURM_ID: &str = "SLURM_ARRAY_TASK_ID";
/// The array's least task id.
pub const SLURM_MIN: &str = "SLURM_ARRAY_TASK_MIN";
/// The array's greatest task id.
pub const SLURM_MAX: &str = "SLURM_ARRAY_TASK_MAX";
/// The array's step (must be 1).
pub const SLURM_STEP: &str = "SLURM_ARRAY_TASK_STEP";
/// The index of a Kubernetes Indexed Job's pod, from 0.
pub const K8S_INDEX: &str = "JOB_COMPLETION_INDEX";

impl ShardSpec {
    /// Parses `K/N`, `auto` or `auto/N`.
    pub fn parse(text: &str) -> Result<ShardSpec, String> {
        let t = text.trim();
        if t == "auto" {
            return Ok(ShardSpec::Auto(None));
        }
        if let Some(n) = t.strip_prefix("auto/") {
            return match n.trim().parse::<u64>() {
                Ok(n) if n >= 1 => Ok(ShardSpec::Auto(Some(n))),
                _ => Err(format!(
                    "'{text}' is not a shard; after auto/ give the number of shards, e.g. --shard auto/8"
                )),
            };
        }
        Shard::parse(t).map(ShardSpec::Fixed)
    }

    /// The shard, reading a scheduler's variables through `env`: under Slurm
    /// (`SLURM_ARRAY_TASK_ID` set) shard `ID - MIN + 1` of `MAX - MIN + 1`; under Kubernetes
    /// (`JOB_COMPLETION_INDEX` set) shard `INDEX + 1` of the count given as `auto/N`. A count
    /// given with Slurm must agree with the array's.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let count = match self {
            ShardSpec::Fixed(s) => return Ok(*s),
            ShardSpec::Auto(n) => *n,
        };
        let number = |name: &str| -> Result<Option<u64>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| format!("--shard auto: {name}='{v}' is not a whole number")),
            }
        };
        let shard = if let Some(id) = number(SLURM_ID)? {
            let (Some(min), Some(max)) = (number(SLURM_MIN)?, number(SLURM_MAX)?) else {
                return Err(format!(
                    "--shard auto: {SLURM_ID} is set but {SLURM_MIN} or {SLURM_MAX} is not; run as a Slurm array task (sbatch --array=1-N)"
                ));
            };
            if let Some(step) = number(SLURM_STEP)?.filter(|&s| s != 1) {
                return Err(format!(
                    "--shard auto: the Slurm array steps by {step}; give it consecutive ids (--array=1-N)"
                ));
            }
            if id < min || id > max {
                return Err(format!(
                    "--shard auto: {SLURM_ID}={id} is outside {min}..{max}"
                ));
            }
            let n = max - min + 1;
            if let Some(c) = count.filter(|&c| c != n) {
                return Err(format!(
                    "--shard auto/{c}: the Slurm array has {n} tasks ({min}-{max}); give the same count, or write --shard auto"
                ));
            }
            Shard { k: id - min + 1, n }
        } else if let Some(index) = number(K8S_INDEX)? {
            let Some(n) = count else {
                return Err(format!(
                    "--shard auto: {K8S_INDEX}={index} gives the index but not the number of shards; write --shard auto/N with N the Job's completions"
                ));
            };
            if index >= n {
                return Err(format!(
                    "--shard auto/{n}: {K8S_INDEX}={index} is not below {n}; the Job's completions and N must agree"
                ));
            }
            Shard { k: index + 1, n }
        } else {
            return Err(format!(
                "--shard auto: neither {SLURM_ID} (a Slurm array task) nor {K8S_INDEX} (a Kubernetes Indexed Job) is set; outside a scheduler write --shard K/N"
            ));
        };
        Ok(shard)
    }
}

/// A shard's self-describing output. Every field but `body` is checked by [`check`] before
/// parts are joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// [`FORMAT`].
    pub format: String,
    /// The command: `run`, `sweep`, `schedule`, `compare`.
    pub command: String,
    /// The syncsim version that wrote it ([`VERSION`]).
    pub version: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario's [`fingerprint`] (after every override shared by the whole run).
    pub fingerprint: String,
    /// The options every shard must share, as the command states them (replications, grid,
    /// report formats...).
    pub options: String,
    /// Which shard.
    pub shard: Shard,
    /// Items (replications, points, plans) in the whole run, across all shards.
    pub items: u64,
    /// What an item is, for messages: `replication`, `point`, `plan`.
    pub item: String,
    /// The scenario seed every replication seed derives from.
    pub seed: u64,
    /// The arguments that load the scenario again (file, overrides), for a merge that must
    /// re-run something.
    pub arguments: Vec<String>,
    /// The shard's results, in a text the command reads back exactly.
    pub body: String,
}

/// Why parts cannot be read or joined (bad input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PartError(pub String);

impl Part {
    /// The part as written: pretty JSON, one field a line, then a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a part serializes");
        bytes.push(b'\n');
        bytes
    }

    /// Reads a part; `name` (its path) names it in errors.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Part, PartError> {
        let not = |why: String| {
            PartError(format!(
                "'{name}' is not a part written by syncsim --shard ({why})"
            ))
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| not(e.to_string()))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(not(format!(
                    "its format is '{other}'; this syncsim reads {FORMAT}"
                )))
            }
            None => return Err(not("no format tag".into())),
        }
        serde_json::from_value(value).map_err(|e| not(e.to_string()))
    }

    /// Which items of the whole run this part holds.
    pub fn item_indices(&self) -> Vec<u64> {
        self.shard.items(self.items).collect()
    }
}

/// Checks that `parts` (each with the name it was read from) are every shard of one run,
/// each once; returns them sorted by shard number.
pub fn check(parts: Vec<(String, Part)>) -> Result<Vec<(String, Part)>, PartError> {
    let fail = |m: String| Err(PartError(m));
    let Some((first_name, first)) = parts.first().cloned() else {
        return fail("no parts to merge".into());
    };
    for (name, p) in &parts[1..] {
        let differ = |what: &str, a: &dyn fmt::Display, b: &dyn fmt::Display| {
            PartError(format!(
                "'{name}' and '{first_name}' are not shards of one run: {what} {b} and {a}; give the parts of one command run with the same options but --shard"
            ))
        };
        if p.command != first.command {
            return Err(differ("commands", &first.command, &p.command));
        }
        if p.version != first.version {
            return Err(PartError(format!(
                "'{name}' was written by syncsim {} and '{first_name}' by syncsim {}; run every shard with the same version (results depend on it)",
                p.version, first.version
            )));
        }
        if p.fingerprint != first.fingerprint || p.scenario != first.scenario {
            return Err(PartError(format!(
                "'{name}' and '{first_name}' ran different scenarios ('{}' {} and '{}' {}): the file, or --seed, --horizon or --set, differ",
                p.scenario, p.fingerprint, first.scenario, first.fingerprint
            )));
        }
        if p.options != first.options || p.items != first.items || p.seed != first.seed {
            return Err(PartError(format!(
                "'{name}' and '{first_name}' ran with different options ('{}' and '{}'); give the parts of one command run with the same options but --shard",
                p.options, first.options
            )));
        }
        if p.shard.n != first.shard.n {
            return Err(differ(
                "shard counts",
                &format!("{} (shard {})", first.shard.n, first.shard),
                &format!("{} (shard {})", p.shard.n, p.shard),
            ));
        }
    }
    let mut parts = parts;
    parts.sort_by_key(|(_, p)| p.shard.k);
    for pair in parts.windows(2) {
        if pair[0].1.shard.k == pair[1].1.shard.k {
            return fail(format!(
                "shard {} is given twice: '{}' and '{}'; give each shard once",
                pair[0].1.shard, pair[0].0, pair[1].0
            ));
        }
    }
    let n = first.shard.n;
    let missing: Vec<String> = (1..=n)
        .filter(|k| !parts.iter().any(|(_, p)| p.shard.k == *k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        let more = missing.len().saturating_sub(10);
        return fail(format!(
            "shard{} {}{} of {} {} missing (have {} of {n}); a task failed or its part was not given",
            if missing.len() == 1 { "" } else { "s" },
            missing[..missing.len().min(10)].join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() },
            first.command,
            if missing.len() == 1 { "is" } else { "are" },
            parts.len()
        ));
    }
    Ok(parts)
}

/// A short, stable fingerprint of a validated scenario (every value, after overrides): the
/// first 16 hex digits of the SHA-256 of its full description.
pub fn fingerprint(sc: &Scenario) -> String {
    let digest = Sha256::digest(format!("{sc:?}").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_split_items_once_and_interleaved() {
        let shards: Vec<Shard> = (1..=3).map(|k| Shard { k, n: 3 }).collect();
        for i in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1);
        }
        assert_eq!(shards[1].items(8).collect::<Vec<_>>(), vec![1, 4, 7]);
        assert_eq!(shards[2].items(2).count(), 0);
        assert_eq!(Shard::parse("2/3").unwrap(), shards[1]);
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(shards[1].file_name("sweep"), "sweep.shard-2-of-3.part");
        assert_eq!(Shard::WHOLE.file_name("sweep"), "sweep.csv");
    }

    #[test]
    fn auto_reads_slurm_and_kubernetes() {
        let auto = ShardSpec::parse("auto").unwrap();
        let slurm = [
            (SLURM_ID, "7"),
            (SLURM_MIN, "5"),
            (SLURM_MAX, "12"),
            (SLURM_STEP, "1"),
        ];
        assert_eq!(auto.resolve(&env(&slurm)), Ok(Shard { k: 3, n: 8 }));
        let auto8 = ShardSpec::parse("auto/8").unwrap();
        assert_eq!(auto8.resolve(&env(&slurm)), Ok(Shard { k: 3, n: 8 }));
        let err = ShardSpec::parse("auto/4")
            .unwrap()
            .resolve(&env(&slurm))
            .unwrap_err();
        assert!(err.contains("has 8 tasks (5-12)"), "{err}");
        let k8s = [(K8S_INDEX, "0")];
        assert_eq!(auto8.resolve(&env(&k8s)), Ok(Shard { k: 1, n: 8 }));
        let err = auto.resolve(&env(&k8s)).unwrap_err();
        assert!(err.contains("write --shard auto/N"), "{err}");
        let err = auto8.resolve(&env(&[(K8S_INDEX, "8")])).unwrap_err();
        assert!(err.contains("not below 8"), "{err}");
        let err = auto.resolve(&env(&[])).unwrap_err();
        assert!(err.contains("neither SLURM_ARRAY_TASK_ID"), "{err}");
        let err = auto.resolve(&env(&[(SLURM_ID, "2")])).unwrap_err();
        assert!(err.contains("SLURM_ARRAY_TASK_MIN"), "{err}");
        let err = auto
            .resolve(&env(&[(SLURM_ID, "x"), (SLURM_MIN, "1"), (SLURM_MAX, "2")]))
            .unwrap_err();
        assert!(err.contains("'x' is not a whole number"), "{err}");
        let stepped = [
            (SLURM_ID, "3"),
            (SLURM_MIN, "1"),
            (SLURM_MAX, "9"),
            (SLURM_STEP, "2"),
        ];
        assert!(auto
            .resolve(&env(&stepped))
            .unwrap_err()
            .contains("steps by 2"));
        assert_eq!(
            ShardSpec::parse("2/5").unwrap().resolve(&env(&slurm)),
            Ok(Shard { k: 2, n: 5 })
        );
        assert!(ShardSpec::parse("auto/0").is_err());
        assert!(ShardSpec::parse("auto/x").is_err());
    }

    fn part(k: u64, n: u64) -> (String, Part) {
        (
            format!("p{k}"),
            Part {
                format: FORMAT.into(),
                command: "run".into(),
                version: VERSION.into(),
                scenario: "s".into(),
                fingerprint: "00ff".into(),
                options: "replications=10".into(),
                shard: Shard { k, n },
                items: 10,
                item: "replication".into(),
                seed: 1,
                arguments: vec!["s.toml".into()],
                body: format!("body {k}\n"),
            },
        )
    }

    #[test]
    fn parts_round_trip_and_are_checked_before_joining() {
        let (_, p) = part(2, 3);
        assert_eq!(Part::parse("p", &p.to_bytes()), Ok(p.clone()));
        assert_eq!(p.item_indices(), vec![1, 4, 7]);
        let err = |parts: Vec<(String, Part)>| check(parts).unwrap_err().to_string();
        let sorted = check(vec![part(3, 3), part(1, 3), part(2, 3)]).unwrap();
        assert_eq!(
            sorted.iter().map(|(_, p)| p.shard.k).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert!(err(vec![part(1, 3), part(3, 3)]).contains("shard 2/3 of run is missing"));
        assert!(err(vec![part(1, 2), part(1, 2), part(2, 2)]).contains("shard 1/2 is given twice"));
        assert!(err(vec![part(1, 2), part(2, 3)]).contains("shard counts 3 (shard 2/3) and 2"));
        let mut other = part(2, 2);
        other.1.fingerprint = "1234".into();
        assert!(err(vec![part(1, 2), other]).contains("ran different scenarios"));
        let mut other = part(2, 2);
        other.1.version = "0.0.9".into();
        assert!(err(vec![part(1, 2), other]).contains("written by syncsim 0.0.9"));
        let mut other = part(2, 2);
        other.1.options = "replications=11".into();
        assert!(err(vec![part(1, 2), other]).contains("different options"));
        let mut other = part(2, 2);
        other.1.command = "sweep".into();
        assert!(err(vec![part(1, 2), other]).contains("commands sweep and run"));
        assert!(Part::parse("x", b"{\"format\":\"other\"}")
            .unwrap_err()
            .to_string()
            .contains("its format is 'other'"));
        assert!(Part::parse("x", b"point,a\n").is_err());
    }
}
