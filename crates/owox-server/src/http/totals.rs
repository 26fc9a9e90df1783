//! Totals computed in flight (http-data.md §11.9): when the stream carries exactly the rows the
//! totals aggregate, they are accumulated from the batches as they go out, so no second query
//! runs. Values come out as the embedded DuckDB storage's totals query would write them:
//! `SUM` of integers an exact integer (HUGEINT), of decimals an exact decimal with the
//! column's scale, of floats a float; `AVG` a float; `MIN`/`MAX` the value itself. Whenever a
//! value does not fit these rules (an unexpected type, an overflow), the accumulator gives up
//! and the caller runs the totals query after the last byte, as before.

use owox_contract::http_data::AggregateFunction;
use owox_query::TotalsQuery;
use owox_storage::{Batch, Cell, CellRef, ColumnBatch, ColumnReader, Numbers, RowBatch};

/// Running totals over the streamed rows.
pub struct InFlightTotals {
    /// The distinct columns the targets read, by index in the row.
    columns: Vec<usize>,
    /// Each target's accumulator and the position of its column in `columns`.
    targets: Vec<(usize, Accumulator)>,
    /// One row's parsed values of `columns` (reused).
    values: Vec<Option<Num>>,
    failed: bool,
}

impl InFlightTotals {
    /// `Some` when `totals` can be computed from rows whose columns are `keys`.
    pub fn new(totals: &TotalsQuery, keys: &[String]) -> Option<InFlightTotals> {
        if !totals.over_streamed_rows {
            return None;
        }
        let mut columns = Vec::new();
        let mut targets = Vec::with_capacity(totals.targets.len());
        for (column, function) in &totals.targets {
            let index = keys.iter().position(|k| k == column)?;
            let slot = match columns.iter().position(|c| *c == index) {
                Some(slot) => slot,
                None => {
                    columns.push(index);
                    columns.len() - 1
                }
            };
            let acc = match function {
                AggregateFunction::Sum => Accumulator::Sum(Sum::default()),
                AggregateFunction::Avg => Accumulator::Avg(Sum::default()),
                AggregateFunction::Min => Accumulator::Min(None),
                AggregateFunction::Max => Accumulator::Max(None),
                _ => return None,
            };
            targets.push((slot, acc));
        }
        Some(InFlightTotals {
            values: Vec::with_capacity(columns.len()),
            columns,
            targets,
            failed: false,
        })
    }

    /// Adds the rows of a batch, in either layout.
    pub fn observe(&mut self, batch: &Batch) {
        match batch {
            Batch::Rows(rows) => self.observe_rows(rows),
            Batch::Columns(columns) => self.observe_columns(columns),
        }
    }

    pub fn observe_rows(&mut self, batch: &RowBatch) {
        if self.failed {
            return;
        }
        for row in &batch.rows {
            self.values.clear();
            for index in &self.columns {
                match row.get(*index).map(|c| num(c.as_ref())) {
                    Some(Some(value)) => self.values.push(value),
                    _ => {
                        self.failed = true;
                        return;
                    }
                }
            }
            if !self.add_row() {
                self.failed = true;
                return;
            }
        }
    }

    /// The same over a columnar batch, column by column: each target column is read in place
    /// once and each value goes to that column's accumulators. Each accumulator sees its
    /// column's values in the same order as row by row, and any value that does not fit fails
    /// the whole, so the result is the row path's.
    pub fn observe_columns(&mut self, batch: &ColumnBatch) {
        if self.failed {
            return;
        }
        let readers = batch.readers();
        for (slot, index) in self.columns.iter().enumerate() {
            let Some(reader) = readers.get(*index) else {
                self.failed = true;
                return;
            };
            let mut accumulators: Vec<&mut Accumulator> = self
                .targets
                .iter_mut()
                .filter(|(target, _)| *target == slot)
                .map(|(_, acc)| acc)
                .collect();
            if let Some(numbers) = reader.numbers() {
                if !observe_numbers(&mut accumulators, reader, numbers, batch.num_rows()) {
                    self.failed = true;
                    return;
                }
                continue;
            }
            for row in 0..batch.num_rows() {
                let fits = match reader.with(row, num) {
                    Some(Some(value)) => accumulators.iter_mut().all(|acc| acc.add(value)),
                    Some(None) => true,
                    None => false,
                };
                if !fits {
                    self.failed = true;
                    return;
                }
            }
        }
    }

