//! Real data in and out: change logs (recorded edits) and backlog snapshots, as CSV
//! (`docs/data.md`).
//!
//! Change logs are streamed: a first pass validates every row (reporting bad rows by line
//! number) and a replay then reads the file once per (object, direction) stream, so a log of
//! millions of rows needs no more memory than its bad-row list. A backlog snapshot, whose rows
//! all start pending anyway, is read once into a [`BacklogSnapshot`] and checked against each
//! scenario it is used with.

pub mod inputs;
pub mod reader;

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::engine::{EditEvent, RecordedEdit, ReplaySources};
use crate::scenario::error::screen_text;
use crate::scenario::{Direction, InitialEntry, QueueId, Scenario, ScenarioSpec};
use crate::units::{Instant, Millis, HOUR};
pub use reader::{DataKind, DataReader, Place, Row};

/// Columns of a change log.
pub const CHANGES_HEADER: [&str; 5] = ["time_utc", "object", "record", "direction", "synced"];
/// Columns of a backlog snapshot.
pub const BACKLOG_HEADER: [&str; 4] = ["object", "record", "stamp_utc", "direction"];

/// A path as a message shows it: control characters escaped, a long one shortened.
fn shown(path: &Path) -> String {
    screen_text(&path.display().to_string(), 200)
}

/// Why a data file cannot be used. Every message names the file, and shows what it echoes
/// from it with control characters escaped and long values shortened, so it fits on a
/// screen whatever the file holds.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file cannot be read.
    #[error("cannot read '{}': {source}", shown(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file is not a data file that can be read at all: a folder, too large, a row
    /// too long, an empty file, an unreadable header.
    #[error("'{}': {}", shown(path), screen_text(message, 800))]
    Refused {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line when there is one.
        message: String,
    },
    /// Rows that are wrong (and not skipped).
    #[error("'{}': {count} bad rows{more}:\n{lines}\n(fix them, or pass --skip-bad-rows to leave them out; formats: docs/data.md)", shown(path))]
    BadRows {
        /// The file.
        path: PathBuf,
        /// How many.
        count: u64,
        /// The first few, one per line, each already made safe to show.
        lines: String,
        /// "; the first 10:" when there are more.
        more: String,
    },
    /// A snapshot named by a scenario's `initial_backlog_file` that cannot be used.
    #[error(
        "scenario '{}': initial_backlog_file: {error}",
        screen_text(scenario, 200)
    )]
    InScenario {
        /// The scenario, as its errors name it (with the override that named the file).
        scenario: String,
        /// What is wrong with the file.
        error: Box<DataError>,
    },
    /// The header is not the documented one.
    #[error(
        "'{}': line 1: the header must be `{expected}` (got `{}`)",
        shown(path),
        screen_text(got, 200)
    )]
    Header {
        /// The file.
        path: PathBuf,
        /// The documented header.
        expected: String,
        /// What the file has.
        got: String,
    },
}

/// Longest message shown for one bad row: ten of them, with their places, fit on a screen.
const MAX_ROW_MESSAGE: usize = 180;

/// Most bad rows whose line numbers are kept (the count goes on): a file of millions of bad
/// rows is reported, and skipped, without holding millions of numbers.
pub const KEPT_BAD_LINES: usize = 1_000;

fn parse_object(sc: &ScenarioSpec, name: &str) -> Result<usize, String> {
    sc.object_index(name).ok_or_else(|| {
        let names: Vec<&str> = sc.objects.iter().map(|o| o.name.as_str()).collect();
        format!(
            "object '{name}' is not in the scenario (its objects: {})",
            names.join(", ")
        )
    })
}

/// A change log's record: of the population, or one the object may create
/// (docs/model.md, Creations: an edit of the id past the records so far creates it).
fn parse_record(sc: &ScenarioSpec, object: usize, text: &str) -> Result<u32, String> {
    let o = &sc.objects[object];
    match text.parse::<u64>() {
        Ok(r) if o.max_creations > 0 && r >= o.records as u64 && r < o.id_space() as u64 => {
            Ok(r as u32)
        }
        Ok(r) => check_record(sc, object, r),
        Err(_) => Err(format!("record '{text}' is not a record number")),
    }
}

