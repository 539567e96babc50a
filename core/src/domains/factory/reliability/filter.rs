//! Filters turning a machine's noisy sensor readings into an estimate of its wear: the level
//! [wear units] and the rate [wear units per time unit], in calendar (simulation) time.
//!
//! A reading is `gain · wear + N(0, noise_var)`. Readings made at the same time by several
//! sensors are fused first (`none`, `ewma`) or fed one by one into the same update (`kalman`).
//! Wear is known to be 0 when the machine starts and after each renewal.
//!
//! - `none`: the level is the latest fused reading, the rate the difference of the last two
//!   fused levels per time unit.
//! - `ewma { alpha }`: exponentially weighted moving averages of the fused readings (level) and
//!   of their differences per time unit (rate). On a ramp of slope `r` read every `dt` the level
//!   lags by `(1 − α)/α · r · dt` in steady state; on a constant signal its error variance is
//!   `α/(2 − α) · σ²`.
//! - `kalman`: the optimal linear filter for a level that drifts at a rate and diffuses, with a
//!   rate that may itself wander (see [`WearModel`] and [`Filter`]).
//!
//! The estimates are not clamped to be non-negative: a clamped estimate would be biased, and a
//! slightly negative wear estimate right after a renewal harms no policy.

use nalgebra::{Matrix2, Vector2};

use crate::domains::factory::config::{Basis, FilterConfig, SensorConfig, WearConfig};

/// One sensor's reading: `value = gain · wear + N(0, noise_var)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// What the sensor read [wear units · gain].
    pub value: f64,
    /// Sensor output per unit of wear \[dimensionless\]; 0 for a sensor of pure noise.
    pub gain: f64,
    /// Variance of the reading's Gaussian noise [(wear units · gain)²], `>= 0`.
    pub noise_var: f64,
}

impl Reading {
    /// A reading `value` of a sensor configured as `sensor` (its gain, and its noise's variance
    /// `noise_sd²`).
    pub fn of(sensor: &SensorConfig, value: f64) -> Reading {
        Reading { value, gain: sensor.gain, noise_var: sensor.noise_sd * sensor.noise_sd }
    }
}

/// A filtered estimate of wear. The level's variance, where the filter knows it, is
/// [`Filter::level_var`].
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Estimate {
    /// Estimated wear [wear units].
    pub level: f64,
    /// Estimated wear rate in calendar time [wear units per time unit].
    pub rate: f64,
}

/// Readings made at one time, fused into one reading of wear (see [`fuse`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fused {
    /// Fused wear [wear units].
    pub value: f64,
    /// Variance of `value` as a reading of wear [wear units²]: 0 when a sensor is exact,
    /// infinite when every sensor has gain 0.
    pub var: f64,
}

/// Fuses readings made at the same time into one reading of wear: the inverse-variance weighted
/// mean of `value / gain`, with weights `gain² / noise_var` (the best linear unbiased estimate;
/// its variance is `1 / Σ weights`). Sensors without noise dominate exactly (the plain mean of
/// theirs); a gain-0 sensor carries no information and is left out, unless every sensor has gain
/// 0: then the value is the plain mean of the raw readings, because a sensor of pure noise is
/// tracked as it reads. `None` for no readings.
pub fn fuse(readings: &[Reading]) -> Option<Fused> {
    if readings.is_empty() {
        return None;
    }
    let (mut exact_n, mut exact_sum) = (0u32, 0.0);
    let (mut weight_sum, mut weighted_sum, mut informative) = (0.0, 0.0, false);
    for r in readings.iter().filter(|r| r.gain != 0.0) {
        informative = true;
        let wear = r.value / r.gain;
        let weight = r.gain * r.gain / r.noise_var;
        // An infinite weight (noise 0, or so small that the weight overflows) is an exact sensor.
        if weight.is_finite() {
            weight_sum += weight;
            weighted_sum += weight * wear;
        } else {
            exact_n += 1;
            exact_sum += wear;
        }
    }
    Some(if exact_n > 0 {
        Fused { value: exact_sum / f64::from(exact_n), var: 0.0 }
    } else if informative {
        Fused { value: weighted_sum / weight_sum, var: 1.0 / weight_sum }
    } else {
        let mean = readings.iter().map(|r| r.value).sum::<f64>() / readings.len() as f64;
        Fused { value: mean, var: f64::INFINITY }
    })
}

/// What the Kalman filter assumes of wear between readings, in calendar time: the level drifts
/// at the rate and diffuses, and the rate follows a random walk,
/// `dℓ = r·dt + dW_ℓ`, `dr = dW_r`, with `Var dW_ℓ = process_var·dt`, `Var dW_r = rate_var·dt`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WearModel {
    /// Prior mean of the calendar wear rate [wear units per time unit].
    pub rate: f64,
    /// Variance of the level's diffusion per time unit [wear units² per time unit].
    pub process_var: f64,
    /// Variance of the rate's random walk per time unit [(wear units per time unit)² per time
    /// unit].
    pub rate_var: f64,
    /// Prior variance of the calendar wear rate at the start [(wear units per time unit)²].
    pub rate_prior_var: f64,
}

