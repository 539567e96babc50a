//! A machine's wear path: a gamma process in its basis time, drawn whole at each renewal.

use bevy_ecs::component::Component;
use rand_distr::{Distribution, Gamma};

use super::super::config::{Basis, WearConfig};
use crate::rng::StreamRng;

/// Most points of one wear path: a bound on memory per machine (a life of `limit / rate` basis
/// time units needs `limit / rate / step` points; the default step gives about 200).
const MAX_POINTS: usize = 1 << 20;

/// A machine's wear since its last renewal, as a function of its basis time `u` (time up or
/// time busy since the renewal): linear between points `step` apart. Drawn whole at the renewal
/// up to the point where it reaches the limit, so the time of the wear-out failure is known in
/// advance and a reading at any time is the path at that time (and a maintained machine's
/// counterfactual failure is the same path continued: see the predictive quality metrics).
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct Wear {
    /// Wear at `u = k · step` [wear units], from 0; the last point is at or above the limit.
    pub points: Vec<f64>,
    /// Basis time between two points [time unit].
    pub step: f64,
    /// What wear accrues in.
    pub basis: Option<Basis>,
}

impl Wear {
    /// Wear at basis time `u` since the renewal [wear units]; the last point's value beyond it.
    pub fn at(&self, u: f64) -> f64 {
        let Some(&last) = self.points.last() else { return 0.0 };
        let x = u.max(0.0) / self.step;
        let k = x.floor() as usize;
        if k + 1 >= self.points.len() {
            return last;
        }
        let frac = x - k as f64;
        self.points[k] + frac * (self.points[k + 1] - self.points[k])
    }
}

/// The gamma increments of a wear config: over a basis time `step`, shape `step / cv²` and scale
/// `rate · cv²` (mean `rate · step`, variance `rate² · cv² · step`: the CV over one time unit is `cv`).
#[derive(Clone, Debug)]
pub struct WearProcess {
    increment: Gamma<f64>,
    step: f64,
    limit: f64,
    basis: Basis,
}

impl WearProcess {
    /// The process of `config` (validated: rate, cv, step and limit positive and finite).
    pub fn new(config: &WearConfig) -> Self {
        let cv2 = config.cv * config.cv;
        let increment = Gamma::new(config.step / cv2, config.rate * cv2).expect("validated wear parameters");
        WearProcess { increment, step: config.step, limit: config.limit, basis: config.basis }
    }

    /// Draws a new path into `wear` (reusing its memory) and returns the basis time at which it
    /// reaches the limit [time unit] (linear between the last two points).
    pub fn draw(&self, rng: &mut StreamRng, wear: &mut Wear) -> f64 {
        wear.step = self.step;
        wear.basis = Some(self.basis);
        wear.points.clear();
        wear.points.push(0.0);
        let mut level = 0.0;
        while level < self.limit && wear.points.len() < MAX_POINTS {
            level += self.increment.sample(rng);
            wear.points.push(level);
        }
        let n = wear.points.len();
        if level < self.limit {
            // Capped: the machine never reaches its limit within the path's reach.
            return f64::INFINITY;
        }
        let (before, after) = (wear.points[n - 2], wear.points[n - 1]);
        let frac = if after > before { (self.limit - before) / (after - before) } else { 1.0 };
        ((n - 2) as f64 + frac) * self.step
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn config(rate: f64, cv: f64, limit: f64, step: f64) -> WearConfig {
        WearConfig { rate, cv, basis: Basis::Busy, limit, step, repair: None, crew: None }
    }

    /// The gamma process's increment over basis time t has mean rate·t and variance rate²·cv²·t,
    /// whatever the step: checked at t = 10 over many paths (4.5 standard errors).
    #[test]
    fn increments_have_the_gamma_process_moments() {
        let (rate, cv, t) = (2.0, 0.5, 10.0);
        for step in [0.1, 1.0] {
            let process = WearProcess::new(&config(rate, cv, 1e9, step));
            let mut rng = StreamRng::seed_from_u64(7);
            let n = 4000;
            let mut wear = Wear::default();
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    // A limit far away would draw a huge path: draw a short one by hand.
                    wear.points.clear();
                    let mut level = 0.0;
                    wear.points.push(0.0);
                    wear.step = step;
                    for _ in 0..(t / step).round() as usize {
                        level += process.increment.sample(&mut rng);
                        wear.points.push(level);
                    }
                    wear.at(t)
                })
                .collect();
            let mean = values.iter().sum::<f64>() / f64::from(n);
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / f64::from(n - 1);
            let (true_mean, true_var) = (rate * t, rate * rate * cv * cv * t);
            assert!((mean - true_mean).abs() < 4.5 * (true_var / f64::from(n)).sqrt(), "step {step}: {mean}");
            // The sample variance's standard error is about var·√(2/n) for near-normal data.
            assert!(
                (var - true_var).abs() < 4.5 * true_var * (2.0 / f64::from(n)).sqrt(),
                "step {step}: {var}"
            );
        }
    }

    #[test]
    fn the_path_reaches_the_limit_where_it_says() {
        let process = WearProcess::new(&config(1.0, 0.3, 100.0, 0.5));
        let mut rng = StreamRng::seed_from_u64(3);
        let mut wear = Wear::default();
        let mut lives = Vec::new();
        for _ in 0..500 {
            let u = process.draw(&mut rng, &mut wear);
            assert!((wear.at(u) - 100.0).abs() < 1e-9, "{u}");
            assert!(wear.at(u - 0.01) < 100.0);
            lives.push(u);
        }
        // First passage of a gamma process with drift 1 to 100: mean ≈ 100 + cv²/2 (the
        // overshoot correction is small); within 4.5 standard errors of 100 (sd ≈ cv·√100 = 3).
        let mean = lives.iter().sum::<f64>() / 500.0;
        assert!((mean - 100.0).abs() < 4.5 * 3.0 / 500f64.sqrt() + 0.1, "{mean}");
    }
}