fn check_record(sc: &ScenarioSpec, object: usize, r: u64) -> Result<u32, String> {
    let records = sc.objects[object].records;
    if r < records as u64 {
        Ok(r as u32)
    } else {
        Err(format!(
            "record {r} is out of range: {} has records 0..{}",
            sc.objects[object].name,
            records - 1
        ))
    }
}

fn direction_error(text: &str) -> String {
    format!("direction '{text}' is not to_marketing or to_crm")
}

fn parse_direction(sc: &ScenarioSpec, object: usize, text: &str) -> Result<Direction, String> {
    let d = match text {
        "to_marketing" => Direction::ToMarketing,
        "to_crm" => Direction::ToCrm,
        other => return Err(direction_error(other)),
    };
    check_direction(sc, object, d)
}

fn check_direction(sc: &ScenarioSpec, object: usize, d: Direction) -> Result<Direction, String> {
    if !sc.objects[object].syncs[d as usize] {
        return Err(format!(
            "{} does not sync {}",
            sc.objects[object].name,
            d.name()
        ));
    }
    Ok(d)
}

fn parse_time(sc: &ScenarioSpec, text: &str) -> Result<i64, String> {
    Instant::parse(text)
        .map(|t| t.0 - sc.start.0)
        .map_err(|e| e.to_string())
}

pub(crate) fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(format!("synced '{other}' is not true or false")),
    }
}

/// Collects bad rows: rejects the file, or with `skip` leaves them out.
#[derive(Debug, Default)]
pub struct RowReport {
    /// Line numbers of the first [`KEPT_BAD_LINES`] bad rows (1-based, the header is line 1).
    pub bad: BTreeSet<u64>,
    /// How many rows were bad, all told.
    pub bad_count: u64,
    /// The first few messages, each on one line and safe to show.
    pub messages: Vec<String>,
    /// Rows outside the simulated span (before the start, or at or after the horizon).
    pub outside: u64,
    /// Rows accepted.
    pub rows: u64,
}

impl RowReport {
    /// Records a bad row: where, and why (what it echoes from the file is made safe to show).
    pub(crate) fn bad_row(&mut self, place: Place, why: String) {
        self.bad_count += 1;
        if self.bad.len() < KEPT_BAD_LINES {
            self.bad.insert(place.line);
        }
        if self.messages.len() < 10 {
            self.messages
                .push(format!("  {place}: {}", screen_text(&why, MAX_ROW_MESSAGE)));
        }
    }

    pub(crate) fn into_result(self, path: &Path, skip: bool) -> Result<Self, DataError> {
        if self.bad_count == 0 || skip {
            return Ok(self);
        }
        Err(DataError::BadRows {
            path: path.into(),
            count: self.bad_count,
            more: if self.bad_count > self.messages.len() as u64 {
                format!("; the first {}", self.messages.len())
            } else {
                String::new()
            },
            lines: self.messages.join("\n"),
        })
    }

    /// A one-line note of what was left out, for the terminal.
    pub fn note(&self, path: &Path) -> Option<String> {
        if self.bad_count == 0 && self.outside == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if self.bad_count > 0 {
            let first: Vec<String> = self.bad.iter().take(5).map(u64::to_string).collect();
            parts.push(format!(
                "{} bad rows skipped (lines {}{})",
                self.bad_count,
                first.join(", "),
                if self.bad_count > 5 { ", ..." } else { "" }
            ));
        }
        if self.outside > 0 {
            parts.push(format!(
                "{} rows outside the simulated span left out",
                self.outside
            ));
        }
        Some(format!("{}: {}", shown(path), parts.join("; ")))
    }
}

