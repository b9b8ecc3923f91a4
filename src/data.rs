//! Real data in and out: change logs (recorded edits) and backlog snapshots, as CSV
//! (`docs/data.md`).
//!
//! Change logs are streamed: a first pass validates every row (reporting bad rows by line
//! number) and a replay then reads the file once per (object, direction) stream, so a log of
//! millions of rows needs no more memory than its bad-row list. A backlog snapshot, whose rows
//! all start pending anyway, is read once into a [`BacklogSnapshot`] and checked against each
//! scenario it is used with.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::engine::{EditEvent, EditSource, RecordedEdit, ReplaySources};
use crate::scenario::{Direction, InitialEntry, QueueId, Scenario, ScenarioSpec};
use crate::units::{Instant, Millis};

/// Columns of a change log.
pub const CHANGES_HEADER: [&str; 5] = ["time_utc", "object", "record", "direction", "synced"];
/// Columns of a backlog snapshot.
pub const BACKLOG_HEADER: [&str; 4] = ["object", "record", "stamp_utc", "direction"];

/// Why a data file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file cannot be read.
    #[error("cannot read '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// Rows that are wrong (and not skipped).
    #[error("'{path}': {count} bad rows{more}:\n{lines}\n(fix them, or pass --skip-bad-rows to leave them out; formats: docs/data.md)")]
    BadRows {
        /// The file.
        path: PathBuf,
        /// How many.
        count: usize,
        /// The first few, one per line.
        lines: String,
        /// "; the first 10:" when there are more.
        more: String,
    },
    /// The header is not the documented one.
    #[error("'{path}': the header must be `{expected}` (got `{got}`)")]
    Header {
        /// The file.
        path: PathBuf,
        /// The documented header.
        expected: String,
        /// What the file has.
        got: String,
    },
}

pub(crate) fn open(path: &Path) -> Result<csv::Reader<BufReader<File>>, DataError> {
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.into(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::new(file)))
}

pub(crate) fn check_header<R: Read>(
    path: &Path,
    reader: &mut csv::Reader<R>,
    expected: &[&str],
) -> Result<(), DataError> {
    let got = reader
        .headers()
        .map_err(|e| DataError::Io {
            path: path.into(),
            source: io::Error::other(e.to_string()),
        })?
        .clone();
    if got.iter().map(str::trim).ne(expected.iter().copied()) {
        return Err(DataError::Header {
            path: path.into(),
            expected: expected.join(","),
            got: got.iter().collect::<Vec<_>>().join(","),
        });
    }
    Ok(())
}

/// Reads every row of `path` (whose header must be `header`), calling `f` with its line
/// number; unreadable rows are recorded in `report` as bad.
pub(crate) fn each_row(
    path: &Path,
    header: &[&str],
    report: &mut RowReport,
    f: impl FnMut(u64, &csv::StringRecord, &mut RowReport),
) -> Result<(), DataError> {
    let mut reader = open(path)?;
    check_header(path, &mut reader, header)?;
    each_record(&mut reader, report, f);
    Ok(())
}

/// Reads the rows left in `reader` (its header already read), calling `f` with each row and
/// its line number; unreadable rows are recorded in `report` as bad.
pub(crate) fn each_record<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    report: &mut RowReport,
    mut f: impl FnMut(u64, &csv::StringRecord, &mut RowReport),
) {
    let mut row = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        line += 1;
        match reader.read_record(&mut row) {
            Ok(false) => return,
            Ok(true) => f(line, &row, report),
            Err(e) => report.bad_row(line, format!("not CSV: {e}")),
        }
    }
}

/// A row's fields as plain strings.
pub(crate) fn field(record: &csv::StringRecord, i: usize) -> &str {
    record.get(i).unwrap_or("").trim()
}

fn parse_object(sc: &ScenarioSpec, name: &str) -> Result<usize, String> {
    sc.object_index(name).ok_or_else(|| {
        let names: Vec<&str> = sc.objects.iter().map(|o| o.name.as_str()).collect();
        format!(
            "object '{name}' is not in the scenario (its objects: {})",
            names.join(", ")
        )
    })
}