    /// Adds the parsed values of one row (`values`) to every target; false on a mismatch.
    fn add_row(&mut self) -> bool {
        for (slot, acc) in &mut self.targets {
            if let Some(value) = self.values[*slot] {
                if !acc.add(value) {
                    return false;
                }
            }
        }
        true
    }

    /// One value per label of the totals query, in its order, or `None` when the rows did
    /// not fit the rules.
    pub fn finish(self) -> Option<Vec<Cell>> {
        if self.failed {
            return None;
        }
        Some(
            self.targets
                .into_iter()
                .map(|(_, acc)| acc.value())
                .collect(),
        )
    }
}

/// Adds a typed numeric column to its accumulators: the layout is matched once per batch and
/// each accumulator runs its own loop over the values, with the conversions of [`num`] (so
/// the result is the per-value path's, in the same order). False when a value does not fit.
fn observe_numbers(
    accumulators: &mut [&mut Accumulator],
    reader: &ColumnReader<'_>,
    numbers: Numbers<'_>,
    rows: usize,
) -> bool {
    fn each<T: Copy + PartialOrd>(
        accumulators: &mut [&mut Accumulator],
        reader: &ColumnReader<'_>,
        values: &[T],
        to_num: impl Fn(T) -> Num + Copy,
    ) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        // Every value of a typed column converts to the same kind of `Num` (`to_num` is fixed
        // per column), so the accumulator's kind is matched once per column, sums skip the
        // per-value kind check, and a minimum or maximum is found among the batch's values
        // in their own type (to_num keeps their order) and offered once.
        let present = || {
            values
                .iter()
                .enumerate()
                .filter(|(row, _)| !reader.is_null(*row))
                .map(|(_, v)| *v)
        };
        let offer_extreme = |best: &mut Option<Num>, want| match extreme(present(), want) {
            Ok(Some(v)) => keep(best, to_num(v), want),
            Ok(None) => true,
            Err(()) => false,
        };
        accumulators.iter_mut().all(|acc| match acc {
            Accumulator::Sum(sum) | Accumulator::Avg(sum) => sum.add_all(present().map(to_num)),
            Accumulator::Min(best) => offer_extreme(best, Less),
            Accumulator::Max(best) => offer_extreme(best, Greater),
        })
    }
    let int = |v: i64| Num::Int(i128::from(v));
    match numbers {
        Numbers::I8(v) => each(accumulators, reader, &v[..rows], |x| int(x.into())),
        Numbers::I16(v) => each(accumulators, reader, &v[..rows], |x| int(x.into())),
        Numbers::I32(v) => each(accumulators, reader, &v[..rows], |x| int(x.into())),
        Numbers::I64(v) => each(accumulators, reader, &v[..rows], int),
        Numbers::U8(v) => each(accumulators, reader, &v[..rows], |x| int(x.into())),
        Numbers::U16(v) => each(accumulators, reader, &v[..rows], |x| int(x.into())),
        Numbers::U32(v) => each(accumulators, reader, &v[..rows], |x| int(x.into())),
        Numbers::U64(v) => each(accumulators, reader, &v[..rows], |x| {
            Num::Int(i128::from(x))
        }),
        Numbers::I128(v) => each(accumulators, reader, &v[..rows], Num::Int),
        Numbers::F32(v) => each(accumulators, reader, &v[..rows], Num::Float32),
        Numbers::F64(v) => each(accumulators, reader, &v[..rows], Num::Float),
        Numbers::Dec32(v, scale) => each(accumulators, reader, &v[..rows], move |x| {
            Num::Dec(x.into(), u32::from(scale))
        }),
        Numbers::Dec64(v, scale) => each(accumulators, reader, &v[..rows], move |x| {
            Num::Dec(x.into(), u32::from(scale))
        }),
        Numbers::Dec128(v, scale) => each(accumulators, reader, &v[..rows], move |x| {
            Num::Dec(x, u32::from(scale))
        }),
    }
}

/// The first of the most extreme values in the direction `want` (`None` for no value), as
/// [`keep`] would leave it value by value; `Err` when a value is not comparable (NaN), which
/// [`keep`] refuses too.
#[inline(always)]
fn extreme<T: Copy + PartialOrd>(
    values: impl Iterator<Item = T>,
    want: std::cmp::Ordering,
) -> Result<Option<T>, ()> {
    let mut best: Option<T> = None;
    for v in values {
        #[allow(clippy::eq_op)] // NaN is the one value unequal to itself
        if v != v {
            return Err(());
        }
        match best {
            Some(b) if v.partial_cmp(&b) != Some(want) => {}
            _ => best = Some(v),
        }
    }
    Ok(best)
}