/// A validated change log, ready to replay: read once, its edits within the span held by
/// (object, direction), 16 bytes each.
#[derive(Debug)]
pub struct ChangeLog {
    /// What the validation found.
    pub report: RowReport,
    /// Edits of each (object, direction) present, in time order.
    streams: Vec<(usize, Direction, Vec<RecordedEdit>)>,
    /// The first and last edit replayed, ms after the start; `None` when none is.
    pub span: Option<(Millis, Millis)>,
}

/// One parsed change-log row.
struct Change {
    time: i64,
    object: usize,
    direction: Direction,
    record: u32,
    synced: bool,
}

/// A row's problem: the field it is in (`None`: the whole row) and what is wrong.
type RowError = (Option<usize>, String);

fn parse_change(sc: &Scenario, row: &Row) -> Result<Change, RowError> {
    if row.len() != CHANGES_HEADER.len() {
        return Err((
            None,
            format!("{} fields; expected {}", row.len(), CHANGES_HEADER.len()),
        ));
    }
    let time = parse_time(sc, row.get(0)).map_err(|e| (Some(0), e))?;
    let object = parse_object(sc, row.get(1)).map_err(|e| (Some(1), e))?;
    let record = parse_record(sc, object, row.get(2)).map_err(|e| (Some(2), e))?;
    let direction = parse_direction(sc, object, row.get(3)).map_err(|e| (Some(3), e))?;
    let synced = parse_bool(row.get(4)).map_err(|e| (Some(4), e))?;
    Ok(Change {
        time,
        object,
        direction,
        record,
        synced,
    })
}

/// Where a row's problem is.
fn place(row: &Row, field: Option<usize>) -> Place {
    match field {
        Some(i) => row.at(i),
        None => Place::line(row.line),
    }
}

impl ChangeLog {
    /// Reads the change log at `path` once, checking every row against `sc` and keeping the
    /// edits within its span. With `skip`, bad rows are left out (and listed in the
    /// report); without, any bad row rejects the file. A named pipe works.
    pub fn open(path: &Path, sc: &Scenario, skip: bool) -> Result<Self, DataError> {
        let mut reader = reader::open(path, DataKind::ChangeLog)?;
        Self::read(&mut reader, sc, skip)
    }

    /// Reads a change log from `reader`, as [`ChangeLog::open`] does.
    pub fn read<R: Read>(
        reader: &mut DataReader<R>,
        sc: &Scenario,
        skip: bool,
    ) -> Result<Self, DataError> {
        let mut row = reader.expect_header(&CHANGES_HEADER)?;
        let mut report = RowReport::default();
        let queues = sc.objects.len() * 2;
        let mut last = vec![i64::MIN; queues];
        let mut edits: Vec<Vec<RecordedEdit>> = vec![Vec::new(); queues];
        let mut span: Option<(Millis, Millis)> = None;
        reader.each_row(&mut row, &mut report, |row, report| {
            let c = match parse_change(sc, row) {
                Err((field, why)) => return report.bad_row(place(row, field), why),
                Ok(c) => c,
            };
            let q = QueueId::new(c.object, c.direction).index();
            if c.time < last[q] {
                report.bad_row(
                    row.at(0),
                    format!(
                        "out of time order for {} {}: edits of one object and direction \
                         must not go back in time",
                        sc.objects[c.object].name,
                        c.direction.name()
                    ),
                );
            } else if c.time < 0 || c.time >= sc.horizon as i64 {
                last[q] = c.time;
                report.outside += 1;
            } else {
                last[q] = c.time;
                edits[q].push(RecordedEdit {
                    time: c.time as Millis,
                    record: c.record,
                    synced: c.synced,
                });
                report.rows += 1;
                let t = c.time as Millis;
                span = Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
            }
        })?;
        let report = report.into_result(reader.path(), skip)?;
        let streams = edits
            .into_iter()
            .enumerate()
            .filter(|(_, e)| !e.is_empty())
            .map(|(q, mut e)| {
                e.shrink_to_fit();
                let q = QueueId::from_index(q);
                (q.object(), q.direction(), e)
            })
            .collect();
        Ok(ChangeLog {
            report,
            streams,
            span,
        })
    }

