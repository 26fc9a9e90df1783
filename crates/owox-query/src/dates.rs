//! Date arithmetic done in Rust so the SQL never depends on the engine's clock or zone support:
//! `relative_date` bounds (§5.2) and UTC-offset transition tables for `dateTrunc` zones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use owox_contract::http_data::RelativeDatePreset;

use crate::error::CompileError;

/// The half-open range `[start, end)` of calendar days a preset covers, for `today`.
/// Weeks are ISO weeks (Monday); quarters are calendar quarters.
pub fn relative_range(
    preset: RelativeDatePreset,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), CompileError> {
    use RelativeDatePreset::*;
    let err = || CompileError::DateOutOfRange;
    let add_days = |d: NaiveDate, n: u64| d.checked_add_days(Days::new(n)).ok_or_else(err);
    let sub_days = |d: NaiveDate, n: u64| d.checked_sub_days(Days::new(n)).ok_or_else(err);
    let add_months = |d: NaiveDate, n: u32| d.checked_add_months(Months::new(n)).ok_or_else(err);
    let sub_months = |d: NaiveDate, n: u32| d.checked_sub_months(Months::new(n)).ok_or_else(err);
    let tomorrow = add_days(today, 1)?;
    let monday = sub_days(today, u64::from(today.weekday().num_days_from_monday()))?;
    let month_start = today.with_day(1).ok_or_else(err)?;
    let quarter_start =
        NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).ok_or_else(err)?;
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).ok_or_else(err)?;
    Ok(match preset {
        Today => (today, tomorrow),
        Yesterday => (sub_days(today, 1)?, today),
        ThisWeek => (monday, add_days(monday, 7)?),
        LastWeek => (sub_days(monday, 7)?, monday),
        ThisMonth => (month_start, add_months(month_start, 1)?),
        LastMonth => (sub_months(month_start, 1)?, month_start),
        ThisQuarter => (quarter_start, add_months(quarter_start, 3)?),
        LastQuarter => (sub_months(quarter_start, 3)?, quarter_start),
        ThisYear => (year_start, add_months(year_start, 12)?),
        LastNDays(n) => (sub_days(today, u64::from(n))?, tomorrow),
        LastNMonths(n) => (sub_months(today, n)?, tomorrow),
        NextNDays(n) => (today, add_days(today, u64::from(n) + 1)?),
    })
}

/// The UTC instant at which local day `date` starts in `tz` (the first existing local time at
/// or after midnight, for zones whose clocks skip midnight).
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut local = date.and_time(NaiveTime::MIN);
    for _ in 0..48 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += chrono::Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// One row of a zone's offset table: from `start` (UTC, naive) on, local = UTC + `offset_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub start: NaiveDateTime,
    pub offset_seconds: i32,
}

/// First and last year covered exactly by transition tables; outside them the nearest offset
/// is used.
pub const TRANSITION_YEARS: (i32, i32) = (1900, 2100);

fn offset_at(tz: Tz, t: NaiveDateTime) -> i32 {
    tz.offset_from_utc_datetime(&t).fix().local_minus_utc()
}

/// The zone's UTC-offset transitions from 1900 to 2100 (computed once per zone and cached).
/// The first row starts at 0001-01-01 so every instant has an offset.
pub fn transitions(tz: Tz) -> Arc<Vec<Transition>> {
    static CACHE: OnceLock<Mutex<HashMap<Tz, Arc<Vec<Transition>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = cache.lock() {
        if let Some(t) = map.get(&tz) {
            return Arc::clone(t);
        }
    }
    let table = Arc::new(compute_transitions(tz));
    if let Ok(mut map) = cache.lock() {
        map.insert(tz, Arc::clone(&table));
    }
    table
}

fn compute_transitions(tz: Tz) -> Vec<Transition> {
    let day = chrono::Duration::hours(6);
    let (from, to) = TRANSITION_YEARS;
    let mut t = NaiveDate::from_ymd_opt(from, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN);
    let end = NaiveDate::from_ymd_opt(to, 12, 31)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN);
    let mut current = offset_at(tz, t);
    let mut out = vec![Transition {
        start: NaiveDate::from_ymd_opt(1, 1, 1)
            .unwrap_or_default()
            .and_time(NaiveTime::MIN),
        offset_seconds: current,
    }];
    while t < end {
        let next = t + day;
        let off = offset_at(tz, next);
        if off != current {
            // Bisect to the second at which the offset changes.
            let (mut lo, mut hi) = (t, next);
            while (hi - lo).num_seconds() > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            current = offset_at(tz, hi);
            out.push(Transition {
                start: hi,
                offset_seconds: current,
            });
            if current != off {
                t = hi; // another change inside the same step: scan on from `hi`
                continue;
            }
        }
        t = next;
    }
    out
}
