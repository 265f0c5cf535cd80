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
    /// The local calendar date, for closed days (`closed 12-25`, `holidays it`); `None`
    /// when only the weekday and time are known, and then no closed day applies.
    pub date: Option<Date>,
}

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// `None` unless `month`/`day` make a real date of `year`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        (1..=12)
            .contains(&month)
            .then_some(())
            .filter(|()| day >= 1 && day <= days_in_month(year, month))
            .map(|()| Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (negative: before).
    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's `civil_from_days`
        // (<https://howardhinnant.github.io/date_algorithms.html>).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX }),
            month: u8::try_from(month).expect("a month is 1..=12"),
            day: u8::try_from(day).expect("a day is 1..=31"),
        }
    }

    /// Days since 1970-01-01 (`days_from_civil`, the inverse of [`Date::from_days`]).
    pub fn days(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let month = i64::from(self.month);
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5
            + i64::from(self.day)
            - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Easter Sunday of `year` (Gregorian computus, the anonymous algorithm).
    pub fn easter(year: i32) -> Date {
        let y = year;
        let a = y.rem_euclid(19);
        let b = y.div_euclid(100);
        let c = y.rem_euclid(100);
        let d = b / 4;
        let e = b % 4;
        let f = (b + 8) / 25;
        let g = (b - f + 1) / 3;
        let h = (19 * a + b - d - g + 15).rem_euclid(30);
        let i = c / 4;
        let k = c % 4;
        let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
        let m = (a + 11 * h + 22 * l) / 451;
        let n = h + l - 7 * m + 114;
        Date {
            year,
            month: u8::try_from(n / 31).expect("Easter is in March or April"),
            day: u8::try_from(n % 31 + 1).expect("a day is 1..=31"),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A day a schedule is closed all day, whatever its weekly hours say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedDay {
    /// Every year on this month and day (`closed 12-25`).
    EveryYear { month: u8, day: u8 },
    /// This one date (`closed 2026-12-24`).
    Once(Date),
}

impl ClosedDay {
    fn matches(self, date: Date) -> bool {
        match self {
            ClosedDay::EveryYear { month, day } => date.month == month && date.day == day,
            ClosedDay::Once(d) => d == date,
        }
    }
}

/// A country's public holidays, built in so that nobody has to type them every year
/// (`holidays it`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicHolidays {
    /// Italy's national holidays (L. 260/1949 as amended, L. 54/1977, L. 151/2025): 1 and 6
    /// January, Easter Monday, 25 April, 1 May, 2 June, 15 August, 4 October (from 2026),
    /// 1 November, 8, 25 and 26 December. A city's patron saint is local: add it with
    /// `closed MM-DD`.
    Italy,
}

impl PublicHolidays {
    /// The calendar of a script's `holidays CODE`.
    pub fn from_code(code: &str) -> Option<PublicHolidays> {
        code.eq_ignore_ascii_case("it")
            .then_some(PublicHolidays::Italy)
    }

    pub fn code(self) -> &'static str {
        match self {
            PublicHolidays::Italy => "it",
        }
    }

    /// Whether `date` is one of them.
    pub fn contains(self, date: Date) -> bool {
        match self {
            PublicHolidays::Italy => {
                const FIXED: [(u8, u8); 10] = [
                    (1, 1),
                    (1, 6),
                    (4, 25),
                    (5, 1),
                    (6, 2),
                    (8, 15),
                    (11, 1),
                    (12, 8),
                    (12, 25),
                    (12, 26),
                ];
                let easter_monday = Date::from_days(Date::easter(date.year).days() + 1);
                FIXED.contains(&(date.month, date.day))
                    || date == easter_monday
                    || (date.year >= 2026 && date.month == 10 && date.day == 4)
            }
        }
    }
}

impl LocalTime {
    /// `None` when `hour`/`minute` are not a time of day.
    pub fn new(weekday: Weekday, hour: u8, minute: u8) -> Option<LocalTime> {
        (hour < 24 && minute < 60).then(|| LocalTime {
            weekday,
            minute_of_day: u16::from(hour) * 60 + u16::from(minute),
            date: None,
        })
    }

    /// The same time on `date` (whose weekday it takes).
    pub fn on(self, date: Date) -> LocalTime {
        let weekday_index = usize::try_from((date.days() + 3).rem_euclid(7))
            .expect("rem_euclid(7) is in 0..7, which fits usize");
        LocalTime {
            weekday: Weekday::ALL[weekday_index],
            date: Some(date),
            ..self
        }
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
            date: Some(Date::from_days(days)),
        }
    }
}

/// Summer-time rules for the local time of business hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DaylightSaving {
    /// The offset from UTC is the same all year.
    #[default]
    None,
    /// The European Union's rule (Directive 2000/84/EC): one hour ahead from 01:00 UTC on
    /// the last Sunday of March to 01:00 UTC on the last Sunday of October. Italy: standard
    /// offset +60 (CET), summer +120 (CEST).
    EuropeanUnion,
}