/// A numeric value: integers, decimals scaled by `10^scale`, floats. A FLOAT (f32) column
/// stays `Float32`: DuckDB's `SUM`/`AVG` of it add each value's exact double, and its
/// `MIN`/`MAX` are FLOATs, which the stream writes by their shortest f32 digits (`widen_f32`,
/// applied once to the result rather than to every value).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(i128),
    Dec(i128, u32),
    Float(f64),
    Float32(f32),
}

/// `Some(None)` for NULL, `Some(Some(n))` for a number, `None` for anything else.
fn num(cell: CellRef<'_>) -> Option<Option<Num>> {
    Some(Some(match cell {
        CellRef::Null => return Some(None),
        CellRef::Int(v) => Num::Int(i128::from(v)),
        CellRef::UInt(v) => Num::Int(i128::from(v)),
        CellRef::HugeInt(v) => Num::Int(v),
        CellRef::Float(v) => Num::Float(v),
        CellRef::Float32(v) => Num::Float32(v),
        CellRef::ScaledDecimal { value, scale } => Num::Dec(value, u32::from(scale)),
        CellRef::Decimal(text) => {
            let (v, scale) = parse_decimal(text)?;
            Num::Dec(v, scale)
        }
        _ => return None,
    }))
}

impl Num {
    fn cell(self) -> Cell {
        match self {
            Num::Int(v) => Cell::HugeInt(v),
            Num::Dec(v, scale) => decimal_cell(v, scale),
            Num::Float(v) => Cell::Float(v),
            Num::Float32(v) => Cell::Float(owox_storage::widen_f32(v)),
        }
    }

    /// Orders two values of one column; `None` when they are not of one kind and scale.
    fn compare(self, other: Num) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
            (Num::Dec(x, sx), Num::Dec(y, sy)) if sx == sy => Some(x.cmp(&y)),
            (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
            (Num::Float32(x), Num::Float32(y)) => x.partial_cmp(&y),
            _ => None,
        }
    }
}

enum Accumulator {
    Sum(Sum),
    Avg(Sum),
    Min(Option<Num>),
    Max(Option<Num>),
}

/// A sum of one column's values, all of one kind.
#[derive(Default)]
struct Sum {
    /// The first value, standing for the kind (and decimal scale) every value must have.
    first: Option<Num>,
    /// Integers, or decimals scaled by `10^scale`.
    exact: i128,
    float: f64,
    count: u64,
}

/// `"-12.50"` → (-1250, 2), without allocating (it runs for every decimal streamed).
fn parse_decimal(text: &str) -> Option<(i128, u32)> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    Some((
        if negative { -value } else { value },
        u32::try_from(frac.len()).ok()?,
    ))
}

fn decimal_cell(value: i128, scale: u32) -> Cell {
    match u8::try_from(scale) {
        Ok(scale) => Cell::ScaledDecimal { value, scale },
        // Not reachable from a decimal of at most 38 digits.
        Err(_) => Cell::Decimal(value.to_string()),
    }
}

impl Sum {
    #[inline(always)]
    fn add(&mut self, value: Num) -> bool {
        self.accepts(value) && self.add_unchecked(value)
    }

    /// Adds values that are all of one kind (a typed column's), checking the kind once.
    #[inline(always)]
    fn add_all(&mut self, mut values: impl Iterator<Item = Num>) -> bool {
        let Some(first) = values.next() else {
            return true;
        };
        self.add(first) && values.all(|value| self.add_unchecked(value))
    }

    /// Whether `value` is of the kind (and decimal scale) of the values summed so far.
    #[inline(always)]
    fn accepts(&mut self, value: Num) -> bool {
        match self.first {
            None => {
                self.first = Some(value);
                true
            }
            Some(first) => {
                matches!(
                    (first, value),
                    (Num::Int(_), Num::Int(_))
                        | (Num::Float(_), Num::Float(_))
                        | (Num::Float32(_), Num::Float32(_))
                ) || matches!((first, value), (Num::Dec(_, a), Num::Dec(_, b)) if a == b)
            }
        }
    }

    /// Adds a value of the accepted kind; false when the exact sum overflows.
    #[inline(always)]
    fn add_unchecked(&mut self, value: Num) -> bool {
        self.count += 1;
        match value {
            Num::Float(v) => self.float += v,
            Num::Float32(v) => self.float += f64::from(v),
            Num::Int(v) | Num::Dec(v, _) => match self.exact.checked_add(v) {
                Some(total) => self.exact = total,
                None => return false,
            },
        }
        true
    }

