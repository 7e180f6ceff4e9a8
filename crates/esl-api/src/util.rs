//! Small helpers the handlers share: time formats, pagination, parameter checks.

use esl_domain::fault;
use esl_wire::Params;
use serde_json::Value;
use time::OffsetDateTime;

use crate::Result;

fn datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Minute precision, as ESS writes CreationTime/StartTime/EndTime: `2014-08-14T10:58Z`.
pub fn minute_time(ms: i64) -> String {
    let t = datetime(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// Second precision: `2020-12-21T03:11:00Z`.
pub fn second_time(ms: i64) -> String {
    let t = datetime(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// PageNumber (from 1) and PageSize (default and maximum per action).
pub fn paging(params: &Params, default_size: i64, max_size: i64) -> Result<(i64, i64)> {
    let number = params.int("PageNumber")?.unwrap_or(1);
    let size = params.int("PageSize")?.unwrap_or(default_size);
    if number < 1 {
        return Err(fault::invalid_parameter("PageNumber").into());
    }
    if size < 1 || size > max_size {
        return Err(fault::invalid_parameter("PageSize").into());
    }
    Ok((number, size))
}

/// One page of `items`.
pub fn page<T>(items: Vec<T>, number: i64, size: i64) -> Vec<T> {
    items
        .into_iter()
        .skip(((number - 1) * size) as usize)
        .take(size as usize)
        .collect()
}

/// Names: 2 to 64 characters, starting with a letter, digit or CJK character; then letters,
/// digits, CJK, `_`, `-` and `.`.
pub fn valid_ess_name(name: &str) -> bool {
    let count = name.chars().count();
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_alphanumeric());
    (2..=64).contains(&count)
        && first_ok
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A JSON list of strings given either as a JSON array string (`["a","b"]`) or a comma list.
pub fn id_list(params: &Params, name: &str) -> Result<Vec<String>> {
    match params.str(name) {
        None => Ok(Vec::new()),
        Some(v) if v.trim_start().starts_with('[') => {
            Ok(params.json_string_list(name)?.unwrap_or_default())
        }
        Some(v) => Ok(v
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()),
    }
}

pub fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| Value::String(s.clone())).collect())
}

/// Parses `YYYY-MM-DDThh:mmZ` (seconds accepted too) into unix milliseconds.
pub fn parse_minute_time(text: &str) -> Option<i64> {
    let t = text.strip_suffix('Z')?;
    let (date, clock) = t.split_once('T')?;
    let mut d = date.split('-');
    let (y, m, day): (i64, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let mut c = clock.split(':');
    let (h, min): (i64, i64) = (c.next()?.parse().ok()?, c.next()?.parse().ok()?);
    let s: i64 = match c.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if !(0..24).contains(&h) || !(0..60).contains(&min) || !(0..60).contains(&s) {
        return None;
    }
    let days = esl_domain::schedule::days_from_civil(y, m, day);
    Some(((days * 24 + h) * 60 + min) * 60_000 + s * 1000)
}