fn parse_record(sc: &ScenarioSpec, object: usize, text: &str) -> Result<u32, String> {
    match text.parse::<u64>() {
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
    /// Line numbers of bad rows (1-based, the header is line 1).
    pub bad: BTreeSet<u64>,
    /// The first few messages.
    pub messages: Vec<String>,
    /// Rows outside the simulated span (before the start, or at or after the horizon).
    pub outside: u64,
    /// Rows accepted.
    pub rows: u64,
}

impl RowReport {
    pub(crate) fn bad_row(&mut self, line: u64, why: String) {
        self.bad.insert(line);
        if self.messages.len() < 10 {
            self.messages.push(format!("  line {line}: {why}"));
        }
    }

    pub(crate) fn into_result(self, path: &Path, skip: bool) -> Result<Self, DataError> {
        if self.bad.is_empty() || skip {
            return Ok(self);
        }
        Err(DataError::BadRows {
            path: path.into(),
            count: self.bad.len(),
            more: if self.bad.len() > self.messages.len() {
                format!("; the first {}", self.messages.len())
            } else {
                String::new()
            },
            lines: self.messages.join("\n"),
        })
    }

    /// A one-line note of what was left out, for the terminal.
    pub fn note(&self, path: &Path) -> Option<String> {
        if self.bad.is_empty() && self.outside == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if !self.bad.is_empty() {
            let first: Vec<String> = self.bad.iter().take(5).map(u64::to_string).collect();
            parts.push(format!(
                "{} bad rows skipped (lines {}{})",
                self.bad.len(),
                first.join(", "),
                if self.bad.len() > 5 { ", ..." } else { "" }
            ));
        }
        if self.outside > 0 {
            parts.push(format!(
                "{} rows outside the simulated span left out",
                self.outside
            ));
        }
        Some(format!("{}: {}", path.display(), parts.join("; ")))
    }
}

/// A validated change log, ready to replay.
#[derive(Debug)]
pub struct ChangeLog {
    path: PathBuf,
    /// What the validation found.
    pub report: RowReport,
    /// Streams present, by (object, direction).
    streams: Vec<(usize, Direction)>,
}

/// One parsed change-log row.
struct Change {
    time: i64,
    object: usize,
    direction: Direction,
    record: u32,
    synced: bool,
}

fn parse_change(sc: &Scenario, row: &csv::StringRecord) -> Result<Change, String> {
    if row.len() != CHANGES_HEADER.len() {
        return Err(format!(
            "{} fields; expected {}",
            row.len(),
            CHANGES_HEADER.len()
        ));
    }
    let time = parse_time(sc, field(row, 0))?;
    let object = parse_object(sc, field(row, 1))?;
    let record = parse_record(sc, object, field(row, 2))?;
    let direction = parse_direction(sc, object, field(row, 3))?;
    let synced = parse_bool(field(row, 4))?;
    Ok(Change {
        time,
        object,
        direction,
        record,
        synced,
    })
}

impl ChangeLog {
    /// Validates every row of `path` against `sc` (first pass). With `skip`, bad rows are left
    /// out (and listed in the report); without, any bad row rejects the file.
    pub fn open(path: &Path, sc: &Scenario, skip: bool) -> Result<Self, DataError> {
        let mut report = RowReport::default();
        let mut last = vec![i64::MIN; sc.objects.len() * 2];
        let mut present = vec![false; sc.objects.len() * 2];
        each_row(
            path,
            &CHANGES_HEADER,
            &mut report,
            |line, row, report| match parse_change(sc, row) {
                Err(why) => report.bad_row(line, why),
                Ok(c) => {
                    let q = QueueId::new(c.object, c.direction).index();
                    if c.time < last[q] {
                        report.bad_row(line, format!("out of time order for {} {}: edits of one object and direction must not go back in time", sc.objects[c.object].name, c.direction.name()));
                    } else if c.time < 0 || c.time >= sc.horizon as i64 {
                        last[q] = c.time;
                        report.outside += 1;
                    } else {
                        last[q] = c.time;
                        present[q] = true;
                        report.rows += 1;
                    }
                }
            },
        )?;
        let report = report.into_result(path, skip)?;
        let streams = (0..present.len())
            .filter(|q| present[*q])
            .map(|q| {
                let q = QueueId::from_index(q);
                (q.object(), q.direction())
            })
            .collect();
        Ok(ChangeLog {
            path: path.into(),
            report,
            streams,
        })
    }

    /// How many (object, direction) streams the log has: each reads the whole file.
    pub fn streams(&self) -> usize {
        self.streams.len()
    }

    /// One source per (object, direction) present, each reading the file on its own.
    pub fn sources<'a>(&self, sc: &'a Scenario) -> Result<ReplaySources<'a>, DataError> {
        let mut out: ReplaySources<'a> = Vec::new();
        for &(object, direction) in &self.streams {
            let mut reader = open(&self.path)?;
            check_header(&self.path, &mut reader, &CHANGES_HEADER)?;
            out.push((
                object,
                direction,
                Box::new(StreamReader {
                    sc,
                    reader,
                    bad: self.report.bad.clone(),
                    line: 1,
                    object,
                    direction,
                    row: csv::StringRecord::new(),
                }),
            ));
        }
        Ok(out)
    }
}