    fn total(&self) -> Cell {
        match self.first {
            None => Cell::Null,
            Some(Num::Int(_)) => Cell::HugeInt(self.exact),
            Some(Num::Dec(_, scale)) => decimal_cell(self.exact, scale),
            Some(Num::Float(_) | Num::Float32(_)) => Cell::Float(self.float),
        }
    }

    fn mean(&self) -> Cell {
        let n = self.count as f64;
        match self.first {
            None => Cell::Null,
            Some(Num::Int(_)) => Cell::Float(self.exact as f64 / n),
            Some(Num::Dec(_, scale)) => {
                Cell::Float(self.exact as f64 / 10f64.powi(scale as i32) / n)
            }
            Some(Num::Float(_) | Num::Float32(_)) => Cell::Float(self.float / n),
        }
    }
}

/// Keeps the extreme of `best` and `value` in the direction `want`; false when not comparable.
#[inline(always)]
fn keep(best: &mut Option<Num>, value: Num, want: std::cmp::Ordering) -> bool {
    let order = match best {
        None => value.compare(value).map(|_| want),
        Some(current) => value.compare(*current),
    };
    match order {
        Some(o) => {
            if o == want {
                *best = Some(value);
            }
            true
        }
        None => false,
    }
}

impl Accumulator {
    #[inline(always)]
    fn add(&mut self, value: Num) -> bool {
        match self {
            Accumulator::Sum(sum) | Accumulator::Avg(sum) => sum.add(value),
            Accumulator::Min(best) => keep(best, value, std::cmp::Ordering::Less),
            Accumulator::Max(best) => keep(best, value, std::cmp::Ordering::Greater),
        }
    }