    /// How far into the run the log's edits reach: the whole hour (from the start) after its
    /// last edit replayed, 0 when it replays none. Background edits after it are missing
    /// from the replay, not zero by choice.
    pub fn covered_until(&self) -> Millis {
        self.span.map_or(0, |(_, last)| (last / HOUR + 1) * HOUR)
    }

    /// One source per (object, direction) present, reading the edits held.
    pub fn sources<'a>(&'a self, _sc: &'a Scenario) -> Result<ReplaySources<'a>, DataError> {
        Ok(self
            .streams
            .iter()
            .map(|(object, direction, edits)| {
                let source: Box<dyn crate::engine::EditSource + 'a> =
                    Box::new(edits.iter().copied());
                (*object, *direction, source)
            })
            .collect())
    }
}

/// A backlog snapshot file read once: its rows as written, each checked against a scenario
/// by [`BacklogSnapshot::entries`] as often as there are scenarios to check (a planner's
/// candidates may differ in the objects, records or start the rows are checked against).
#[derive(Debug)]
pub struct BacklogSnapshot {
    path: PathBuf,
    /// Object names as written, each once; rows refer to them by position.
    names: Vec<String>,
    /// Every row after the header, in file order.
    rows: Vec<SnapshotRow>,
}

/// One row of a snapshot, read but not yet checked against a scenario.
#[derive(Debug)]
struct SnapshotRow {
    /// Where its fields start.
    places: Box<[Place]>,
    /// Its fields, or where and why the row cannot be used whatever the scenario.
    fields: Result<SnapshotFields, (Place, String)>,
}

/// A snapshot row's fields, parsed as far as they can be without a scenario; an error keeps
/// what its message needs.
#[derive(Debug)]
struct SnapshotFields {
    /// Position of the object's name in [`BacklogSnapshot::names`].
    object: u32,
    /// The record id, or its text when it is not a number.
    record: Result<u64, Box<str>>,
    /// The stamp, or why it is not an instant.
    stamp: Result<Instant, Box<str>>,
    /// The stamp as written, for a message about it.
    stamp_text: Box<str>,
    /// The direction, or its text when it is neither.
    direction: Result<Direction, Box<str>>,
}

