//! # xinzhi-metrics
//!
//! The built-in Xinzhi collectors, written against the safe [`xinzhi_plugin`] traits and exported
//! through its C ABI (the CLI links this crate statically; it also builds as a `cdylib`).
//!
//! | component | what it reports | parameters |
//! |---|---|---|
//! | [`kpi`](Kpi) (the default) | every catalogued record kind, per its aggregate and report: time averages of levels, window means of samples, rates | none |
//! | [`tardiness`](Tardiness) | due-date performance from `lateness` records: `tardiness_mean`, `lateness_max`, `tardy_fraction` | none |
//! | [`timeseries`](Timeseries) | chosen kpi metrics sampled every `period` over the window, as time series points | `period`, `metrics` |
//!
//! All three are domain-agnostic streaming collectors: the [`Catalogue`](xinzhi_plugin::Catalogue)
//! says what each record kind means, memory does not grow with the number of records, and no
//! record is ever allocated for. Every metric is measured over the window `[warmup, horizon]`.
//!
//! A value that does not exist (a mean over no observations) is reported with
//! [`Output::undefined`](xinzhi_plugin::Output::undefined), never as NaN: the host treats a
//! non-finite metric as a plugin fault. Malformed records (unknown kind or subject, non-finite
//! time or value, time going backwards) are [`invalid_input`](xinzhi_plugin::PluginError::invalid_input)
//! errors, never panics.
//!
//! ```
//! use xinzhi_metrics::Kpi;
//! use xinzhi_plugin::{Aggregate, Catalogue, Collector, Component, Config, Host, KindInfo};
//! use xinzhi_plugin::{Output, Record, Report, Window};
//!
//! struct Print(Vec<String>);
//! impl Output for Print {
//!     fn metric(&mut self, name: &str, value: f64) { self.0.push(format!("{name}={value}")) }
//!     fn undefined(&mut self, name: &str) { self.0.push(format!("{name}=undefined")) }
//!     fn point(&mut self, _: &str, _: f64, _: f64) {}
//! }
//!
//! let catalogue = Catalogue {
//!     kinds: vec![
//!         KindInfo::new("wip", "wip_mean", Aggregate::Level, Report::Total, vec!["system".into()])
//!             .meaning("jobs", "jobs in the system"),
//!     ],
//! };
//! let mut kpi = Kpi::new(&Config::new("{}"), &Host::detached(0)).unwrap();
//! kpi.start(&catalogue, Window { warmup: 0.0, horizon: 10.0 }).unwrap();
//! // WIP 2 from t = 0, 4 from t = 5: the time average over [0, 10] is 3.
//! kpi.batch(&[
//!     Record { time: 0.0, kind: 0, subject: 0, value: 2.0 },
//!     Record { time: 5.0, kind: 0, subject: 0, value: 4.0 },
//! ])
//! .unwrap();
//! let mut out = Print(Vec::new());
//! kpi.finish(&mut out).unwrap();
//! assert_eq!(out.0, ["wip_mean=3"]);
//! ```

mod common;
mod kpi;
mod tardiness;
mod timeseries;

#[cfg(test)]
#[allow(unsafe_code, reason = "the test plays the host: it calls the generated C ABI")]
mod abi_tests;
#[cfg(test)]
mod testing;

pub use kpi::Kpi;
pub use tardiness::Tardiness;
pub use timeseries::Timeseries;

xinzhi_plugin::export_plugins! {
    collectors: [Kpi, Tardiness, Timeseries],
}