impl DaylightSaving {
    /// The offset from UTC in force at `unix_ms`, for a place whose standard (winter) offset
    /// is `standard_minutes`.
    pub fn offset_minutes(self, unix_ms: i64, standard_minutes: i32) -> i32 {
        match self {
            DaylightSaving::None => standard_minutes,
            DaylightSaving::EuropeanUnion => {
                const DAY_MS: i64 = 86_400_000;
                let year = Date::from_days(unix_ms.div_euclid(DAY_MS)).year;
                // The last Sunday of a month ending on `last` (Monday = 0, Sunday = 6).
                let last_sunday = |last: Date| {
                    let days = last.days();
                    days - (days + 3 + 1).rem_euclid(7)
                };
                let change_at = |last: Date| last_sunday(last) * DAY_MS + 3_600_000;
                let starts = change_at(Date {
                    year,
                    month: 3,
                    day: 31,
                });
                let ends = change_at(Date {
                    year,
                    month: 10,
                    day: 31,
                });
                if (starts..ends).contains(&unix_ms) {
                    standard_minutes + 60
                } else {
                    standard_minutes
                }
            }
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
    /// Days closed all day (`closed ...` lines).
    pub(crate) closed: Vec<ClosedDay>,
    /// Public holidays closed all day (`holidays CODE`).
    pub(crate) holidays: Option<PublicHolidays>,
}

impl Schedule {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The opening ranges of a day, as minutes since midnight `[open, close)`.
    pub fn ranges(&self, day: Weekday) -> &[(u16, u16)] {
        &self.days[day.index()]
    }

    /// The days closed all day besides the public holidays.
    pub fn closed_days(&self) -> &[ClosedDay] {
        &self.closed
    }

    pub fn public_holidays(&self) -> Option<PublicHolidays> {
        self.holidays
    }

    /// Whether `date` is closed all day (a closed day or a public holiday).
    pub fn is_closed_day(&self, date: Date) -> bool {
        self.closed.iter().any(|c| c.matches(date))
            || self.holidays.is_some_and(|h| h.contains(date))
    }

    /// Whether the service is open at `at`.
    pub fn is_open(&self, at: LocalTime) -> bool {
        if at.date.is_some_and(|date| self.is_closed_day(date)) {
            return false;
        }
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
        assert_eq!(
            t,
            LocalTime::new(Weekday::Mon, 9, 15)
                .unwrap()
                .on(Date::new(2026, 1, 5).unwrap())
        );
        // Before the epoch still works.
        assert_eq!(LocalTime::from_unix_ms(-1, 0).weekday, Weekday::Wed);
    }

    #[test]
    fn local_time_carries_the_local_date() {
        // 2026-12-31T23:30:00Z is already 2027-01-01 00:30 in Rome (UTC+1).
        let t = LocalTime::from_unix_ms(1_798_759_800_000, 60);
        assert_eq!(t.date, Date::new(2027, 1, 1));
        assert_eq!(t.weekday, Weekday::Fri);
        assert_eq!(t.minute_of_day, 30);
        assert_eq!(LocalTime::from_unix_ms(0, 0).date, Date::new(1970, 1, 1));
        assert_eq!(LocalTime::from_unix_ms(-1, 0).date, Date::new(1969, 12, 31));
    }

    #[test]
    fn european_summer_time_starts_and_ends_at_one_utc_on_the_last_sundays() {
        let eu = DaylightSaving::EuropeanUnion;
        // 2026: 29 March and 25 October (both Sundays), 01:00 UTC.
        let starts = Date::new(2026, 3, 29).unwrap().days() * 86_400_000 + 3_600_000;
        let ends = Date::new(2026, 10, 25).unwrap().days() * 86_400_000 + 3_600_000;
        assert_eq!(eu.offset_minutes(starts - 1, 60), 60);
        assert_eq!(eu.offset_minutes(starts, 60), 120);
        assert_eq!(eu.offset_minutes(ends - 1, 60), 120);
        assert_eq!(eu.offset_minutes(ends, 60), 60);
        // 2027: 28 March; 2024: 31 March (the last day itself is a Sunday).
        let march_2027 = Date::new(2027, 3, 28).unwrap().days() * 86_400_000 + 3_600_000;
        assert_eq!(eu.offset_minutes(march_2027, 60), 120);
        assert_eq!(eu.offset_minutes(march_2027 - 1, 60), 60);
        let march_2024 = Date::new(2024, 3, 31).unwrap().days() * 86_400_000 + 3_600_000;
        assert_eq!(eu.offset_minutes(march_2024, 60), 120);
        assert_eq!(eu.offset_minutes(march_2024 - 1, 60), 60);
        // 09:00 in Rome on 1 July 2026 is 07:00 UTC.
        let july = Date::new(2026, 7, 1).unwrap().days() * 86_400_000 + 7 * 3_600_000;
        let local = LocalTime::from_unix_ms(july, eu.offset_minutes(july, 60));
        assert_eq!(local.minute_of_day, 9 * 60);
        assert_eq!(DaylightSaving::None.offset_minutes(july, 60), 60);
    }

    #[test]
    fn dates_round_trip_through_day_numbers_for_four_centuries() {
        let mut expected_weekday = 3; // 1970-01-01, a Thursday
        for days in 0..146_097_i64 {
            let date = Date::from_days(days);
            assert_eq!(date.days(), days, "{date}");
            assert_eq!(Date::new(date.year, date.month, date.day), Some(date));
            let at = LocalTime::new(Weekday::Mon, 12, 0).unwrap().on(date);
            assert_eq!(at.weekday.index(), expected_weekday, "{date}");
            expected_weekday = (expected_weekday + 1) % 7;
        }
        assert_eq!(Date::new(2026, 2, 29), None);
        assert_eq!(Date::new(2028, 2, 29).map(|d| d.day), Some(29));
        assert_eq!(Date::new(2026, 13, 1), None);
        assert_eq!(Date::new(2026, 4, 31), None);
    }

    #[test]
    fn easter_falls_on_the_published_sundays() {
        // Dates from the published tables of Western Easter.
        for (year, month, day) in [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
        ] {
            let easter = Date::easter(year);
            assert_eq!(easter, Date::new(year, month, day).unwrap());
            assert_eq!(
                LocalTime::new(Weekday::Mon, 9, 0)
                    .unwrap()
                    .on(easter)
                    .weekday,
                Weekday::Sun
            );
        }
    }

    #[test]
    fn italian_holidays_include_easter_monday_and_saint_francis_from_2026() {
        let it = PublicHolidays::Italy;
        let day = |y, m, d| Date::new(y, m, d).unwrap();
        // Easter 2024 was 31 March: its Monday is 1 April.
        assert!(it.contains(day(2024, 4, 1)));
        assert!(
            !it.contains(day(2024, 3, 31)),
            "Easter Sunday is a Sunday, not listed"
        );
        assert!(it.contains(day(2026, 4, 6)));
        assert!(!it.contains(day(2026, 4, 7)));
        assert!(it.contains(day(2026, 12, 25)) && it.contains(day(2026, 12, 26)));
        assert!(it.contains(day(2026, 6, 2)) && it.contains(day(2026, 1, 6)));
        assert!(it.contains(day(2027, 10, 4)));
        assert!(
            !it.contains(day(2025, 10, 4)),
            "a working day before L. 151/2025"
        );
        assert!(
            !it.contains(day(2026, 11, 4)),
            "no longer a holiday since 1977"
        );
        assert!(
            !it.contains(day(2026, 3, 19)),
            "San Giuseppe: no longer a holiday"
        );
        let count_2027 = (Date::new(2027, 1, 1).unwrap().days()
            ..Date::new(2028, 1, 1).unwrap().days())
            .filter(|&d| it.contains(Date::from_days(d)))
            .count();
        assert_eq!(count_2027, 12, "twelve national holidays a year");
    }

    #[test]
    fn a_closed_day_closes_the_whole_day_only_on_its_date() {
        let mut days: [Vec<(u16, u16)>; 7] = Default::default();
        for d in &mut days {
            d.push((8 * 60, 18 * 60));
        }
        let s = Schedule {
            name: "office".into(),
            days,
            closed: vec![
                ClosedDay::EveryYear { month: 12, day: 24 },
                ClosedDay::Once(Date::new(2026, 8, 14).unwrap()),
            ],
            holidays: Some(PublicHolidays::Italy),
        };
        let at = |y, m, d| {
            LocalTime::new(Weekday::Mon, 10, 0)
                .unwrap()
                .on(Date::new(y, m, d).unwrap())
        };
        assert!(!s.is_open(at(2026, 12, 24)));
        assert!(!s.is_open(at(2031, 12, 24)));
        assert!(!s.is_open(at(2026, 8, 14)));
        assert!(
            s.is_open(at(2027, 8, 13)),
            "a one-off date closes one year only"
        );
        assert!(s.is_open(at(2027, 8, 16)));
        assert!(!s.is_open(at(2026, 4, 6)), "Easter Monday");
        assert!(s.is_open(at(2026, 12, 23)));
        // Without a date, only the weekly hours apply.
        assert!(s.is_open(LocalTime::new(Weekday::Thu, 10, 0).unwrap()));
    }

    #[test]
    fn out_of_range_minute_is_closed() {
        let mut days: [Vec<(u16, u16)>; 7] = Default::default();
        days[0].push((0, 1440));
        let s = Schedule {
            name: "x".into(),
            days,
            closed: Vec::new(),
            holidays: None,
        };
        assert!(s.is_open(LocalTime::new(Weekday::Mon, 23, 59).unwrap()));
        assert!(!s.is_open(LocalTime {
            weekday: Weekday::Mon,
            minute_of_day: 5000,
            date: None,
        }));
        assert_eq!(format_minutes(8 * 60 + 30), "08:30");
    }
}
