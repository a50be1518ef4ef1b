//! The one table the `ratios` runner prints: ns per operation (median and minimum over the
//! rounds), grouped in sections, then the ratios that matter, each with its goal and whether
//! this run met it.
//!
//! ```
//! use async_hooks_benches::runner::Row;
//! use async_hooks_benches::table::{render, Goal, Line};
//!
//! let rows = [
//!     Row { name: "tls".into(), median_ns: 1.0, min_ns: 0.9 },
//!     Row { name: "id".into(), median_ns: 1.5, min_ns: 1.0 },
//! ];
//! let lines = [
//!     Line::section("Ids"),
//!     Line::op("tls", Goal::None),
//!     Line::op("id", Goal::None),
//!     Line::section("Ratios"),
//!     Line::ratio("id / tls", "id", "tls", Goal::AtMost(2.0)),
//! ];
//! let table = render(&lines, &rows, &|_| None);
//! assert!(table.contains("| id / tls | 1.50x | 1.11x | <= 2x | yes |"), "{table}");
//! ```

use std::fmt::Write as _;

use crate::runner::Row;

/// What a row is held to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// Nothing: the row is for reference.
    None,
    /// At most this many ns (for an operation).
    AtMostNs(f64),
    /// At most this ratio.
    AtMost(f64),
    /// At least this ratio.
    AtLeast(f64),
}

impl Goal {
    fn text(self) -> String {
        match self {
            Goal::None => String::new(),
            Goal::AtMostNs(ns) => format!("<= {ns} ns"),
            Goal::AtMost(x) => format!("<= {x}x"),
            Goal::AtLeast(x) => format!(">= {x}x"),
        }
    }

    fn met(self, value: f64) -> &'static str {
        let met = match self {
            Goal::None => return "",
            Goal::AtMostNs(limit) | Goal::AtMost(limit) => value <= limit,
            Goal::AtLeast(limit) => value >= limit,
        };
        if met {
            "yes"
        } else {
            "**no**"
        }
    }
}

/// A line of the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A heading row, in bold.
    Section(String),
    /// A measured case, by name: its median and minimum in ns.
    Op {
        /// The case's name.
        case: String,
        /// What its median is held to.
        goal: Goal,
    },
    /// `num`'s median over `den`'s (and the same of their minimums).
    Ratio {
        /// The row's text.
        label: String,
        /// The case above the line.
        num: String,
        /// The case below the line.
        den: String,
        /// What the ratio of medians is held to.
        goal: Goal,
    },
    /// `(with - without) / events`, in ns: the cost of one event.
    PerEvent {
        /// The row's text.
        label: String,
        /// The case with the feature on.
        with: String,
        /// The same case with it off.
        without: String,
        /// How many events one operation of `with` makes.
        events: f64,
    },
}

impl Line {
    /// A [`Line::Section`].
    ///
    /// ```
    /// # use async_hooks_benches::table::Line;
    /// assert_eq!(Line::section("Ids"), Line::Section("Ids".into()));
    /// ```
    pub fn section(title: impl Into<String>) -> Line {
        Line::Section(title.into())
    }

    /// A [`Line::Op`].
    ///
    /// ```
    /// # use async_hooks_benches::table::{Goal, Line};
    /// let line = Line::op("lifecycle", Goal::AtMostNs(60.0));
    /// # drop(line);
    /// ```
    pub fn op(case: impl Into<String>, goal: Goal) -> Line {
        Line::Op {
            case: case.into(),
            goal,
        }
    }

    /// A [`Line::Ratio`].
    ///
    /// ```
    /// # use async_hooks_benches::table::{Goal, Line};
    /// let line = Line::ratio("node / rust", "node: x", "x", Goal::AtLeast(10.0));
    /// # drop(line);
    /// ```
    pub fn ratio(
        label: impl Into<String>,
        num: impl Into<String>,
        den: impl Into<String>,
        goal: Goal,
    ) -> Line {
        Line::Ratio {
            label: label.into(),
            num: num.into(),
            den: den.into(),
            goal,
        }
    }

    /// A [`Line::PerEvent`].
    ///
    /// ```
    /// # use async_hooks_benches::table::Line;
    /// let line = Line::per_event("recorder, per event", "recorded", "no hook", 4.0);
    /// # drop(line);
    /// ```
    pub fn per_event(
        label: impl Into<String>,
        with: impl Into<String>,
        without: impl Into<String>,
        events: f64,
    ) -> Line {
        Line::PerEvent {
            label: label.into(),
            with: with.into(),
            without: without.into(),
            events,
        }
    }
}

