//! The validated types of a station's machines' lives, and the limits that validation applies.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::dist::Dist;
use crate::validate::PluginRef;

/// What a machine's age counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Time up: not failed, not in repair, not in maintenance (idle and blocked count).
    Calendar,
    /// Time processing a job.
    Busy,
}

/// What happens to a job whose machine fails while processing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interrupted {
    /// The remaining processing time continues after the repair.
    Resume,
    /// The job starts over after the repair, with the same sampled processing time.
    Restart,
}

/// A repair crew: `size` people serving repair and maintenance requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrewConfig {
    /// Unique among crews, and no station has it (both name `utilization.<name>`).
    pub name: String,
    /// People, from 1 to [`super::MAX_MACHINES`](super::super::MAX_MACHINES).
    pub size: u32,
    /// A scheduler choosing which waiting request a freed member takes; first come first served
    /// when `None`.
    pub dispatch: Option<PluginRef>,
}

/// A station's random failures (`failure = { ... }`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureConfig {
    /// Time from a renewal to the next random failure [time unit of `basis`].
    pub mtbf: Dist,
    /// Repair time [time unit], once a crew member has started.
    pub mttr: Dist,
    /// What the time to failure counts (default calendar).
    pub basis: Basis,
    /// Index into [`super::FactoryConfig::crews`](super::super::FactoryConfig::crews);
    /// repairs start at once when `None`.
    pub crew: Option<usize>,
    /// What happens to a job interrupted by a failure (default resume).
    pub interrupted: Interrupted,
}

/// A station's wear (`wear = { ... }`): a gamma process in `basis` time, from 0 after each
/// renewal; the machine fails when it reaches `limit`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WearConfig {
    /// Mean wear per time unit of `basis` [wear units per time unit], `> 0`.
    pub rate: f64,
    /// Coefficient of variation of the wear gained over one time unit of `basis`, `> 0`.
    pub cv: f64,
    /// What wear accrues in (default busy).
    pub basis: Basis,
    /// Wear at which the machine fails [wear units], `> 0`.
    pub limit: f64,
    /// Basis time between two points of the simulated wear path [time unit], `> 0`; wear is
    /// linear between them. Default: `limit / rate / 200` (200 points per mean life).
    pub step: f64,
    /// Repair time of a wear-out failure [time unit]; the station's `failure.mttr` when `None`
    /// (required when the station has no `failure`). Validation fills in the default, so it is
    /// `Some` in a parsed scenario.
    pub repair: Option<Dist>,
    /// Who repairs a wear-out failure: index into
    /// [`super::FactoryConfig::crews`](super::super::FactoryConfig::crews); the station's `failure.crew`
    /// when `None` and the station has a `failure` table, else repair starts at once. Validation
    /// fills in `failure.crew` when `wear` names no crew.
    pub crew: Option<usize>,
}

/// One sensor on each machine of a station.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensorConfig {
    /// Time between two readings [time unit], `> 0`; the first is at `every`.
    pub every: f64,
    /// Standard deviation of the Gaussian noise added to each reading [wear units], `>= 0`.
    pub noise_sd: f64,
    /// A reading is `gain · wear + noise`; 0 makes a sensor of pure noise (default 1).
    pub gain: f64,
}

/// How a machine's readings become an estimate of its wear.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "filter", rename_all = "lowercase")]
pub enum FilterConfig {
    /// The latest reading (fused over the sensors that read at that time).
    None,
    /// Exponentially weighted moving average of the readings.
    Ewma {
        /// Weight of the newest reading, in (0, 1].
        alpha: f64,
    },
    /// A Kalman filter on (level, rate) of wear, fusing all sensors.
    Kalman {
        /// Variance of the level's random increments per time unit [wear²/time unit]; derived
        /// from `wear` (rate² · cv²) when `None`.
        process_var: Option<f64>,
        /// Variance of the rate's random walk per time unit [(wear/time unit)²/time unit];
        /// derived when `None`.
        rate_var: Option<f64>,
    },
}

/// A station's sensors and their common filter (`sensor = {...}` or `sensors = [...]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensingConfig {
    /// The sensors on each machine, at least one.
    pub sensors: Vec<SensorConfig>,
    /// The filter all of them feed (default kalman).
    pub filter: FilterConfig,
}

