//! The controllers on city.md §3.5's reference simulation (validation_calcs/city_control.py,
//! scenario S1): four one-lane through approaches N, S (phase 0) and E, W (phase 1) at 900,
//! 900, 450, 450 veh/h (Poisson), one-second steps, departures every 2 s counted from green
//! start (a vehicle leaves at such an instant if it arrived strictly before it), 4 s lost per
//! change, decisions before departures. The script's controllers are replaced by these plugins,
//! called when the host would call them; mean delays must agree with the script's.

use xinzhi_plugin::{IntersectionObs, SignalController, SignalDecision};

use crate::testkit::{Snap, build, decide_one, mov};
use crate::{Actuated, FixedTime, MaxPressure};

/// SplitMix64: a small, well-mixed generator for the arrival streams.
struct SplitMix(u64);

impl SplitMix {
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// One replication: the mean delay \[s\] of vehicles arriving after the warm-up.
fn run<C: SignalController>(c: &mut C, seed: u64) -> f64 {
    const FLOWS: [f64; 4] = [900.0, 900.0, 450.0, 450.0];
    const PHASES: [[usize; 2]; 2] = [[0, 1], [2, 3]];
    const WARM: usize = 1800;
    const MEASURE: usize = 10800;
    const LOST: usize = 4;
    let end = WARM + MEASURE;
    let mut rng = SplitMix(seed);
    let arrivals: Vec<Vec<f64>> = FLOWS
        .iter()
        .map(|q| {
            let mut t = 0.0;
            let mut a = Vec::new();
            loop {
                t += -rng.uniform().ln() * 3600.0 / q;
                if t >= end as f64 {
                    break a;
                }
                a.push(t);
            }
        })
        .collect();
    let (mut arrived, mut served) = ([0usize; 4], [0usize; 4]);
    let mut last_dep = [None::<usize>; 4];
    let (mut phase, mut green, mut since) = (0usize, true, 0usize);
    let (mut next_call, mut reason) = (0usize, IntersectionObs::GREEN_START);
    let (mut total, mut n) = (0.0, 0usize);
    for t in 0..end {
        for (i, a) in arrivals.iter().enumerate() {
            while arrived[i] < a.len() && a[arrived[i]] < t as f64 {
                arrived[i] += 1;
            }
        }
        if !green && t - since >= LOST {
            (green, since, next_call, reason) = (true, t, t, IntersectionObs::GREEN_START);
        }
        if green && t == next_call {
            let mut s = Snap::at(t as f64);
            let movements: Vec<_> = (0..4).map(|i| mov((arrived[i] - served[i]) as u32)).collect();
            let x = s.node(0, &movements, &[&[0, 1], &[2, 3]]);
            (x.phase, x.reason, x.elapsed_green_s) = (phase as u32, reason, (t - since) as f64);
            for (i, last) in last_dep.iter().enumerate() {
                let green_here = PHASES[phase].contains(&i);
                s.movement(i).since_departure_s = match (green_here, *last) {
                    (true, d) => (t - d.map_or(since, |d| d.max(since))) as f64,
                    (false, Some(d)) => (t - d) as f64,
                    (false, None) => f64::INFINITY,
                };
            }
            let d = decide_one(c, &s).expect("a valid snapshot");
            if d.kind == SignalDecision::SWITCH {
                (green, since, phase) = (false, t, d.phase as usize);
            } else {
                // These controllers ask for whole seconds here: the steps stay on the grid.
                assert!((d.seconds - d.seconds.round()).abs() < 1e-9 && d.seconds >= 1.0, "{d:?} at {t}");
                (next_call, reason) = (t + d.seconds.round() as usize, IntersectionObs::REQUESTED);
            }
        }
        if green && (t - since) % 2 == 0 {
            for i in PHASES[phase] {
                if served[i] < arrived[i] {
                    let at = arrivals[i][served[i]];
                    served[i] += 1;
                    last_dep[i] = Some(t);
                    if at >= WARM as f64 {
                        total += t as f64 - at;
                        n += 1;
                    }
                }
            }
        }
    }
    total / n as f64
}

/// Mean and sample standard deviation of `r` replications of `make()`.
fn replicate<C: SignalController>(make: impl Fn() -> C, r: u64) -> (f64, f64) {
    let d: Vec<f64> = (0..r).map(|k| run(&mut make(), 1000 + k)).collect();
    let mean = d.iter().sum::<f64>() / r as f64;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1) as f64;
    (mean, var.sqrt())
}

/// Each controller's mean delay over R = 24 replications against the script's (its mean and
/// sd over 8 replications, city.md §3.5): the difference of two independent means has
/// variance sd_ref²/8 + sd²/R; it must lie within 3 of its standard deviations.
#[test]
fn controllers_match_the_reference_simulation_on_s1() {
    let r = 24;
    let check = |name: &str, (mean, sd): (f64, f64), (ref_mean, ref_sd): (f64, f64)| {
        let tol = 3.0 * (ref_sd * ref_sd / 8.0 + sd * sd / r as f64).sqrt();
        assert!((mean - ref_mean).abs() <= tol, "{name}: {mean:.3} (sd {sd:.3}) vs {ref_mean} ± {tol:.3}");
    };
    // Webster's 40/20 at C = 68 (Y + AR = 4 per change, as the script's lost time).
    let fixed = || build::<FixedTime>(r#"{"cycle": 68, "greens": [40, 20]}"#).unwrap();
    check("fixed 40/20", replicate(fixed, r), (24.643, 0.819));
    let actuated = || build::<Actuated>(r#"{"min_green": 5, "max_green": 45, "gap": 3}"#).unwrap();
    check("actuated", replicate(actuated, r), (21.223, 0.875));
    // The script's θ counts vehicles at the stop lines: `weights = "queue"`.
    let mp = || build::<MaxPressure>(r#"{"threshold": 8, "weights": "queue"}"#).unwrap();
    check("max pressure θ = 8", replicate(mp, r), (19.313, 0.400));
}
