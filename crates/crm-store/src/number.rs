//! Service request numbers: `SR-<year>-<sequence>`, the sequence restarting each year.

/// Formats an SR number; the sequence has at least six digits.
pub(crate) fn format_sr_number(year: i64, sequence: i64) -> String {
    format!("SR-{year}-{sequence:06}")
}

/// The UTC calendar year of a Unix time in milliseconds.
///
/// Days to civil date after Howard Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html>), valid for any `i64` day count
/// that a millisecond timestamp can produce. The year is the UTC one: between 00:00 and
/// 01:00/02:00 Italian time on 1 January an SR still gets the old year.
pub(crate) fn utc_year(unix_ms: i64) -> i64 {
    let days = unix_ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let year = year_of_era + era * 400;
    if month_index >= 10 { year + 1 } else { year }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_six_digits_at_least() {
        assert_eq!(format_sr_number(2026, 42), "SR-2026-000042");
        assert_eq!(format_sr_number(2026, 1_234_567), "SR-2026-1234567");
    }

    #[test]
    fn years_change_at_utc_midnight_on_new_year() {
        // 2026-01-01T00:00:00Z
        let new_year_2026 = 1_767_225_600_000;
        assert_eq!(utc_year(new_year_2026), 2026);
        assert_eq!(utc_year(new_year_2026 - 1), 2025);
        assert_eq!(utc_year(0), 1970);
        assert_eq!(utc_year(-1), 1969);
        // 2024-02-29T12:00:00Z, 2000-12-31T23:59:59.999Z
        assert_eq!(utc_year(1_709_208_000_000), 2024);
        assert_eq!(utc_year(978_307_199_999), 2000);
        assert_eq!(utc_year(978_307_200_000), 2001);
    }

    #[test]
    fn every_day_of_four_centuries_agrees_with_a_naive_count() {
        let mut year = 1970_i64;
        let mut day_in_year = 0_i64;
        for day in 0..(400 * 366) {
            assert_eq!(utc_year(day * 86_400_000 + 43_200_000), year, "day {day}");
            day_in_year += 1;
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if day_in_year == if leap { 366 } else { 365 } {
                year += 1;
                day_in_year = 0;
            }
        }
    }
}
