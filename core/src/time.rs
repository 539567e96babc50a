//! Typed simulated time.
//!
//! [`SimTime`] is an instant and [`SimDuration`] a span, both measured in the scenario's declared
//! [`TimeUnit`]. Both wrap an `f64` that is always finite and non-negative, so they have a total
//! order; the engine never compares them for float equality to decide anything but ordering.

use std::fmt;
use std::ops::{Add, Sub};

use serde::Serialize;

/// The unit every time value of a scenario is expressed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
}

impl TimeUnit {
    /// All units, in the order they are listed in error messages.
    pub const ALL: [TimeUnit; 4] = [TimeUnit::Second, TimeUnit::Minute, TimeUnit::Hour, TimeUnit::Day];

    /// The name used in scenario files (`"minute"`).
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Second => "second",
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
        }
    }

    /// Parses a scenario-file name; `None` if unknown.
    pub fn from_name(name: &str) -> Option<TimeUnit> {
        TimeUnit::ALL.into_iter().find(|u| u.name() == name)
    }
}

/// A value was not a valid time: NaN, infinite or negative.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error("{value} is not a valid time (expected a finite number >= 0)")]
pub struct InvalidTime {
    /// The rejected value.
    pub value: f64,
}

fn check(value: f64) -> Result<f64, InvalidTime> {
    // `+ 0.0` turns -0.0 into +0.0, so the total order never sees two zeros.
    if value.is_finite() && value >= 0.0 { Ok(value + 0.0) } else { Err(InvalidTime { value }) }
}

/// An instant of simulated time [scenario time unit], finite and `>= 0`.
#[derive(Clone, Copy, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct SimTime(f64);

/// A span of simulated time [scenario time unit], finite and `>= 0`.
#[derive(Clone, Copy, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct SimDuration(f64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0.0);

    /// Checked constructor.
    ///
    /// # Errors
    /// [`InvalidTime`] if `value` is NaN, infinite or negative.
    pub fn new(value: f64) -> Result<SimTime, InvalidTime> {
        check(value).map(SimTime)
    }

    /// The raw value [time unit].
    #[inline]
    pub fn as_f64(self) -> f64 {
        self.0
    }

    /// The span from `earlier` to `self`, saturating at zero.
    #[inline]
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration((self.0 - earlier.0).max(0.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0.0);

    /// Checked constructor.
    ///
    /// # Errors
    /// [`InvalidTime`] if `value` is NaN, infinite or negative.
    pub fn new(value: f64) -> Result<SimDuration, InvalidTime> {
        check(value).map(SimDuration)
    }

    /// The raw value [time unit].
    #[inline]
    pub fn as_f64(self) -> f64 {
        self.0
    }

    /// For callers that already guarantee a finite value `>= +0.0` (samplers clamp their draws).
    #[inline]
    pub(crate) fn new_unchecked(value: f64) -> SimDuration {
        debug_assert!(value.is_finite() && value.is_sign_positive(), "invalid duration {value}");
        SimDuration(value)
    }
}

impl Eq for SimTime {}
impl Ord for SimTime {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl PartialOrd for SimTime {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Eq for SimDuration {}
impl PartialOrd for SimDuration {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SimDuration {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Both operands are finite and `>= 0`; the sum only overflows to infinity past `f64::MAX`,
    /// which the engine rejects when scheduling.
    #[inline]
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0 + rhs.0)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0 + rhs.0)
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Saturates at zero, like [`SimTime::since`].
    #[inline]
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.since(rhs)
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", self.0)
    }
}
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
impl fmt::Debug for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Δ{}", self.0)
    }
}
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_nan_infinite_and_negative() {
        assert!(SimTime::new(f64::NAN).is_err());
        assert!(SimTime::new(f64::INFINITY).is_err());
        assert!(SimTime::new(-1e-300).is_err());
        assert!(SimDuration::new(-0.5).is_err());
        assert_eq!(SimTime::new(2.5).map(SimTime::as_f64), Ok(2.5));
    }

    #[test]
    fn orders_totally_and_adds() {
        let a = SimTime::new(1.0).unwrap();
        let b = a + SimDuration::new(0.5).unwrap();
        assert!(a < b);
        assert_eq!((b - a).as_f64(), 0.5);
        assert_eq!((a - b).as_f64(), 0.0);
    }

    #[test]
    fn time_unit_names_round_trip() {
        for u in TimeUnit::ALL {
            assert_eq!(TimeUnit::from_name(u.name()), Some(u));
        }
        assert_eq!(TimeUnit::from_name("fortnight"), None);
    }
}