impl WearModel {
    /// The model of a station's wear, with the Kalman filter's `process_var` and `rate_var` when
    /// given (the other filters use only the prior rate).
    ///
    /// - `process_var` defaults to `rate² · cv²`: the variance per time unit of the gamma
    ///   process's increments (an upper bound in calendar time when wear accrues only while busy).
    /// - The prior rate is `wear.rate`. With `basis = "calendar"` it is exact: wear accrues
    ///   whenever the machine is up, sensors read only machines that are up, and every down
    ///   period ends with a renewal, so between renewals the calendar rate is `rate`; the prior
    ///   variance and the default `rate_var` are then 0 and the filter is the best linear one for
    ///   a random walk with a known drift.
    /// - With `basis = "busy"` the calendar rate is `rate` times the machine's busy fraction,
    ///   somewhere in `[0, rate]` and unknown. The prior variance is `rate²` (a standard
    ///   deviation of the whole range, so the prior is weak: a calendar rate of `0.5 · rate` is
    ///   half a deviation away and a few readings outweigh it). The duty cycle follows the
    ///   line's load, which changes slowly: by default the busy fraction may drift by about 0.1
    ///   over one mean life `L = limit / rate`, `rate_var = (0.1 · rate)² / L`. Faster
    ///   fluctuations of the duty cycle (job by job) average out between readings and look like
    ///   extra level diffusion, not like a change of rate. A trial on exponential busy periods
    ///   of mean 1 (rate 1, cv 0.3, limit 100, so a default of 1e-4; noise sd 2 every 5; raw
    ///   readings' RMSE 2.0) gave a level RMSE of 1.41, 1.12 and 1.40 at the default for a
    ///   steady busy fraction of 0.5, one of 0.95 and one falling from 0.8 to 0.3, against
    ///   1.41, 1.04 and 1.38 for the best `rate_var` tried (from 0 to 4e-2); `rate_var = 0`
    ///   could not follow the fall (3.3), and 1e-2 gave 1.57, 1.50 and 1.55. The test
    ///   `default_rate_var_follows_a_load_change` keeps the falling load.
    pub fn derive(wear: &WearConfig, filter: &FilterConfig) -> WearModel {
        let (process_var, rate_var) = match *filter {
            FilterConfig::Kalman { process_var, rate_var } => (process_var, rate_var),
            FilterConfig::None | FilterConfig::Ewma { .. } => (None, None),
        };
        let rate = wear.rate;
        let (default_rate_var, rate_prior_var) = match wear.basis {
            Basis::Calendar => (0.0, 0.0),
            Basis::Busy => (0.01 * rate * rate / (wear.limit / rate), rate * rate),
        };
        WearModel {
            rate,
            process_var: process_var.unwrap_or(rate * rate * wear.cv * wear.cv),
            rate_var: rate_var.unwrap_or(default_rate_var),
            rate_prior_var,
        }
    }
}

/// A machine's filter state: a plain value (`Clone + Send + Sync`).
///
/// The Kalman filter's state is `x = (level, rate)` with covariance `P`. Between readings
/// `dt` apart it predicts `x ← F x`, `P ← F P Fᵀ + Q` with `F = [[1, dt], [0, 1]]` and the
/// covariance of the integrated [`WearModel`] over `dt`:
///
/// ```text
/// Q = [[process_var·dt + rate_var·dt³/3, rate_var·dt²/2],
///      [rate_var·dt²/2,                  rate_var·dt   ]]
/// ```
///
/// (the level gains the integral of the rate's random walk: `Var ∫₀^dt W_r = rate_var·dt³/3`,
/// `Cov(∫₀^dt W_r, W_r(dt)) = rate_var·dt²/2`). Being the exact discretisation of one continuous
/// model, it makes the filter independent of how the time between readings is cut. Each reading
/// is then a scalar update with `H = [gain, 0]` and `R = noise_var`; sequential scalar updates
/// over independent sensors equal the joint update. The covariance update is in Joseph form,
/// `P ← (I − K H) P (I − K H)ᵀ + K R Kᵀ`, and `P` is symmetrised after each step, which keeps
/// it symmetric positive semi-definite, also for exact readings (`R = 0`). A reading whose
/// innovation variance `gain²·P_ℓℓ + R` is 0 (an exact reading of an exactly known level) or
/// whose gain is 0 carries no information and changes nothing.
#[derive(Clone, Debug)]
pub struct Filter {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    /// `none` is an EWMA with `alpha = 1`.
    Smooth(Smoother),
    Kalman(Kalman),
}

impl Filter {
    /// A filter of the kind `config`, with wear known to be 0 at `t = 0`; the rate starts at the
    /// model's prior (`model.rate`) until readings say otherwise.
    pub fn new(config: &FilterConfig, model: WearModel) -> Filter {
        let kind = match *config {
            FilterConfig::None => Kind::Smooth(Smoother::new(1.0, model.rate)),
            FilterConfig::Ewma { alpha } => {
                debug_assert!(alpha > 0.0 && alpha <= 1.0, "alpha {alpha} outside (0, 1]");
                Kind::Smooth(Smoother::new(alpha, model.rate))
            }
            FilterConfig::Kalman { .. } => Kind::Kalman(Kalman::new(model)),
        };
        Filter { kind }
    }

    /// Wear is known to be 0 at `t` [time unit] (the machine was renewed): level 0 with no
    /// uncertainty. The learned rate (and, for Kalman, its variance) is kept: the machine's
    /// duty cycle persists across renewals.
    pub fn renew(&mut self, t: f64) {
        match &mut self.kind {
            Kind::Smooth(s) => s.renew(t),
            Kind::Kalman(k) => k.renew(t),
        }
    }

    /// Takes the readings made at time `t` [time unit] (`>=` the previous update or renewal; one
    /// or several sensors) and returns the new estimate. With no readings, `kalman` predicts to
    /// `t` and the others keep their estimate. At the same time as the previous update, the
    /// level is updated but the rate of `none`/`ewma` is not (no time has passed to measure it).
    pub fn update(&mut self, t: f64, readings: &[Reading]) -> Estimate {
        match &mut self.kind {
            Kind::Smooth(s) => {
                if let Some(fused) = fuse(readings) {
                    s.update(t, fused);
                }
            }
            Kind::Kalman(k) => k.update(t, readings),
        }
        self.estimate()
    }

    /// The current estimate (as of the last update or renewal).
    pub fn estimate(&self) -> Estimate {
        match &self.kind {
            Kind::Smooth(s) => Estimate { level: s.level, rate: s.rate },
            Kind::Kalman(k) => Estimate { level: k.x[0], rate: k.x[1] },
        }
    }

    /// Variance of the level's error [wear units²] where the filter knows it: the Kalman
    /// filter's `P_ℓℓ` (the exact mean squared error when the model's second moments are right,
    /// Gaussian or not); for `none`, the fused variance of the latest readings (0 after a
    /// renewal). `None` for `ewma`, and for `none` tracking sensors of pure noise.
    pub fn level_var(&self) -> Option<f64> {
        match &self.kind {
            Kind::Smooth(s) if s.alpha == 1.0 && s.last_var.is_finite() => Some(s.last_var),
            Kind::Smooth(_) => None,
            Kind::Kalman(k) => Some(k.p[(0, 0)]),
        }
    }
}