/// When fixed-interval preventive maintenance is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PreventiveBasis {
    /// `every` time units up since the machine's last renewal (age replacement).
    Age,
    /// At `every`, `2·every`, ... for every machine (block replacement).
    Calendar,
}

/// A feature the predictor sees, from a machine's filtered sensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    /// The filtered wear estimate [wear units].
    Level,
    /// The filtered wear rate [wear units per time unit].
    Rate,
    /// Time since the machine's last renewal [time unit].
    Age,
}

impl Feature {
    /// Every feature, in the order of their names' documentation.
    pub const ALL: [Feature; 3] = [Feature::Level, Feature::Rate, Feature::Age];

    /// Its name in scenarios and training files.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Level => "level",
            Feature::Rate => "rate",
            Feature::Age => "age",
        }
    }
}

/// Labelled examples read from a `train` file: one row of features per example.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainingFile {
    /// The file as written in the scenario, resolved against the scenario's folder.
    pub path: PathBuf,
    /// SHA-256 of its bytes (so the config's fingerprint changes with its content).
    pub sha256: String,
    /// Row-major features, in the order of [`PredictiveConfig::features`].
    #[serde(skip)]
    pub x: Arc<Vec<f64>>,
    /// The `failed_within` label of each row, 0 or 1.
    #[serde(skip)]
    pub y: Arc<Vec<f64>>,
}

/// Where a predictor learns.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Training {
    /// From the run's own warm-up, during which the machines run to failure.
    Warmup,
    /// From a file of labelled examples.
    File(TrainingFile),
}

/// Predictive maintenance: a predictor plugin's probability of failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictiveConfig {
    /// The predictor plugin and its parameters.
    pub predictor: PluginRef,
    /// Horizon of the predicted failure [time unit], `> 0`.
    pub within: f64,
    /// Probability at which maintenance is called, in (0, 1].
    pub threshold: f64,
    /// The features, distinct, at least one (default all of [`Feature::ALL`]).
    pub features: Vec<Feature>,
    /// Where it learns (default the warm-up).
    pub train: Training,
}

/// A station's maintenance policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "policy", rename_all = "kebab-case")]
#[expect(clippy::large_enum_variant, reason = "one per station, read once when a model is built")]
pub enum Policy {
    /// Repair only.
    RunToFailure,
    /// Maintenance every `every` time units.
    Preventive {
        /// Interval [time unit], `> 0`.
        every: f64,
        /// What the interval counts (default age).
        basis: PreventiveBasis,
    },
    /// Maintenance when the filtered wear estimate reaches `threshold` (needs sensors).
    Condition {
        /// Filtered wear that calls maintenance [wear units], `> 0`.
        threshold: f64,
    },
    /// Maintenance when a predictor's probability of failure reaches its threshold (needs
    /// sensors).
    Predictive(PredictiveConfig),
}

/// A station's `maintenance = { ... }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MaintenanceConfig {
    /// When to maintain (default run-to-failure).
    pub policy: Policy,
    /// Time a maintenance action takes [time unit]; required unless run-to-failure.
    pub duration: Option<Dist>,
    /// Who maintains: index into [`super::FactoryConfig::crews`](super::super::FactoryConfig::crews);
    /// maintenance starts at once when `None`.
    pub crew: Option<usize>,
}

impl MaintenanceConfig {
    /// Repair only.
    pub const RUN_TO_FAILURE: MaintenanceConfig =
        MaintenanceConfig { policy: Policy::RunToFailure, duration: None, crew: None };
}

/// Everything of a station's machines' lives; `None` on a station whose machines never fail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LifeConfig {
    /// Random failures.
    pub failure: Option<FailureConfig>,
    /// Wear and wear-out failures.
    pub wear: Option<WearConfig>,
    /// Sensors of wear (needs `wear`).
    pub sensing: Option<SensingConfig>,
    /// The maintenance policy.
    pub maintenance: MaintenanceConfig,
}

/// Most points of a wear path per mean life (`limit / rate / step`): a machine's wear path is
/// drawn point by point, so a typo such as `step = 1e-9` must be an input error, not hours of
/// drawing or an allocation failure.
pub const MAX_WEAR_POINTS: f64 = 1.0e6;

/// The column of a training file that holds the label.
pub const LABEL_COLUMN: &str = "failed_within";
