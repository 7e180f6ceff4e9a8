//! Recurrence of scheduled tasks: Daily (every N days), Weekly (days of the week, 0 = Sunday),
//! Monthly (a range of days of the month, `A-B`) and Cron (five fields, UTC), all pure arithmetic
//! on unix milliseconds. Daily, Weekly and Monthly fire at the launch time's time of day.

use crate::fault::{self, Fault};

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recurrence {
    Daily(i64),
    Weekly(Vec<u32>),
    Monthly(u32, u32),
    Cron(Cron),
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// 0 = Sunday.
pub fn weekday(day: i64) -> u32 {
    (day + 4).rem_euclid(7) as u32
}

/// A parsed five-field cron expression: minute, hour, day of month, month, day of week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    days_restricted: bool,
    weekdays_restricted: bool,
}

fn field(text: &str, min: u32, max: u32) -> Option<(Vec<bool>, bool)> {
    let mut set = vec![false; max as usize + 1];
    let mut restricted = true;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            if step == 1 {
                restricted = false;
            }
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().ok()?, b.parse().ok()?)
        } else {
            let v: u32 = range.parse().ok()?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo < min || hi > max || lo > hi {
            return None;
        }
        let mut v = lo;
        while v <= hi {
            set[v as usize] = true;
            v += step;
        }
    }
    Some((set, restricted))
}

impl Cron {
    pub fn parse(text: &str) -> Option<Cron> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return None;
        }
        let (minutes, _) = field(parts[0], 0, 59)?;
        let (hours, _) = field(parts[1], 0, 23)?;
        let (days, days_restricted) = field(parts[2], 1, 31)?;
        let (months, _) = field(parts[3], 1, 12)?;
        let (mut weekdays, weekdays_restricted) = field(parts[4], 0, 7)?;
        if weekdays[7] {
            weekdays[0] = true;
        }
        Some(Cron {
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_restricted,
            weekdays_restricted,
        })
    }

    fn day_matches(&self, day: i64) -> bool {
        let (_, m, d) = civil_from_days(day);
        if !self.months[m as usize] {
            return false;
        }
        let dom = self.days[d as usize];
        let dow = self.weekdays[weekday(day) as usize];
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }

    /// The first matching minute strictly after `after_ms`, within about four years.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let start = (after_ms.div_euclid(MINUTE_MS) + 1) * MINUTE_MS;
        let first_day = start.div_euclid(DAY_MS);
        for day in first_day..first_day + 366 * 4 {
            if !self.day_matches(day) {
                continue;
            }
            for h in 0..24 {
                if !self.hours[h] {
                    continue;
                }
                for m in 0..60 {
                    let t = day * DAY_MS + h as i64 * 3_600_000 + m as i64 * MINUTE_MS;
                    if self.minutes[m] && t >= start {
                        return Some(t);
                    }
                }
            }
        }
        None
    }
}

impl Recurrence {
    pub fn parse(kind: &str, value: &str) -> Result<Recurrence, Fault> {
        let bad = || fault::invalid_parameter("RecurrenceValue");
        match kind {
            "Daily" => value
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=31).contains(n))
                .map(Recurrence::Daily)
                .ok_or_else(bad),
            "Weekly" => {
                let mut days = Vec::new();
                for d in value.split(',') {
                    let d: u32 = d.trim().parse().map_err(|_| bad())?;
                    if d > 6 {
                        return Err(bad());
                    }
                    if !days.contains(&d) {
                        days.push(d);
                    }
                }
                Ok(Recurrence::Weekly(days))
            }
            "Monthly" => {
                let (a, b) = value.split_once('-').ok_or_else(bad)?;
                let (a, b): (u32, u32) =
                    (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                if !(1..=31).contains(&a) || !(1..=31).contains(&b) || a > b {
                    return Err(bad());
                }
                Ok(Recurrence::Monthly(a, b))
            }
            "Cron" => Cron::parse(value).map(Recurrence::Cron).ok_or_else(bad),
            _ => Err(fault::invalid_parameter("RecurrenceType")),
        }
    }

    /// The next time after `after_ms` for a task first launched at `launch_ms`.
    pub fn next_after(&self, launch_ms: i64, after_ms: i64) -> Option<i64> {
        let time_of_day = launch_ms.rem_euclid(DAY_MS);
        let at = |day: i64| day * DAY_MS + time_of_day;
        let first_day = after_ms.div_euclid(DAY_MS);
        match self {
            Recurrence::Daily(n) => {
                let step = n * DAY_MS;
                if after_ms < launch_ms {
                    return Some(launch_ms);
                }
                Some(launch_ms + ((after_ms - launch_ms) / step + 1) * step)
            }
            Recurrence::Weekly(days) => (first_day..first_day + 8)
                .map(at)
                .find(|t| *t > after_ms && days.contains(&weekday(t.div_euclid(DAY_MS)))),
            Recurrence::Monthly(a, b) => (first_day..first_day + 63).map(at).find(|t| {
                let (_, _, d) = civil_from_days(t.div_euclid(DAY_MS));
                *t > after_ms && (*a..=*b).contains(&d)
            }),
            Recurrence::Cron(c) => c.next_after(after_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i64, m: u32, d: u32, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * DAY_MS + h * 3_600_000 + min * MINUTE_MS
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2026, 12, 3)), (2026, 12, 3));
        assert_eq!(civil_from_days(days_from_civil(2028, 2, 29)), (2028, 2, 29));
        assert_eq!(weekday(days_from_civil(2026, 12, 3)), 4); // a Thursday
    }

    #[test]
    fn recurrences() {
        let launch = ms(2026, 12, 3, 10, 30);
        let daily = Recurrence::parse("Daily", "2").unwrap();
        assert_eq!(
            daily.next_after(launch, launch),
            Some(ms(2026, 12, 5, 10, 30))
        );
        let weekly = Recurrence::parse("Weekly", "0,3").unwrap(); // Sunday, Wednesday
        assert_eq!(
            weekly.next_after(launch, launch),
            Some(ms(2026, 12, 6, 10, 30))
        );
        assert_eq!(
            weekly.next_after(launch, ms(2026, 12, 6, 10, 30)),
            Some(ms(2026, 12, 9, 10, 30))
        );
        let monthly = Recurrence::parse("Monthly", "1-2").unwrap();
        assert_eq!(
            monthly.next_after(launch, launch),
            Some(ms(2027, 1, 1, 10, 30))
        );
        assert_eq!(
            monthly.next_after(launch, ms(2027, 1, 1, 10, 30)),
            Some(ms(2027, 1, 2, 10, 30))
        );
        let cron = Recurrence::parse("Cron", "*/15 8-9 * * 1-5").unwrap();
        assert_eq!(cron.next_after(launch, launch), Some(ms(2026, 12, 4, 8, 0)));
        assert_eq!(
            cron.next_after(launch, ms(2026, 12, 4, 9, 45)),
            Some(ms(2026, 12, 7, 8, 0))
        );
        assert!(Recurrence::parse("Cron", "61 * * * *").is_err());
        assert!(Recurrence::parse("Weekly", "7").is_err());
        assert!(Recurrence::parse("Monthly", "5-2").is_err());
        assert!(Recurrence::parse("Hourly", "1").is_err());
    }
}
