//! Calendar facts the IVR needs: weekdays, the caller's local time, weekly schedules.
//!
//! The core never reads a clock: the driver computes [`LocalTime`] for the call (in the
//! administration's time zone) and passes it in [`crate::CallContext`].

use std::fmt;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// All days, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// 0 for Monday ... 6 for Sunday.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The three-letter name used in scripts (`mon` ... `sun`).
    pub fn name(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    /// Parses a script day name (`mon` ... `sun`, case-insensitive).
    pub fn from_name(name: &str) -> Option<Weekday> {
        Weekday::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Calendar time of the call in the administration's time zone, computed by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub weekday: Weekday,
    /// Minutes since local midnight, `0..1440`. A value out of range matches no opening
    /// range (the call is treated as out of hours) rather than panicking.
    pub minute_of_day: u16,
}

impl LocalTime {
    /// `None` when `hour`/`minute` are not a time of day.
    pub fn new(weekday: Weekday, hour: u8, minute: u8) -> Option<LocalTime> {
        (hour < 24 && minute < 60).then(|| LocalTime {
            weekday,
            minute_of_day: u16::from(hour) * 60 + u16::from(minute),
        })
    }

    /// Local time from Unix milliseconds and the UTC offset in force at that instant
    /// (e.g. `+60` for CET, `+120` for CEST). The driver owns the time-zone rules; this only
    /// does the arithmetic (1970-01-01 was a Thursday).
    pub fn from_unix_ms(unix_ms: i64, utc_offset_minutes: i32) -> LocalTime {
        let local_minutes = unix_ms.div_euclid(60_000) + i64::from(utc_offset_minutes);
        let days = local_minutes.div_euclid(1440);
        let minute_of_day = u16::try_from(local_minutes.rem_euclid(1440))
            .expect("rem_euclid(1440) is in 0..1440, which fits u16");
        // 1970-01-01 (day 0) was a Thursday, index 3.
        let weekday_index = usize::try_from((days + 3).rem_euclid(7))
            .expect("rem_euclid(7) is in 0..7, which fits usize");
        LocalTime {
            weekday: Weekday::ALL[weekday_index],
            minute_of_day,
        }
    }
}

/// How the deployment wants business hours applied to this call.
///
/// Scripts test their schedules with `if open NAME` / `if closed NAME`. A demo or test
/// deployment that must answer at any hour sets [`HoursOverride::AlwaysOpen`]; a site closed
/// for an emergency can set [`HoursOverride::AlwaysClosed`]. The script is unchanged either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HoursOverride {
    /// Every schedule is evaluated against [`LocalTime`].
    #[default]
    FollowSchedule,
    /// Every schedule is open.
    AlwaysOpen,
    /// Every schedule is closed.
    AlwaysClosed,
}

/// A named weekly schedule: for each day, the half-open minute ranges `[open, close)` when
/// the service is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub(crate) name: String,
    pub(crate) days: [Vec<(u16, u16)>; 7],
}

impl Schedule {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The opening ranges of a day, as minutes since midnight `[open, close)`.
    pub fn ranges(&self, day: Weekday) -> &[(u16, u16)] {
        &self.days[day.index()]
    }

    /// Whether the service is open at `at`.
    pub fn is_open(&self, at: LocalTime) -> bool {
        self.days[at.weekday.index()]
            .iter()
            .any(|&(open, close)| open <= at.minute_of_day && at.minute_of_day < close)
    }
}

/// `hh:mm` from minutes since midnight.
pub(crate) fn format_minutes(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_was_a_thursday() {
        let t = LocalTime::from_unix_ms(0, 0);
        assert_eq!(t.weekday, Weekday::Thu);
        assert_eq!(t.minute_of_day, 0);
        // 2026-01-05 09:15 CET (UTC+1) is a Monday; 08:15 UTC.
        let ms = 1_767_600_900_000; // 2026-01-05T08:15:00Z
        let t = LocalTime::from_unix_ms(ms, 60);
        assert_eq!(t, LocalTime::new(Weekday::Mon, 9, 15).unwrap());
        // Before the epoch still works.
        assert_eq!(LocalTime::from_unix_ms(-1, 0).weekday, Weekday::Wed);
    }

    #[test]
    fn out_of_range_minute_is_closed() {
        let mut days: [Vec<(u16, u16)>; 7] = Default::default();
        days[0].push((0, 1440));
        let s = Schedule {
            name: "x".into(),
            days,
        };
        assert!(s.is_open(LocalTime::new(Weekday::Mon, 23, 59).unwrap()));
        assert!(!s.is_open(LocalTime {
            weekday: Weekday::Mon,
            minute_of_day: 5000
        }));
        assert_eq!(format_minutes(8 * 60 + 30), "08:30");
    }
}
