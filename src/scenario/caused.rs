//! Caused edits: the scenario's cascades (`[cascades.<name>]`: an edit or a synced update of
//! one object causes edits of another) and echoes (`[echoes.<name>]`: a synced update
//! re-stamps the record on the side it was written to), as validated rules the engine
//! applies (docs/model.md, Cascades and echoes).
//!
//! Both kinds are one [`CausedRule`]: what triggers it (an edit, or a synced update, of an
//! object in a direction), how many edits each trigger causes ([`CausedCount`]), of which
//! object and records, after which delay, and whether they touch synced fields. A rule set
//! whose caused edits could feed themselves for ever is refused at validation; every chain
//! of caused edits stops after [`CausedRules::max_generations`].

use crate::units::Millis;

/// Default of `max_generations`: the longest chain of caused edits (an edit caused by an
/// edit caused by ...), counted from an edit no rule caused.
pub const MAX_GENERATIONS: u32 = 10;
/// The most `max_generations` may be (an entry keeps its generation in 7 bits).
pub const MAX_GENERATIONS_LIMIT: u32 = 100;
/// The most rules (cascades and echoes together) a scenario may have.
pub const MAX_RULES: usize = 64;

/// Which kind of rule, as written in the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `[cascades.<name>]`: edits of other records (of the same or another object).
    Cascade,
    /// `[echoes.<name>]`: the synced record itself, re-stamped on the side written to.
    Echo,
}

impl RuleKind {
    /// The table name used in scenario files (`cascades`, `echoes`).
    pub fn table(self) -> &'static str {
        match self {
            RuleKind::Cascade => "cascades",
            RuleKind::Echo => "echoes",
        }
    }
}

/// What sets a rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Every edit of the object in the direction (background, bulk, or caused), filtered or
    /// not: the edit happened on that side, whatever the sync does with it.
    Edit,
    /// Every update of the object the sync completes in the direction (written to the other
    /// side); skips and failed attempts write nothing and trigger nothing.
    Synced,
}

impl Trigger {
    /// The name used in scenario files (`on = "edit"` or `"synced"`).
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Edit => "edit",
            Trigger::Synced => "synced",
        }
    }
}

/// How many edits one trigger causes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CausedCount {
    /// Exactly this many (`count`).
    Fixed(u32),
    /// Poisson with this mean (`count_mean`).
    Poisson(f64),
    /// Uniform over `min..=max` (`count_min`, `count_max`).
    Uniform(u32, u32),
    /// One with this chance, else none (an echo's `fraction`).
    Chance(f64),
}

impl CausedCount {
    /// The mean number of edits per trigger.
    pub fn mean(self) -> f64 {
        match self {
            CausedCount::Fixed(k) => k as f64,
            CausedCount::Poisson(mean) => mean,
            CausedCount::Uniform(lo, hi) => (lo as f64 + hi as f64) / 2.0,
            CausedCount::Chance(p) => p,
        }
    }

    /// The most edits one trigger can cause, if bounded (a Poisson count is not).
    pub fn max(self) -> Option<u32> {
        match self {
            CausedCount::Fixed(k) => Some(k),
            CausedCount::Poisson(_) => None,
            CausedCount::Uniform(_, hi) => Some(hi),
            CausedCount::Chance(p) => Some((p > 0.0) as u32),
        }
    }

    /// Whether the count is drawn (else it is the same every time).
    pub fn random(self) -> bool {
        match self {
            CausedCount::Fixed(_) => false,
            CausedCount::Poisson(mean) => mean > 0.0,
            CausedCount::Uniform(lo, hi) => lo != hi,
            CausedCount::Chance(p) => p > 0.0 && p < 1.0,
        }
    }
}

/// Which records the caused edits touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CausedRecords {
    /// Records picked as the target object's background edits pick them (its
    /// `record_choice`), from a seeded stream of the rule's own.
    Picked,
    /// The record that triggered the rule (an echo).
    Same,
}

/// One validated cascade or echo.
#[derive(Debug, Clone, PartialEq)]
pub struct CausedRule {
    /// Its name (the key under `[cascades]` or `[echoes]`).
    pub name: String,
    /// Cascade or echo.
    pub kind: RuleKind,
    /// What sets it off.
    pub on: Trigger,
    /// The object whose edits or synced updates set it off (index).
    pub from: usize,
    /// The directions it watches, indexed by [`super::Direction`]: edits flowing that way
    /// (made on that side), or updates synced that way.
    pub directions: [bool; 2],
    /// The object edited (index); an echo's is `from`.
    pub to: usize,
    /// How many edits each trigger causes.
    pub count: CausedCount,
    /// Which records they touch.
    pub records: CausedRecords,
    /// Time from the trigger to the caused edits.
    pub delay: Millis,
    /// Chance that a caused edit touches synced fields (else it is a skip).
    pub synced_fraction: f64,
}

impl CausedRule {
    /// The direction of the edits caused by a trigger in direction `d`: an edit's side for
    /// `on = "edit"`, the side written to for `on = "synced"`.
    pub fn caused_direction(&self, d: super::Direction) -> super::Direction {
        match self.on {
            Trigger::Edit => d,
            Trigger::Synced => d.other(),
        }
    }

    /// How the rule is named in messages: `cascades.owner_change`.
    pub fn key(&self) -> String {
        format!("{}.{}", self.kind.table(), self.name)
    }
}

/// Every cascade and echo of a scenario, with the bound on their chains.
#[derive(Debug, Clone, PartialEq)]
pub struct CausedRules {
    /// Cascades in file order, then echoes in file order.
    pub rules: Vec<CausedRule>,
    /// The longest chain of caused edits: an edit of generation `g` (0 for edits no rule
    /// caused) triggers rules only while `g < max_generations`.
    pub max_generations: u32,
}

impl Default for CausedRules {
    fn default() -> Self {
        CausedRules {
            rules: Vec::new(),
            max_generations: MAX_GENERATIONS,
        }
    }
}

impl CausedRules {
    /// Whether the scenario has any rule.
    pub fn any(&self) -> bool {
        !self.rules.is_empty()
    }

    /// Whether any rule draws random numbers (records picked, a random count or synced
    /// fraction).
    pub fn random(&self) -> bool {
        self.rules.iter().any(|r| {
            (r.records == CausedRecords::Picked && r.count.max() != Some(0))
                || r.count.random()
                || (r.synced_fraction > 0.0 && r.synced_fraction < 1.0)
        })
    }
}
