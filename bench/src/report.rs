//! The table: medians of each side, and the median and range of the per-round ratios.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::Sizes;

/// Which way is better for a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// One figure: a value per round for each side.
#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub unit: &'static str,
    pub better: Better,
    pub reference: &'static str,
    pub raw: Vec<f64>,
    pub sdk: Vec<f64>,
}

impl Row {
    pub fn new(name: impl Into<String>, unit: &'static str, better: Better) -> Self {
        Self {
            name: name.into(),
            unit,
            better,
            reference: "raw",
            raw: Vec::new(),
            sdk: Vec::new(),
        }
    }

    /// The per-round ratios SDK / reference.
    fn ratios(&self) -> Vec<f64> {
        self.raw
            .iter()
            .zip(&self.sdk)
            .map(|(raw, sdk)| sdk / raw)
            .collect()
    }
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn range(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

fn number(value: f64) -> String {
    match value {
        v if v >= 100_000.0 => format!("{:.0}k", v / 1000.0),
        v if v >= 1000.0 => format!("{:.1}k", v / 1000.0),
        v if v >= 10.0 => format!("{v:.0}"),
        v => format!("{v:.2}"),
    }
}

pub fn print(rows: &[Row], sizes: Sizes) {
    let mut table = String::new();
    if cfg!(debug_assertions) {
        let _ = writeln!(
            table,
            "\na debug build: these figures only show that the benchmark runs (cargo xtask bench)"
        );
    }
    let _ = writeln!(
        table,
        "\n{} rounds, alternating; medians; ratio = SDK / reference per round (median, min–max)\n",
        sizes.rounds
    );
    let _ = writeln!(table, "| figure | reference | SDK | ratio | better |");
    let _ = writeln!(table, "|---|---|---|---|---|");
    for row in rows {
        let ratios = row.ratios();
        let (low, high) = range(&ratios);
        let _ = writeln!(
            table,
            "| {} ({}) | {} {} | {} | {:.2} ({:.2}–{:.2}) | {} |",
            row.name,
            row.unit,
            row.reference,
            number(median(&row.raw)),
            number(median(&row.sdk)),
            median(&ratios),
            low,
            high,
            match row.better {
                Better::Higher => "higher",
                Better::Lower => "lower",
            }
        );
    }
    println!("{table}");
}

/// `target/bench/report.json`: `{"figure": {"raw": x, "sdk": y, "ratio": r}}`.
/// The table as JSON in `target/bench/<file>`: one object per figure (named with its
/// reference when that is not the raw client), `{"raw", "sdk", "ratio", ...}`.
pub fn write_json(rows: &[Row], file: &str) {
    let mut report = Map::new();
    for row in rows {
        let ratios = row.ratios();
        let (low, high) = range(&ratios);
        let key = match row.reference {
            "raw" => row.name.clone(),
            reference => format!("{} vs {reference}", row.name),
        };
        report.insert(
            key,
            json!({
                "raw": median(&row.raw), "sdk": median(&row.sdk), "ratio": median(&ratios),
                "ratio_min": low, "ratio_max": high, "unit": row.unit, "reference": row.reference,
                "better": if row.better == Better::Higher { "higher" } else { "lower" },
            }),
        );
    }
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let _ = std::fs::create_dir_all(&folder);
    let path = folder.join(file);
    match std::fs::write(
        &path,
        serde_json::to_string_pretty(&Value::Object(report)).unwrap_or_default(),
    ) {
        Ok(()) => println!("written: {}", path.display()),
        Err(error) => eprintln!("could not write {}: {error}", path.display()),
    }
}