/// A row's median, minimum and unit, or why it is missing.
type Values = Result<(f64, f64, &'static str), String>;

/// Renders `lines` as one markdown table, from the measured `rows`.
///
/// A line whose case is not among `rows` is left out when `missing(case)` is `None` (a case
/// filtered out on purpose), and shown as `n/a` with the reason `missing` gives otherwise.
/// Measured rows that no [`Line::Op`] names come last, under "Other". A section with no row
/// left is left out.
///
/// ```
/// use async_hooks_benches::runner::Row;
/// use async_hooks_benches::table::{render, Goal, Line};
///
/// let rows = [Row { name: "x".into(), median_ns: 2.0, min_ns: 1.0 }];
/// let lines = [
///     Line::op("node: x", Goal::None),
///     Line::ratio("node / rust", "node: x", "x", Goal::AtLeast(10.0)),
/// ];
/// let why = |case: &str| case.starts_with("node:").then(|| "node not found".to_string());
/// let table = render(&lines, &rows, &why);
/// assert!(table.contains("| node / rust | n/a | n/a | >= 10x | n/a: node not found |"));
/// assert!(table.contains("| **Other** |"));
///
/// let empty = render(&[Line::section("Empty"), Line::op("y", Goal::None)], &rows, &|_| None);
/// assert!(!empty.contains("Empty"));
/// ```
pub fn render(lines: &[Line], rows: &[Row], missing: &dyn Fn(&str) -> Option<String>) -> String {
    let find = |name: &str| rows.iter().find(|r| r.name == name);
    let mut out =
        String::from("| measure | median | min | goal | met |\n|---|---:|---:|---|---|\n");
    let mut listed = Vec::new();
    let mut pending = None;
    // The first absent case of `cases` that has a reason, or `Err` when one was filtered out.
    let absent = |cases: &[&str]| -> Result<Option<String>, ()> {
        for case in cases {
            if find(case).is_none() {
                return missing(case).map(Some).ok_or(());
            }
        }
        Ok(None)
    };
    for line in lines {
        let (label, goal, values): (&str, Goal, Values) = match line {
            Line::Section(title) => {
                // Written with the section's first row: a section left empty is left out.
                pending = Some(title);
                continue;
            }
            Line::Op { case, goal } => {
                listed.push(case.as_str());
                match (find(case), absent(&[case])) {
                    (Some(r), _) => (case, *goal, Ok((r.median_ns, r.min_ns, " ns"))),
                    (None, Ok(Some(why))) => (case, *goal, Err(why)),
                    (None, _) => continue,
                }
            }
            Line::Ratio {
                label,
                num,
                den,
                goal,
            } => match (find(num), find(den), absent(&[num, den])) {
                (Some(n), Some(d), _) => (
                    label,
                    *goal,
                    Ok((n.median_ns / d.median_ns, n.min_ns / d.min_ns, "x")),
                ),
                (_, _, Ok(Some(why))) => (label, *goal, Err(why)),
                _ => continue,
            },
            Line::PerEvent {
                label,
                with,
                without,
                events,
            } => match (find(with), find(without), absent(&[with, without])) {
                (Some(w), Some(o), _) => (
                    label,
                    Goal::None,
                    Ok((
                        (w.median_ns - o.median_ns) / events,
                        (w.min_ns - o.min_ns) / events,
                        " ns",
                    )),
                ),
                (_, _, Ok(Some(why))) => (label, Goal::None, Err(why)),
                _ => continue,
            },
        };
        if let Some(title) = pending.take() {
            let _ = writeln!(out, "| **{title}** | | | | |");
        }
        let _ = match values {
            Ok((median, min, unit)) => writeln!(
                out,
                "| {label} | {median:.2}{unit} | {min:.2}{unit} | {} | {} |",
                goal.text(),
                goal.met(median),
            ),
            Err(why) => writeln!(
                out,
                "| {label} | n/a | n/a | {} | n/a: {why} |",
                goal.text()
            ),
        };
    }
    let others: Vec<&Row> = rows
        .iter()
        .filter(|r| !listed.contains(&r.name.as_str()))
        .collect();
    if !others.is_empty() {
        out.push_str("| **Other** | | | | |\n");
        for r in others {
            let _ = writeln!(
                out,
                "| {} | {:.2} ns | {:.2} ns | | |",
                r.name, r.median_ns, r.min_ns
            );
        }
    }
    out
}
