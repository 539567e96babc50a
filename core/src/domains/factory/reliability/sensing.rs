//! Sensors on machines: a bevy system, run by the engine's steppers, that reads every sensed
//! machine's wear through noise and filters it.

use bevy_ecs::component::Component;
use bevy_ecs::prelude::{Query, Res, ResMut, Resource};
use rand_distr::{Distribution, Normal};

use super::filter::{Estimate, Filter, Reading};
use super::life::Health;
use super::wear::Wear;
use crate::engine::SimClock;
use crate::rng::StreamRng;

/// One sensor of a machine.
#[derive(Clone, Debug)]
pub struct Sensor {
    /// Time between readings [time unit].
    pub every: f64,
    /// Noise standard deviation [wear units].
    pub noise_sd: f64,
    /// The noise's distribution, N(0, noise_sd²); `None` for an exact sensor (no draw).
    pub noise: Option<Normal<f64>>,
    /// Reading per unit of wear.
    pub gain: f64,
    /// Its noise stream (`station:<name>/machine:<k>`, `sensor:<i>`).
    pub rng: StreamRng,
}

impl Sensor {
    /// A sensor reading every `every` with noise of standard deviation `noise_sd` (finite, ≥ 0,
    /// validated) and gain `gain`, drawing from `rng`.
    pub fn new(every: f64, noise_sd: f64, gain: f64, rng: StreamRng) -> Self {
        let noise = (noise_sd > 0.0).then(|| Normal::new(0.0, noise_sd)).and_then(Result::ok);
        Sensor { every, noise_sd, noise, gain, rng }
    }
}

/// A sensed machine's sensors, filter and latest estimate.
#[derive(Component, Clone, Debug)]
pub struct Sensing {
    /// Its station's index.
    pub station: u32,
    /// Its index within the station.
    pub machine: u32,
    /// Its sensors.
    pub sensors: Vec<Sensor>,
    /// The filter all of them feed.
    pub filter: Filter,
    /// The renewal the filter last knew of [time unit].
    pub renewed_at: f64,
    /// When its sensors were last read [time unit]; `-∞` before the first reading.
    pub read_at: f64,
    /// The latest estimate.
    pub estimate: Estimate,
}

/// An estimate made at the running step, for the factory to act on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fresh {
    /// Station index.
    pub station: u32,
    /// Machine index within the station.
    pub machine: u32,
    /// The filtered estimate.
    pub estimate: Estimate,
}

/// The estimates of the latest step (drained by the factory after each step).
#[derive(Resource, Debug, Default)]
pub struct FreshReadings(pub Vec<Fresh>);

/// The sensed machines, as the sensor system queries them.
pub type Sensed<'w, 's> = Query<'w, 's, (&'static Health, &'static Wear, &'static mut Sensing)>;

/// Whether a sensor read every `every` [time unit] reads at `now`: its stepper's times are
/// `every + k · every`, k = 0, 1, … (computed the same way, so the test is exact).
fn reads_at(every: f64, now: f64) -> bool {
    let k = (now / every).round();
    k >= 1.0 && every + (k - 1.0) * every == now
}

/// The system run by the stepper of period `every` [time unit]: it reads, on machines that are
/// up, every sensor that reads now (its own period's and any other period's that falls at the
/// same time, so that a machine's sensors reading at one time make one fused reading); a machine
/// already read at this time by another period's stepper is skipped. A machine renewed since its
/// filter last looked restarts the filter at its renewal.
pub fn read_sensors(
    every: f64,
) -> impl FnMut(Res<SimClock>, Sensed<'_, '_>, ResMut<FreshReadings>) + Send + Sync {
    let mut readings = Vec::new();
    move |clock, mut machines, mut fresh| {
        let now = clock.now.as_f64();
        for (health, wear, mut sensing) in &mut machines {
            if health.condition != super::life::Condition::Up || sensing.read_at == now {
                continue;
            }
            // Machines whose sensors do not read now are left alone (not even marked changed).
            if !sensing.sensors.iter().any(|s| s.every == every || reads_at(s.every, now)) {
                continue;
            }
            let sensing = &mut *sensing;
            if health.renewed_at > sensing.renewed_at {
                sensing.renewed_at = health.renewed_at;
                sensing.filter.renew(health.renewed_at);
            }
            let truth = match wear.basis {
                Some(basis) => wear.at(health.wear_age_at(now, basis)),
                None => 0.0,
            };
            readings.clear();
            sensing.read_at = now;
            for sensor in sensing.sensors.iter_mut().filter(|s| s.every == every || reads_at(s.every, now)) {
                let noise = sensor.noise.map_or(0.0, |n| n.sample(&mut sensor.rng));
                readings.push(Reading {
                    value: sensor.gain * truth + noise,
                    gain: sensor.gain,
                    noise_var: sensor.noise_sd * sensor.noise_sd,
                });
            }
            if readings.is_empty() {
                continue;
            }
            sensing.estimate = sensing.filter.update(now, &readings);
            fresh.0.push(Fresh {
                station: sensing.station,
                machine: sensing.machine,
                estimate: sensing.estimate,
            });
        }
    }
}