impl BacklogSnapshot {
    /// Reads a snapshot from `reader` (to its end).
    pub fn read<R: Read>(reader: &mut DataReader<R>) -> Result<Self, DataError> {
        let mut row = reader.expect_header(&BACKLOG_HEADER)?;
        let mut names: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        reader.each_row_or_problem(&mut row, |read| {
            let row = match read {
                Ok(row) => row,
                Err(problem) => {
                    return rows.push(SnapshotRow {
                        places: Box::new([]),
                        fields: Err(problem),
                    })
                }
            };
            let places: Box<[Place]> = (0..row.len().min(BACKLOG_HEADER.len()))
                .map(|i| row.at(i))
                .collect();
            if row.len() != BACKLOG_HEADER.len() {
                let why = format!("{} fields; expected {}", row.len(), BACKLOG_HEADER.len());
                return rows.push(SnapshotRow {
                    places,
                    fields: Err((Place::line(row.line), why)),
                });
            }
            let name = row.get(0);
            let object = match names.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    names.push(name.to_string());
                    names.len() - 1
                }
            } as u32;
            let record = row.get(1);
            let stamp = row.get(2);
            let direction = row.get(3);
            rows.push(SnapshotRow {
                places,
                fields: Ok(SnapshotFields {
                    object,
                    record: record.parse::<u64>().map_err(|_| record.into()),
                    stamp: Instant::parse(stamp).map_err(|e| e.to_string().into()),
                    stamp_text: stamp.into(),
                    direction: Direction::ALL
                        .into_iter()
                        .find(|d| d.name() == direction)
                        .ok_or_else(|| direction.into()),
                }),
            });
        })?;
        Ok(BacklogSnapshot {
            path: reader.path().into(),
            names,
            rows,
        })
    }

    /// The records pending at the start of `sc`, in file order: every row checked against
    /// its objects, records, directions and start (a stamp must be at or before it). With
    /// `skip`, bad rows are left out (and listed in the report); without, any bad row
    /// rejects the file.
    pub fn entries(
        &self,
        sc: &ScenarioSpec,
        skip: bool,
    ) -> Result<(Vec<InitialEntry>, RowReport), DataError> {
        let objects: Vec<Result<usize, String>> = self
            .names
            .iter()
            .map(|name| parse_object(sc, name))
            .collect();
        let mut report = RowReport::default();
        let mut entries = Vec::new();
        for row in &self.rows {
            let f = match &row.fields {
                Ok(f) => f,
                Err((place, why)) => {
                    report.bad_row(place.clone(), why.clone());
                    continue;
                }
            };
            let checked = (|| -> Result<InitialEntry, RowError> {
                let object = objects[f.object as usize]
                    .clone()
                    .map_err(|e| (Some(0), e))?;
                let record = match &f.record {
                    Ok(r) => check_record(sc, object, *r).map_err(|e| (Some(1), e))?,
                    Err(text) => {
                        return Err((Some(1), format!("record '{text}' is not a record number")))
                    }
                };
                let stamp = f.stamp.as_ref().map_err(|e| (Some(2), e.to_string()))?.0 - sc.start.0;
                if stamp > 0 {
                    return Err((
                        Some(2),
                        format!(
                            "stamp {} is after the scenario's start {}: a record pending at \
                             the start was stamped before it",
                            f.stamp_text, sc.start
                        ),
                    ));
                }
                let direction = match &f.direction {
                    Ok(d) => check_direction(sc, object, *d).map_err(|e| (Some(3), e))?,
                    Err(text) => return Err((Some(3), direction_error(text))),
                };
                Ok(InitialEntry {
                    object,
                    direction,
                    record,
                    stamp,
                })
            })();
            match checked {
                Ok(e) => {
                    report.rows += 1;
                    entries.push(e);
                }
                Err((field, why)) => {
                    let place = field
                        .and_then(|i| row.places.get(i).cloned())
                        .unwrap_or_else(|| Place::line(row.places.first().map_or(0, |p| p.line)));
                    report.bad_row(place, why)
                }
            }
        }
        let report = report.into_result(&self.path, skip)?;
        Ok((entries, report))
    }
}

/// Writes edits as a change log (header first), the format [`ChangeLog`] reads.
pub struct ChangeWriter<W: Write> {
    out: csv::Writer<W>,
    start: Instant,
    names: Vec<String>,
    /// First write error, reported at the end.
    pub error: Option<io::Error>,
}

impl<W: Write> ChangeWriter<W> {
    /// A writer for edits of `sc`.
    pub fn new(sc: &Scenario, w: W) -> Self {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(w);
        let error = out
            .write_record(CHANGES_HEADER)
            .err()
            .map(|e| io::Error::other(e.to_string()));
        ChangeWriter {
            out,
            start: sc.start,
            names: sc.objects.iter().map(|o| o.name.clone()).collect(),
            error,
        }
    }

    /// Appends one edit.
    pub fn write(&mut self, e: &EditEvent) {
        if self.error.is_some() {
            return;
        }
        let time = self.start.plus(e.time).to_rfc3339_ms();
        let record = e.record.to_string();
        let row = [
            time.as_str(),
            &self.names[e.object],
            &record,
            e.direction.name(),
            if e.synced { "true" } else { "false" },
        ];
        if let Err(e) = self.out.write_record(row) {
            self.error = Some(io::Error::other(e.to_string()));
        }
    }

    /// Flushes and hands back the underlying writer; returns the first error, if any.
    pub fn finish_into_inner(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }
}