    fn value(self) -> Cell {
        match self {
            Accumulator::Sum(sum) => sum.total(),
            Accumulator::Avg(sum) => sum.mean(),
            Accumulator::Min(best) | Accumulator::Max(best) => best.map_or(Cell::Null, Num::cell),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use owox_query::{Statement, TotalsQuery};

    fn totals(targets: &[(&str, AggregateFunction)], over_streamed_rows: bool) -> TotalsQuery {
        TotalsQuery {
            labels: targets
                .iter()
                .map(|(c, f)| owox_query::aggregate_label(c, *f))
                .collect(),
            statement: Statement {
                sql: String::new(),
                params: vec![],
            },
            targets: targets.iter().map(|(c, f)| (c.to_string(), *f)).collect(),
            over_streamed_rows,
        }
    }

    fn batch(rows: Vec<Vec<Cell>>) -> Batch {
        Batch::Rows(RowBatch { rows })
    }

    #[test]
    fn sums_means_and_extremes_follow_the_column_type() {
        use AggregateFunction::*;
        let keys = vec!["n".to_string(), "d".to_string(), "f".to_string()];
        let t = totals(
            &[
                ("n", Sum),
                ("n", Avg),
                ("d", Sum),
                ("d", Min),
                ("f", Max),
                ("f", Sum),
            ],
            true,
        );
        let mut acc = InFlightTotals::new(&t, &keys).unwrap();
        acc.observe(&batch(vec![
            vec![
                Cell::Int(i64::MAX),
                Cell::ScaledDecimal {
                    value: -150,
                    scale: 2,
                },
                Cell::Float(0.5),
            ],
            vec![
                Cell::Int(i64::MAX),
                Cell::ScaledDecimal {
                    value: 25,
                    scale: 2,
                },
                Cell::Null,
            ],
        ]));
        acc.observe(&batch(vec![vec![
            Cell::Null,
            // A decimal as text (PostgreSQL's form) sums with the scaled ones.
            Cell::Decimal("-0.05".into()),
            Cell::Float(2.0),
        ]]));
        let values = acc.finish().unwrap();
        assert_eq!(
            values,
            vec![
                Cell::HugeInt(2 * i128::from(i64::MAX)),
                Cell::Float(i64::MAX as f64),
                Cell::ScaledDecimal {
                    value: -130,
                    scale: 2
                },
                Cell::ScaledDecimal {
                    value: -150,
                    scale: 2
                },
                Cell::Float(2.0),
                Cell::Float(2.5),
            ]
        );
    }

    #[test]
    fn gives_up_when_it_cannot_match_the_query() {
        use AggregateFunction::*;
        let keys = vec!["n".to_string()];
        // A limit, a grouping or a HAVING: the stream is not the totals' rows.
        assert!(InFlightTotals::new(&totals(&[("n", Sum)], false), &keys).is_none());
        // Percentiles need every value.
        assert!(InFlightTotals::new(&totals(&[("n", P50)], true), &keys).is_none());
        // A target that is not an output column.
        assert!(InFlightTotals::new(&totals(&[("x", Sum)], true), &keys).is_none());
        // A value of another kind.
        let mut acc = InFlightTotals::new(&totals(&[("n", Sum)], true), &keys).unwrap();
        acc.observe(&batch(vec![vec![Cell::Text("NaN".into())]]));
        assert!(acc.finish().is_none());
        // Overflow beyond i128.
        let mut acc = InFlightTotals::new(&totals(&[("n", Sum)], true), &keys).unwrap();
        acc.observe(&batch(vec![
            vec![Cell::HugeInt(i128::MAX)],
            vec![Cell::HugeInt(1)],
        ]));
        assert!(acc.finish().is_none());
        // No rows: NULL, as SQL.
        let acc = InFlightTotals::new(&totals(&[("n", Sum), ("n", Min)], true), &keys).unwrap();
        assert_eq!(acc.finish().unwrap(), vec![Cell::Null, Cell::Null]);
    }

    /// An embedded DuckDB storage with the defaults under `dir`.
    fn duckdb(dir: &tempfile::TempDir) -> owox_storage::DuckDbStorage {
        owox_storage::DuckDbStorage::open(owox_storage::DuckDbConfig::under(dir.path())).unwrap()
    }

    /// Over DuckDB's columnar batches, the totals are those of the same rows as cells, and
    /// those of DuckDB's own totals query (floats within rounding: the engine may add in
    /// another order). A FLOAT column sums its exact doubles, as DuckDB's `SUM(FLOAT)` does,
    /// where cells (widened by their shortest digits) cannot.
    #[tokio::test]
    async fn columnar_batches_give_the_totals_of_cells() {
        use futures::future::poll_fn;
        use owox_storage::Storage as _;
        use AggregateFunction::*;
        let dir = tempfile::tempdir().unwrap();
        let storage = duckdb(&dir);
        let sql = "SELECT i AS id, 9007199254740993 + i AS big, CAST(i % 1000 AS INTEGER) AS qty, \
             CAST(i % 100000 AS DECIMAL(12,2)) / 4 AS amount, CAST(i AS DECIMAL(9,3)) / -7 AS dec9, \
             i / 7.0 AS price, CAST(i % 97 AS FLOAT) / 8 AS ratio, \
             CASE WHEN i % 10 = 0 THEN NULL ELSE CAST(i AS HUGEINT) * 1000000000000 END AS huge, \
             'x' || i AS text FROM range(10000) t(i)";
        let keys: Vec<String> = [
            "id", "big", "qty", "amount", "dec9", "price", "ratio", "huge", "text",
        ]
        .map(String::from)
        .to_vec();
        let targets = [
            ("id", Sum),
            ("big", Sum),
            ("qty", Avg),
            ("amount", Sum),
            ("amount", Max),
            ("dec9", Sum),
            ("dec9", Min),
            ("price", Sum),
            ("ratio", Avg),
            ("ratio", Min),
            ("huge", Sum),
            ("huge", Max),
        ];
        let with_text = [("id", Sum), ("text", Max)];
        let mut runs = Vec::new();
        for targets in [&targets[..], &with_text[..]] {
            let t = totals(targets, true);
            let mut stream = storage
                .query(owox_query::Statement {
                    sql: sql.into(),
                    params: vec![],
                })
                .await
                .unwrap();
            let mut columnar = InFlightTotals::new(&t, &keys).unwrap();
            let mut cells = InFlightTotals::new(&t, &keys).unwrap();
            while let Some(batch) = poll_fn(|cx| stream.poll_next_batch(cx)).await {
                let batch = batch.unwrap();
                assert!(matches!(batch, Batch::Columns(_)));
                columnar.observe(&batch);
                cells.observe(&Batch::Rows(batch.into_rows()));
            }
            let (a, b) = (columnar.finish(), cells.finish());
            let without_float_sums = |v: &Option<Vec<Cell>>| {
                v.as_ref().map(|cells| {
                    cells
                        .iter()
                        .zip(targets)
                        .filter(|(_, (column, f))| !(*column == "ratio" && *f == Avg))
                        .map(|(c, _)| format!("{c:?}"))
                        .collect::<Vec<_>>()
                })
            };
            assert_eq!(without_float_sums(&a), without_float_sums(&b));
            runs.push(a);
        }
        let query = format!(
            "SELECT sum(id), sum(big), avg(qty), sum(amount), max(amount), sum(dec9), min(dec9), \
             sum(price), avg(ratio), min(ratio), sum(huge), max(huge) FROM ({sql})"
        );
        let mut stream = storage
            .query(owox_query::Statement {
                sql: query,
                params: vec![],
            })
            .await
            .unwrap();
        let mut expected = Vec::new();
        while let Some(batch) = poll_fn(|cx| stream.poll_next_batch(cx)).await {
            expected.extend(batch.unwrap().into_rows().rows);
        }
        let streamed = runs[0].as_ref().unwrap();
        for ((ours, engine), target) in streamed.iter().zip(&expected[0]).zip(targets) {
            match (ours, engine) {
                (Cell::Float(x), Cell::Float(y)) => {
                    assert!((x - y).abs() <= y.abs() * 1e-12, "{target:?}: {x} vs {y}")
                }
                _ => assert_eq!(format!("{ours:?}"), format!("{engine:?}"), "{target:?}"),
            }
        }
        assert_eq!(runs[0].as_ref().unwrap()[0], Cell::HugeInt(49_995_000));
        // A text column is not a number: both give up.
        assert!(runs[1].is_none());
    }

    #[test]
    fn decimal_text_parses_exactly() {
        assert_eq!(parse_decimal("-0.05"), Some((-5, 2)));
        assert_eq!(parse_decimal("12"), Some((12, 0)));
        assert_eq!(parse_decimal("x"), None);
        assert_eq!(parse_decimal("-"), None);
        assert_eq!(parse_decimal("1.-5"), None);
        assert_eq!(
            parse_decimal("99999999999999999999999999999999999999999"),
            None
        );
    }

    /// A batch's extreme is the one value by value would leave: the first of equal values
    /// (0.0 before -0.0 stays 0.0), nothing for no value, and a NaN refuses like `keep`.
    #[test]
    fn extremes_of_a_batch_match_value_by_value() {
        use std::cmp::Ordering::{Greater, Less};
        let by_value = |values: &[f64], want| {
            let mut best = None;
            values
                .iter()
                .all(|v| keep(&mut best, Num::Float(*v), want))
                .then_some(best)
        };
        for values in [
            &[3.0, -1.0, 7.5, -1.0, 7.5][..],
            &[0.0, -0.0, 1.0, -0.0][..],
            &[-0.0, 0.0][..],
            &[][..],
            &[f64::INFINITY, f64::NEG_INFINITY][..],
        ] {
            for want in [Less, Greater] {
                let batch = extreme(values.iter().copied(), want)
                    .unwrap()
                    .map(Num::Float);
                let expected = by_value(values, want).unwrap();
                assert_eq!(
                    batch.map(|n| format!("{n:?}")),
                    expected.map(|n| format!("{n:?}")),
                    "{values:?} {want:?}"
                );
            }
        }
        for want in [Less, Greater] {
            assert!(extreme([1.0, f64::NAN, 2.0].into_iter(), want).is_err());
            assert!(by_value(&[1.0, f64::NAN, 2.0], want).is_none());
        }
        assert_eq!(extreme([5i64, -3, 9, -3].into_iter(), Less), Ok(Some(-3)));
    }

    /// A NaN in a streamed DOUBLE column makes the in-flight totals give up (the totals query
    /// answers then), in the columnar path as in the row path.
    #[tokio::test]
    async fn a_nan_makes_columnar_extremes_give_up() {
        use futures::future::poll_fn;
        use owox_storage::Storage as _;
        let dir = tempfile::tempdir().unwrap();
        let storage = duckdb(&dir);
        let keys = vec!["d".to_string()];
        for function in [AggregateFunction::Max, AggregateFunction::Min] {
            let t = totals(&[("d", function)], true);
            let mut stream = storage
                .query(owox_query::Statement {
                    sql: "SELECT CASE WHEN i = 3000 THEN 'NaN'::DOUBLE ELSE i END AS d \
                          FROM range(5000) t(i)"
                        .into(),
                    params: vec![],
                })
                .await
                .unwrap();
            let mut acc = InFlightTotals::new(&t, &keys).unwrap();
            while let Some(batch) = poll_fn(|cx| stream.poll_next_batch(cx)).await {
                acc.observe(&batch.unwrap());
            }
            assert!(acc.finish().is_none(), "{function:?}");
        }
    }
}