/// Reads one (object, direction)'s rows of a validated change log.
struct StreamReader<'a> {
    sc: &'a Scenario,
    reader: csv::Reader<BufReader<File>>,
    bad: BTreeSet<u64>,
    line: u64,
    object: usize,
    direction: Direction,
    row: csv::StringRecord,
}

impl EditSource for StreamReader<'_> {
    fn next_edit(&mut self) -> Option<RecordedEdit> {
        loop {
            self.line += 1;
            // The file was validated; a read error here means it changed since: stop.
            if !self.reader.read_record(&mut self.row).ok()? {
                return None;
            }
            if self.bad.contains(&self.line) {
                continue;
            }
            let Ok(c) = parse_change(self.sc, &self.row) else {
                continue;
            };
            if c.object == self.object
                && c.direction == self.direction
                && c.time >= 0
                && c.time < self.sc.horizon as i64
            {
                return Some(RecordedEdit {
                    time: c.time as Millis,
                    record: c.record,
                    synced: c.synced,
                });
            }
        }
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
    /// 1-based line number (the header is line 1).
    line: u64,
    /// Its fields, or why the row cannot be read whatever the scenario.
    fields: Result<SnapshotFields, String>,
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
    /// Reads a snapshot from `reader` (to its end), which `path` names in messages.
    pub fn from_reader(path: &Path, reader: impl Read) -> Result<Self, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(BufReader::new(reader));
        check_header(path, &mut reader, &BACKLOG_HEADER)?;
        let mut names: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        let mut row = csv::StringRecord::new();
        let mut line = 1u64;
        loop {
            line += 1;
            let fields = match reader.read_record(&mut row) {
                Ok(false) => break,
                Ok(true) if row.len() != BACKLOG_HEADER.len() => Err(format!(
                    "{} fields; expected {}",
                    row.len(),
                    BACKLOG_HEADER.len()
                )),
                Ok(true) => {
                    let name = field(&row, 0);
                    let object = match names.iter().position(|n| n == name) {
                        Some(i) => i,
                        None => {
                            names.push(name.to_string());
                            names.len() - 1
                        }
                    } as u32;
                    let record = field(&row, 1);
                    let stamp = field(&row, 2);
                    let direction = field(&row, 3);
                    Ok(SnapshotFields {
                        object,
                        record: record.parse::<u64>().map_err(|_| record.into()),
                        stamp: Instant::parse(stamp).map_err(|e| e.to_string().into()),
                        stamp_text: stamp.into(),
                        direction: Direction::ALL
                            .into_iter()
                            .find(|d| d.name() == direction)
                            .ok_or_else(|| direction.into()),
                    })
                }
                Err(e) => Err(format!("not CSV: {e}")),
            };
            rows.push(SnapshotRow { line, fields });
        }
        Ok(BacklogSnapshot {
            path: path.into(),
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
            let checked = row.fields.as_ref().map_err(Clone::clone).and_then(|f| {
                let object = objects[f.object as usize].clone()?;
                let record = match &f.record {
                    Ok(r) => check_record(sc, object, *r)?,
                    Err(text) => return Err(format!("record '{text}' is not a record number")),
                };
                let stamp = f.stamp.as_ref().map_err(|e| e.to_string())?.0 - sc.start.0;
                if stamp > 0 {
                    return Err(format!("stamp {} is after the scenario's start {}: a record pending at the start was stamped before it", f.stamp_text, sc.start));
                }
                let direction = match &f.direction {
                    Ok(d) => check_direction(sc, object, *d)?,
                    Err(text) => return Err(direction_error(text)),
                };
                Ok(InitialEntry {
                    object,
                    direction,
                    record,
                    stamp,
                })
            });
            match checked {
                Ok(e) => {
                    report.rows += 1;
                    entries.push(e);
                }
                Err(why) => report.bad_row(row.line, why),
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