/// EWMA of the fused readings (level) and of their differences per time unit (rate).
#[derive(Clone, Debug)]
struct Smoother {
    alpha: f64,
    level: f64,
    rate: f64,
    /// Whether the rate has seen a difference yet (the first one replaces the prior).
    rate_learned: bool,
    /// The latest fused reading [wear units], its time [time unit] and variance.
    last: f64,
    last_t: f64,
    last_var: f64,
}

impl Smoother {
    fn new(alpha: f64, prior_rate: f64) -> Smoother {
        Smoother {
            alpha,
            level: 0.0,
            rate: prior_rate,
            rate_learned: false,
            last: 0.0,
            last_t: 0.0,
            last_var: 0.0,
        }
    }

    fn renew(&mut self, t: f64) {
        (self.level, self.last, self.last_t, self.last_var) = (0.0, 0.0, t, 0.0);
    }

    fn update(&mut self, t: f64, fused: Fused) {
        debug_assert!(t >= self.last_t, "update at {t} before {}", self.last_t);
        let a = self.alpha;
        let z = fused.value;
        self.level = a * z + (1.0 - a) * self.level;
        let dt = t - self.last_t;
        if dt > 0.0 {
            let slope = (z - self.last) / dt;
            self.rate = if self.rate_learned { a * slope + (1.0 - a) * self.rate } else { slope };
            self.rate_learned = true;
        }
        (self.last, self.last_t, self.last_var) = (z, t, fused.var);
    }
}

/// Kalman filter on `(level, rate)`; see [`Filter`].
#[derive(Clone, Debug)]
struct Kalman {
    x: Vector2<f64>,
    p: Matrix2<f64>,
    t: f64,
    model: WearModel,
}

impl Kalman {
    fn new(model: WearModel) -> Kalman {
        let p = Matrix2::new(0.0, 0.0, 0.0, model.rate_prior_var);
        Kalman { x: Vector2::new(0.0, model.rate), p, t: 0.0, model }
    }

    fn renew(&mut self, t: f64) {
        self.x[0] = 0.0;
        // The level is known exactly, so it is uncorrelated with the rate.
        self.p = Matrix2::new(0.0, 0.0, 0.0, self.p[(1, 1)]);
        self.t = t;
    }

    fn predict(&mut self, t: f64) {
        debug_assert!(t >= self.t, "update at {t} before {}", self.t);
        let dt = (t - self.t).max(0.0);
        self.t = t;
        if dt == 0.0 {
            return;
        }
        let f = Matrix2::new(1.0, dt, 0.0, 1.0);
        let (qp, qr) = (self.model.process_var, self.model.rate_var);
        let cross = qr * dt * dt / 2.0;
        let q = Matrix2::new(qp * dt + qr * dt * dt * dt / 3.0, cross, cross, qr * dt);
        self.x = f * self.x;
        self.p = symmetric(f * self.p * f.transpose() + q);
    }

    fn update(&mut self, t: f64, readings: &[Reading]) {
        self.predict(t);
        for r in readings {
            self.correct(r);
        }
    }

    /// One scalar measurement update with `H = [gain, 0]`, `R = noise_var`.
    fn correct(&mut self, r: &Reading) {
        let h = r.gain;
        let s = h * h * self.p[(0, 0)] + r.noise_var;
        if h == 0.0 || !(s > 0.0 && s.is_finite()) {
            return;
        }
        let k = self.p.column(0) * (h / s);
        self.x += k * (r.value - h * self.x[0]);
        let a = Matrix2::identity() - k * Vector2::new(h, 0.0).transpose();
        self.p = symmetric(a * self.p * a.transpose() + k * k.transpose() * r.noise_var);
    }
}

/// `(m + mᵀ) / 2`: removes the rounding asymmetry of products.
fn symmetric(m: Matrix2<f64>) -> Matrix2<f64> {
    (m + m.transpose()) * 0.5
}

#[cfg(test)]
mod tests {
    //! The filters against theory on simulated wear. Statistical checks average a per-path
    //! quantity over independent paths and allow 4 standard errors (a false alarm once in about
    //! 16 000 seeds); every stream is seeded, so the outcomes are reproducible.

    use super::*;
    use crate::rng::StreamRng;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Gamma, Normal};

    fn wear(rate: f64, cv: f64, basis: Basis, limit: f64) -> WearConfig {
        WearConfig { rate, cv, basis, limit, step: limit / rate / 200.0, repair: None, crew: None }
    }

    const KALMAN: FilterConfig = FilterConfig::Kalman { process_var: None, rate_var: None };

    fn ewma(alpha: f64) -> FilterConfig {
        FilterConfig::Ewma { alpha }
    }

    /// True wear at `every · k`, k = 1..=n: a gamma process with mean `rate` per time unit and
    /// increments of variance `rate²·cv²·every` (shape `every/cv²`, scale `rate·cv²`).
    fn gamma_path(rng: &mut StreamRng, rate: f64, cv: f64, every: f64, n: usize) -> Vec<f64> {
        let step = Gamma::new(every / (cv * cv), rate * cv * cv).expect("valid gamma");
        let mut w = 0.0;
        (0..n)
            .map(|_| {
                w += step.sample(rng);
                w
            })
            .collect()
    }

    /// A sensor of gain `gain` and noise `sd` [gain units].
    #[derive(Clone, Copy)]
    struct Sensor {
        gain: f64,
        sd: f64,
    }

    impl Sensor {
        fn read(self, rng: &mut StreamRng, wear: f64) -> Reading {
            let noise = if self.sd > 0.0 { Normal::new(0.0, self.sd).expect("sd").sample(rng) } else { 0.0 };
            Reading { value: self.gain * wear + noise, gain: self.gain, noise_var: self.sd * self.sd }
        }
    }

    /// Mean and its standard error.
    fn mean_se(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, (var / n).sqrt())
    }

    /// Runs `config` over one path read every `every`, each step's readings from `sensors`
    /// (drawn from `rng` for every sensor, used or not, so that subsets share their noise), and
    /// returns the squared level errors and the filter's level variances per step.
    fn run(
        config: &FilterConfig,
        model: WearModel,
        path: &[f64],
        every: f64,
        readings: &[Vec<Reading>],
        use_sensors: &[usize],
    ) -> (Vec<f64>, Vec<f64>) {
        let mut f = Filter::new(config, model);
        let (mut sq, mut var) = (Vec::new(), Vec::new());
        for (k, (w, step)) in path.iter().zip(readings).enumerate() {
            let rs: Vec<Reading> = use_sensors.iter().map(|&i| step[i]).collect();
            let e = f.update(every * (k + 1) as f64, &rs);
            sq.push((e.level - w) * (e.level - w));
            var.push(f.level_var().unwrap_or(f64::NAN));
        }
        (sq, var)
    }

    /// The EWMA's exact mean squared error at each of `n` steps on wear with increments of mean
    /// `mu` and variance `q`, read with noise variance `r`, from an exact start: the error
    /// `e_k = (1−α)(e_{k−1} − μ − w_k) + α v_k` has mean `m_k = (1−α)(m_{k−1} − μ)` and variance
    /// `V_k = (1−α)²(V_{k−1} + q) + α² r`; MSE = V + m². (Steady state: the lag
    /// `(1−α)/α · μ` and `V = ((1−α)² q + α² r) / (α(2−α))`, i.e. `α/(2−α) · r` for a constant
    /// signal.)
    fn ewma_mse(alpha: f64, mu: f64, q: f64, r: f64, n: usize) -> Vec<f64> {
        let (mut m, mut v) = (0.0, 0.0);
        (0..n)
            .map(|_| {
                m = (1.0 - alpha) * (m - mu);
                v = (1.0 - alpha) * (1.0 - alpha) * (v + q) + alpha * alpha * r;
                v + m * m
            })
            .collect()
    }

    /// The Kalman filter's error variance for a random walk with a known drift, increments of
    /// variance `q`, read with noise variance `r`, from an exact start: `P⁻ = P + q`,
    /// `P = P⁻ r / (P⁻ + r)`, converging to `P⁻ = q/2 + √(q²/4 + q r)`. It is the exact mean
    /// squared error of a linear filter whose model has the true second moments, Gaussian or
    /// not, so it also holds for gamma wear.
    fn random_walk_kalman_mse(q: f64, r: f64, n: usize) -> Vec<f64> {
        let mut p = 0.0;
        (0..n)
            .map(|_| {
                let prior = p + q;
                p = prior * r / (prior + r);
                p
            })
            .collect()
    }

    fn mean(xs: &[f64]) -> f64 {
        xs.iter().sum::<f64>() / xs.len() as f64
    }

    /// Slow wear under a noisy sensor (the regime where filtering pays): wear 0.1 per time unit
    /// with CV 0.3 in calendar time, read every time unit with noise sd 5.
    const RATE: f64 = 0.1;
    const CV: f64 = 0.3;
    const EVERY: f64 = 1.0;
    const SD: f64 = 5.0;
    const STEPS: usize = 60;
    const PATHS: usize = 400;

    #[test]
    fn filters_beat_raw_readings_on_gamma_wear_as_theory_says() {
        let mut rng = StreamRng::seed_from_u64(11);
        let wear = wear(RATE, CV, Basis::Calendar, 100.0);
        let alpha = 0.1;
        let sensor = Sensor { gain: 1.0, sd: SD };
        let mut per_path: [Vec<f64>; 3] = Default::default();
        let mut kalman_var = Vec::new();
        for _ in 0..PATHS {
            let path = gamma_path(&mut rng, RATE, CV, EVERY, STEPS);
            let readings: Vec<Vec<Reading>> = path.iter().map(|&w| vec![sensor.read(&mut rng, w)]).collect();
            for (i, config) in [FilterConfig::None, ewma(alpha), KALMAN].iter().enumerate() {
                let (sq, var) = run(config, WearModel::derive(&wear, config), &path, EVERY, &readings, &[0]);
                per_path[i].push(mean(&sq));
                if i == 2 {
                    kalman_var = var;
                }
            }
        }
        let (q, r) = (RATE * RATE * CV * CV * EVERY, SD * SD);
        let theory = [
            r,
            mean(&ewma_mse(alpha, RATE * EVERY, q, r, STEPS)),
            mean(&random_walk_kalman_mse(q, r, STEPS)),
        ];
        // The 2-state filter with a known rate reduces to the scalar random-walk filter.
        let scalar = random_walk_kalman_mse(q, r, STEPS);
        for (p, s) in kalman_var.iter().zip(&scalar) {
            assert!((p - s).abs() < 1e-9 * s, "Kalman P {p} vs scalar recursion {s}");
        }
        for (name, (mses, expected)) in ["none", "ewma", "kalman"].iter().zip(per_path.iter().zip(theory)) {
            let (m, se) = mean_se(mses);
            assert!((m - expected).abs() < 4.0 * se, "{name}: MSE {m} ± {se}, theory {expected}");
        }
        // A clear margin: theory gives MSE 25 (raw), 1.7 (EWMA) and 0.03 (Kalman: it knows the
        // calendar rate and starts from the exact 0; its steady state would be 0.15).
        let (none, ewma_mse, kalman_mse) = (mean(&per_path[0]), mean(&per_path[1]), mean(&per_path[2]));
        assert!(ewma_mse < none / 4.0 && kalman_mse < ewma_mse / 2.0, "{none} {ewma_mse} {kalman_mse}");
    }

    #[test]
    fn kalman_with_an_unknown_rate_beats_raw_readings_and_knows_its_error() {
        // Wear accrues while busy at 0.2 per busy time unit, half of the time: the calendar rate
        // 0.1 is unknown to the filter, whose prior says 0.2 ± 0.2. Its model is noisier than
        // the truth (a wandering rate, a prior wider than the rate's error), and a filter whose
        // assumed noise dominates the true one over-estimates its error: P_ℓℓ bounds the MSE.
        let mut rng = StreamRng::seed_from_u64(12);
        let wear = wear(2.0 * RATE, CV, Basis::Busy, 100.0);
        let model = WearModel::derive(&wear, &KALMAN);
        let sensor = Sensor { gain: 1.0, sd: SD };
        let (mut raw, mut filtered, mut bound) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..PATHS {
            // Calendar wear of half the busy rate and variance (a busy fraction of 1/2).
            let path = gamma_path(&mut rng, RATE, CV * 2f64.sqrt(), EVERY, STEPS);
            let readings: Vec<Vec<Reading>> = path.iter().map(|&w| vec![sensor.read(&mut rng, w)]).collect();
            let (sq, var) = run(&KALMAN, model, &path, EVERY, &readings, &[0]);
            filtered.push(mean(&sq));
            bound = var;
            raw.push(mean(&run(&FilterConfig::None, model, &path, EVERY, &readings, &[0]).0));
        }
        let (m, se) = mean_se(&filtered);
        assert!(m < mean(&bound) + 4.0 * se, "MSE {m} ± {se} above the filter's own P {}", mean(&bound));
        let gain: Vec<f64> = filtered.iter().zip(&raw).map(|(f, r)| f - r / 4.0).collect();
        let (d, se) = mean_se(&gain);
        assert!(d + 4.0 * se < 0.0, "Kalman MSE not below a quarter of the raw one: {d} ± {se}");
    }

    #[test]
    fn kalman_learns_a_calendar_rate_of_half_the_busy_rate_in_a_few_readings() {
        // The issue's example: wear 1 per busy time unit, CV 0.3, limit 100, read every 5 with
        // noise sd 2; the machine is busy half of the time. By the 4th reading (t = 20) a
        // regression through the known origin alone would know the rate to within
        // σ/(Δ·√Σk²) = 2/(5·√30) ≈ 0.07; the prior (0.5 deviations away) should be forgotten.
        let mut rng = StreamRng::seed_from_u64(13);
        let wear = wear(1.0, 0.3, Basis::Busy, 100.0);
        let model = WearModel::derive(&wear, &KALMAN);
        let sensor = Sensor { gain: 1.0, sd: 2.0 };
        let (mut err, mut sq, mut var) = (Vec::new(), Vec::new(), 0.0);
        for _ in 0..PATHS {
            let path = gamma_path(&mut rng, 0.5, 0.3 * 2f64.sqrt(), 5.0, 4);
            let mut f = Filter::new(&KALMAN, model);
            let mut e = Estimate::default();
            for (k, w) in path.iter().enumerate() {
                e = f.update(5.0 * (k + 1) as f64, &[sensor.read(&mut rng, *w)]);
            }
            let Kind::Kalman(k) = &f.kind else { unreachable!("a Kalman filter") };
            var = k.p[(1, 1)];
            err.push(e.rate - 0.5);
            sq.push((e.rate - 0.5) * (e.rate - 0.5));
        }
        let (bias, se) = mean_se(&err);
        assert!(bias.abs() < 0.02 + 4.0 * se, "rate bias {bias} ± {se} after 4 readings");
        let (mse, se) = mean_se(&sq);
        assert!(mse.sqrt() < 0.12, "rate RMSE {} after 4 readings", mse.sqrt());
        assert!(mse < var + 4.0 * se, "rate MSE {mse} ± {se} above the filter's P_rr {var}");
    }

    #[test]
    fn kalman_rate_converges_on_a_ramp() {
        let wear = wear(1.0, 0.3, Basis::Busy, 100.0);
        let model = WearModel::derive(&wear, &KALMAN);
        let (slope, every, n, sd) = (0.3, 1.0, 300, 1.0);
        // Exact readings of an exact ramp: the rate's error decays to nothing.
        let mut f = Filter::new(&KALMAN, model);
        for k in 1..=n {
            let t = every * k as f64;
            f.update(t, &[Reading { value: slope * t, gain: 1.0, noise_var: 0.0 }]);
        }
        assert!((f.estimate().rate - slope).abs() < 1e-6, "{:?}", f.estimate());
        // Noisy readings, the default model (noisier than a ramp): unbiased, and within the
        // filter's own rate variance. With no level diffusion and a fixed rate (the true model of
        // a ramp) the filter is a Bayesian regression through the origin: the rate's error
        // variance is 1/(1/prior + Σt²/σ²) → 0, and it is the true mean squared error.
        let exact = WearModel { process_var: 0.0, rate_var: 0.0, ..model };
        let regression = 1.0
            / (1.0 / model.rate_prior_var
                + (1..=n).map(|k| (every * k as f64).powi(2)).sum::<f64>() / (sd * sd));
        for (model, seed) in [(model, 14), (exact, 15)] {
            let mut rng = StreamRng::seed_from_u64(seed);
            let sensor = Sensor { gain: 1.0, sd };
            let (mut err, mut sq, mut var) = (Vec::new(), Vec::new(), 0.0);
            for _ in 0..PATHS {
                let mut f = Filter::new(&KALMAN, model);
                for k in 1..=n {
                    let t = every * k as f64;
                    f.update(t, &[sensor.read(&mut rng, slope * t)]);
                }
                let Kind::Kalman(k) = &f.kind else { unreachable!("a Kalman filter") };
                var = k.p[(1, 1)];
                let e = f.estimate().rate - slope;
                err.push(e);
                sq.push(e * e);
            }
            let (bias, se) = mean_se(&err);
            assert!(bias.abs() < 4.0 * se, "{model:?}: rate bias {bias} ± {se}");
            let (mse, se) = mean_se(&sq);
            assert!(mse < var + 4.0 * se, "{model:?}: rate MSE {mse} ± {se}, P_rr {var}");
            if model == exact {
                assert!((var - regression).abs() < 1e-9 * regression, "P_rr {var}, regression {regression}");
                assert!((mse - var).abs() < 4.0 * se, "rate MSE {mse} ± {se}, P_rr {var}");
            }
        }
    }

    /// Wear at the readings every `every` up to `horizon` of a machine that alternates busy
    /// periods (exponential, mean 1) and idle ones (exponential, mean `(1−u)/u`, so that it is
    /// busy a fraction `u` of the time: `u1` before `horizon/2`, `u2` after), gaining gamma wear
    /// (mean `rate`, CV `cv` per busy time unit) only while busy.
    fn duty_cycle_path(
        rng: &mut StreamRng,
        rate: f64,
        cv: f64,
        u: (f64, f64),
        every: f64,
        horizon: f64,
    ) -> Vec<f64> {
        let gain = |rng: &mut StreamRng, dt: f64| {
            if dt > 0.0 {
                Gamma::new(dt / (cv * cv), rate * cv * cv).expect("gamma").sample(rng)
            } else {
                0.0
            }
        };
        let (mut out, mut t, mut w, mut busy, mut next) = (Vec::new(), 0.0, 0.0, false, every);
        while next <= horizon {
            let u = if t < horizon / 2.0 { u.0 } else { u.1 };
            let mean = if busy { 1.0 } else { (1.0 - u) / u };
            let end = t + rand_distr::Exp::new(1.0 / mean).expect("exp").sample(rng);
            while next <= end && next <= horizon {
                if busy {
                    w += gain(rng, next - t);
                }
                (t, next) = (next, next + every);
                out.push(w);
            }
            if busy {
                w += gain(rng, end - t);
            }
            (t, busy) = (end, !busy);
        }
        out
    }

    #[test]
    fn default_rate_var_follows_a_load_change() {
        // The issue's press: wear 1 per busy time unit, CV 0.3, limit 100, noise sd 2 every 5;
        // the busy fraction falls from 0.8 to 0.3 halfway through 2 000 time units.
        let (every, sd) = (5.0, 2.0);
        let wear = wear(1.0, 0.3, Basis::Busy, 100.0);
        let model = WearModel::derive(&wear, &KALMAN);
        let stiff = WearModel { rate_var: 0.0, ..model };
        let mut rng = StreamRng::seed_from_u64(20);
        let sensor = Sensor { gain: 1.0, sd };
        let (mut vs_raw, mut vs_stiff) = (Vec::new(), Vec::new());
        for _ in 0..100 {
            let path = duty_cycle_path(&mut rng, 1.0, 0.3, (0.8, 0.3), every, 2_000.0);
            let readings: Vec<Vec<Reading>> = path.iter().map(|&w| vec![sensor.read(&mut rng, w)]).collect();
            let mse =
                |config: &FilterConfig, model| mean(&run(config, model, &path, every, &readings, &[0]).0);
            let default = mse(&KALMAN, model);
            vs_raw.push(default - mse(&FilterConfig::None, model) / 1.5);
            vs_stiff.push(default - mse(&KALMAN, stiff));
        }
        let (d, se) = mean_se(&vs_raw);
        assert!(d + 4.0 * se < 0.0, "default MSE not below 2/3 of the raw readings': {d} ± {se}");
        let (d, se) = mean_se(&vs_stiff);
        assert!(d + 4.0 * se < 0.0, "default MSE not below a fixed rate's: {d} ± {se}");
    }

    #[test]
    fn ewma_lags_a_ramp_as_theory_says() {
        let (alpha, slope, every, n) = (0.2_f64, 0.5, 2.0, 100);
        let lag = |k: usize| (1.0 - alpha) / alpha * slope * every * (1.0 - (1.0 - alpha).powi(k as i32));
        let mut f =
            Filter::new(&ewma(alpha), WearModel::derive(&wear(1.0, 0.3, Basis::Busy, 100.0), &KALMAN));
        for k in 1..=n {
            let t = every * k as f64;
            let e = f.update(t, &[Reading { value: slope * t, gain: 1.0, noise_var: 1.0 }]);
            assert!((slope * t - e.level - lag(k)).abs() < 1e-9, "lag at step {k}: {:?}", e);
            assert!((e.rate - slope).abs() < 1e-12, "rate at step {k}: {:?}", e);
        }
        assert!((lag(n) - (1.0 - alpha) / alpha * slope * every).abs() < 1e-9);
        // With noise the mean lag is the same: average over paths at step 20.
        let mut rng = StreamRng::seed_from_u64(15);
        let sensor = Sensor { gain: 1.0, sd: 1.0 };
        let errs: Vec<f64> = (0..PATHS)
            .map(|_| {
                let mut f = Filter::new(
                    &ewma(alpha),
                    WearModel::derive(&wear(1.0, 0.3, Basis::Busy, 100.0), &KALMAN),
                );
                let mut e = Estimate::default();
                for k in 1..=20 {
                    let t = every * k as f64;
                    e = f.update(t, &[sensor.read(&mut rng, slope * t)]);
                }
                slope * every * 20.0 - e.level
            })
            .collect();
        let (m, se) = mean_se(&errs);
        assert!((m - lag(20)).abs() < 4.0 * se, "mean lag {m} ± {se}, theory {}", lag(20));
    }

    #[test]
    fn none_fuses_by_inverse_variance() {
        // Sensor 2 reads twice the wear with noise sd 6, i.e. 3 in wear units.
        let (s1, s2) = (Sensor { gain: 1.0, sd: 2.0 }, Sensor { gain: 2.0, sd: 6.0 });
        let expected = 1.0 / (1.0 / 4.0 + 1.0 / 9.0);
        let mut rng = StreamRng::seed_from_u64(16);
        let n = 20_000;
        let (mut fused_sq, mut one_sq) = (Vec::new(), Vec::new());
        let mut f =
            Filter::new(&FilterConfig::None, WearModel::derive(&wear(1.0, 0.3, Basis::Busy, 100.0), &KALMAN));
        for k in 1..=n {
            let w = 0.01 * k as f64;
            let rs = [s1.read(&mut rng, w), s2.read(&mut rng, w)];
            let fused = fuse(&rs).expect("readings");
            assert!((fused.var - expected).abs() < 1e-12, "{fused:?}");
            let e = f.update(k as f64, &rs);
            assert_eq!(e.level, fused.value);
            assert_eq!(f.level_var(), Some(fused.var));
            fused_sq.push((fused.value - w) * (fused.value - w));
            one_sq.push((rs[0].value - w) * (rs[0].value - w));
        }
        // E e² = v and Var e² = 2v² for Gaussian errors.
        let (m, se) = mean_se(&fused_sq);
        assert!(
            (m - expected).abs() < 4.0 * se && se < 0.02 * expected,
            "fused MSE {m} ± {se}, theory {expected}"
        );
        let (m1, _) = mean_se(&one_sq);
        assert!(m < m1 - 8.0 * se, "fused {m} vs best sensor alone {m1}");
    }

    #[test]
    fn fusing_two_sensors_beats_either_alone_for_every_filter() {
        // Faster wear than above (1 per time unit, read every time unit), so that the sensors'
        // noise, not the wear's diffusion, dominates every filter's error. Sensor 2 reads half
        // the wear with noise 1.5, i.e. 3 in wear units.
        let (rate, cv, every) = (1.0, 0.3, 1.0);
        let wear = wear(rate, cv, Basis::Calendar, 100.0);
        let sensors = [Sensor { gain: 1.0, sd: 2.0 }, Sensor { gain: 0.5, sd: 1.5 }];
        for config in [FilterConfig::None, ewma(0.5), KALMAN] {
            let model = WearModel::derive(&wear, &config);
            let mut rng = StreamRng::seed_from_u64(17);
            // Per path: MSE with both minus MSE with each alone (paired: the same paths and
            // noise).
            let mut diffs = [Vec::new(), Vec::new()];
            let mut fused_var = Vec::new();
            for _ in 0..PATHS {
                let path = gamma_path(&mut rng, rate, cv, every, STEPS);
                let readings: Vec<Vec<Reading>> =
                    path.iter().map(|&w| sensors.iter().map(|s| s.read(&mut rng, w)).collect()).collect();
                let (sq, var) = run(&config, model, &path, every, &readings, &[0, 1]);
                fused_var = var;
                for (i, d) in diffs.iter_mut().enumerate() {
                    d.push(mean(&sq) - mean(&run(&config, model, &path, every, &readings, &[i]).0));
                }
            }
            for (i, d) in diffs.iter().enumerate() {
                let (m, se) = mean_se(d);
                assert!(m + 4.0 * se < 0.0, "{config:?}: fused minus sensor {i} alone: {m} ± {se}");
            }
            // Sequential scalar updates equal one update with the fused reading.
            let r = 1.0 / (1.0 / 4.0 + 1.0 / 9.0);
            match config {
                FilterConfig::Kalman { .. } => {
                    let theory = random_walk_kalman_mse(rate * rate * cv * cv * every, r, STEPS);
                    for (p, t) in fused_var.iter().zip(&theory) {
                        assert!((p - t).abs() < 1e-9 * t, "fused P {p}, theory {t}");
                    }
                }
                FilterConfig::None => assert!(fused_var.iter().all(|v| (v - r).abs() < 1e-12)),
                FilterConfig::Ewma { .. } => assert!(fused_var.iter().all(|v| v.is_nan())),
            }
        }
    }

    #[test]
    fn renew_resets_the_level_and_keeps_the_rate() {
        let model = WearModel::derive(&wear(1.0, 0.3, Basis::Busy, 100.0), &KALMAN);
        for config in [FilterConfig::None, ewma(0.3), KALMAN] {
            let mut f = Filter::new(&config, model);
            for k in 1..=10 {
                let t = k as f64;
                f.update(t, &[Reading { value: 0.6 * t + 0.1 * (k % 3) as f64, gain: 1.0, noise_var: 0.04 }]);
            }
            let before = f.estimate();
            f.renew(12.0);
            assert_eq!(f.estimate(), Estimate { level: 0.0, rate: before.rate }, "{config:?}");
            if !matches!(config, FilterConfig::Ewma { .. }) {
                assert_eq!(f.level_var(), Some(0.0), "{config:?}");
            }
            // The first difference after a renewal is measured from 0 at the renewal.
            let e = f.update(14.0, &[Reading { value: 1.2, gain: 1.0, noise_var: 0.04 }]);
            if config == FilterConfig::None {
                assert_eq!(e, Estimate { level: 1.2, rate: 0.6 });
            }
            // Between the reading and the prediction from 0 at the renewal.
            let predicted = if config == KALMAN { 2.0 * before.rate } else { 0.0 };
            assert!(
                e.level >= 1.2f64.min(predicted) && e.level <= 1.2f64.max(predicted),
                "{config:?}: {e:?}"
            );
        }
    }

    #[test]
    fn a_gain_zero_sensor_adds_nothing_to_kalman() {
        let model = WearModel::derive(&wear(1.0, 0.3, Basis::Busy, 100.0), &KALMAN);
        let mut rng = StreamRng::seed_from_u64(18);
        let (good, deaf) = (Sensor { gain: 1.0, sd: 2.0 }, Sensor { gain: 0.0, sd: 1.0 });
        let (mut alone, mut with, mut first) =
            (Filter::new(&KALMAN, model), Filter::new(&KALMAN, model), Filter::new(&KALMAN, model));
        for k in 1..=50 {
            let t = 5.0 * k as f64;
            let (r, z) = (good.read(&mut rng, 0.5 * t), deaf.read(&mut rng, 0.5 * t));
            let e = alone.update(t, &[r]);
            assert_eq!(with.update(t, &[r, z]), e);
            assert_eq!(first.update(t, &[z, r]), e);
            assert_eq!(with.level_var(), alone.level_var());
        }
        // Only deaf sensors: the filter predicts.
        let before = alone.estimate();
        let e = alone
            .update(255.0, &[deaf.read(&mut rng, 1.0), Reading { value: 3.0, gain: 0.0, noise_var: 0.0 }]);
        assert!((e.level - (before.level + 5.0 * before.rate)).abs() < 1e-9 && e.rate == before.rate);
    }

    #[test]
    fn zero_noise_pins_the_level() {
        let exact = Reading { value: 7.0, gain: 2.0, noise_var: 0.0 };
        for basis in [Basis::Busy, Basis::Calendar] {
            let model = WearModel::derive(&wear(1.0, 0.3, basis, 100.0), &KALMAN);
            let mut f = Filter::new(&KALMAN, model);
            // An exact reading of the exactly known level at the start is no information.
            let e = f.update(0.0, &[Reading { value: 0.0, gain: 1.0, noise_var: 0.0 }]);
            assert_eq!(e, Estimate { level: 0.0, rate: 1.0 });
            f.update(2.0, &[Reading { value: 2.5, gain: 1.0, noise_var: 4.0 }]);
            let noisy = Reading { value: 12.0, gain: 1.0, noise_var: 1.0 };
            for readings in [vec![exact], vec![noisy, exact], vec![exact, noisy], vec![exact, exact]] {
                let mut g = f.clone();
                let e = g.update(4.0, &readings);
                assert!(
                    (e.level - 3.5).abs() < 1e-12 && e.level.is_finite(),
                    "{basis:?} {readings:?}: {e:?}"
                );
                assert!(g.level_var().expect("Kalman").abs() < 1e-12, "{:?}", g.level_var());
                assert!(e.rate.is_finite());
            }
        }
        // `none` and `ewma`: an exact sensor dominates the fusion.
        let noisy = Reading { value: 12.0, gain: 1.0, noise_var: 1.0 };
        assert_eq!(fuse(&[noisy, exact]), Some(Fused { value: 3.5, var: 0.0 }));
        let mut f =
            Filter::new(&FilterConfig::None, WearModel::derive(&wear(1.0, 0.3, Basis::Busy, 100.0), &KALMAN));
        assert_eq!(f.update(7.0, &[exact, noisy]), Estimate { level: 3.5, rate: 0.5 });
        assert_eq!(f.level_var(), Some(0.0));
    }

    #[test]
    fn a_sensor_of_pure_noise_is_tracked_as_it_reads() {
        let deaf = [
            Reading { value: 3.0, gain: 0.0, noise_var: 1.0 },
            Reading { value: 5.0, gain: 0.0, noise_var: 4.0 },
        ];
        assert_eq!(fuse(&deaf), Some(Fused { value: 4.0, var: f64::INFINITY }));
        assert_eq!(fuse(&[]), None);
        let model = WearModel::derive(&wear(1.0, 0.3, Basis::Busy, 100.0), &KALMAN);
        let mut f = Filter::new(&FilterConfig::None, model);
        assert_eq!(f.update(2.0, &deaf), Estimate { level: 4.0, rate: 2.0 });
        assert_eq!(f.level_var(), None);
        let mut f = Filter::new(&ewma(0.5), model);
        assert_eq!(f.update(2.0, &deaf), Estimate { level: 2.0, rate: 2.0 });
        assert_eq!(f.level_var(), None);
    }

    #[test]
    fn kalman_prediction_does_not_depend_on_how_time_is_cut() {
        let model = WearModel::derive(&wear(1.0, 0.3, Basis::Busy, 100.0), &KALMAN);
        let r = Reading { value: 4.0, gain: 1.5, noise_var: 2.0 };
        let (mut one, mut cut) = (Filter::new(&KALMAN, model), Filter::new(&KALMAN, model));
        one.update(1.0, &[r]);
        cut.update(1.0, &[r]);
        let a = one.update(6.0, &[r]);
        cut.update(2.5, &[]);
        cut.update(4.0, &[]);
        let b = cut.update(6.0, &[r]);
        assert!((a.level - b.level).abs() < 1e-12 && (a.rate - b.rate).abs() < 1e-12, "{a:?} {b:?}");
        assert!((one.level_var().expect("P") - cut.level_var().expect("P")).abs() < 1e-12);
    }

    #[test]
    fn kalman_covariance_stays_symmetric_positive_semidefinite() {
        let model = WearModel::derive(&wear(2.0, 0.5, Basis::Busy, 10.0), &KALMAN);
        let mut rng = StreamRng::seed_from_u64(19);
        let mut f = Filter::new(&KALMAN, model);
        let mut t = 0.0;
        let sensors =
            [Sensor { gain: 1.0, sd: 0.0 }, Sensor { gain: 3.0, sd: 1e-9 }, Sensor { gain: -0.5, sd: 50.0 }];
        for k in 0..2_000 {
            t += [0.0, 1e-6, 0.5, 40.0][k % 4];
            let w = 0.8 * t;
            let rs: Vec<Reading> =
                (0..3).filter(|i| (k / 4 + i) % 3 != 0).map(|i| sensors[i].read(&mut rng, w)).collect();
            let e = f.update(t, &rs);
            assert!(e.level.is_finite() && e.rate.is_finite(), "step {k}: {e:?}");
            let Kind::Kalman(kf) = &f.kind else { unreachable!("a Kalman filter") };
            let p = kf.p;
            let (a, b, c) = (p[(0, 0)], p[(0, 1)], p[(1, 1)]);
            assert_eq!(b, p[(1, 0)], "step {k}: asymmetric {p}");
            let scale = 1e-9 * (a.abs() + c.abs() + 1.0);
            assert!(
                a >= -scale && c >= -scale && a * c - b * b >= -scale * (a.abs() + c.abs() + 1.0),
                "step {k}: {p}"
            );
            if k % 97 == 0 {
                f.renew(t);
            }
        }
    }

    #[test]
    fn wear_model_defaults_and_overrides() {
        let busy = wear(2.0, 0.5, Basis::Busy, 100.0);
        let m = WearModel::derive(&busy, &KALMAN);
        // L = 50: (0.1 · rate)²/L = 0.04/50.
        assert_eq!(m, WearModel { rate: 2.0, process_var: 1.0, rate_var: 0.04 / 50.0, rate_prior_var: 4.0 });
        let calendar = wear(2.0, 0.5, Basis::Calendar, 100.0);
        let m = WearModel::derive(&calendar, &ewma(0.5));
        assert_eq!(m, WearModel { rate: 2.0, process_var: 1.0, rate_var: 0.0, rate_prior_var: 0.0 });
        let given = FilterConfig::Kalman { process_var: Some(0.3), rate_var: Some(0.1) };
        let m = WearModel::derive(&busy, &given);
        assert_eq!((m.process_var, m.rate_var), (0.3, 0.1));
        // A calendar-basis filter keeps the known rate.
        let mut f = Filter::new(&KALMAN, WearModel::derive(&calendar, &KALMAN));
        let e = f.update(3.0, &[Reading { value: 30.0, gain: 1.0, noise_var: 1.0 }]);
        assert_eq!(e.rate, 2.0);
    }

    #[test]
    fn filter_is_a_plain_value() {
        fn plain<T: Clone + Send + Sync + 'static>() {}
        plain::<Filter>();
        assert_eq!(
            Reading::of(&SensorConfig { every: 5.0, noise_sd: 2.0, gain: 1.5 }, 3.0),
            Reading { value: 3.0, gain: 1.5, noise_var: 4.0 }
        );
    }
}
