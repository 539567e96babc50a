//! Gridlock detection: no crossing anywhere for `stuck_time` while vehicles wait at stop lines
//! is a gridlock; it is counted, and with `gridlock = "release"` the head of every blocked
//! movement is moved on although its out-link is full (MATSim's stuck rule).

use super::CityEvent;
use super::config::Gridlock;
use super::dynamics::{Env, Traffic, time};
use crate::engine::{Ctx, ModelError};

/// The stuck-time check: one pending entry at a time, at most one per `stuck_time`.
pub(crate) struct Stuck {
    /// [s]
    stuck_time: f64,
    mode: Gridlock,
    /// Gridlocks detected.
    pub(crate) count: u64,
}

impl Stuck {
    pub(crate) fn new(stuck_time: f64, mode: Gridlock) -> Self {
        Stuck { stuck_time, mode, count: 0 }
    }

    /// Schedules the first check.
    pub(crate) fn start<R: From<CityEvent>>(&self, ctx: &mut Ctx<R>) -> Result<(), ModelError> {
        ctx.schedule_at(time(self.stuck_time)?, CityEvent::Gridlock)?;
        Ok(())
    }

    /// The check is due: a gridlock if nothing crossed for `stuck_time` and someone waits.
    pub(crate) fn check<R: From<CityEvent>>(
        &mut self,
        traffic: &mut Traffic,
        env: &mut Env<'_, '_, R>,
    ) -> Result<(), ModelError> {
        let now = env.now();
        let quiet_since = traffic.last_cross;
        if quiet_since + self.stuck_time > now {
            env.ctx.schedule_at(time(quiet_since + self.stuck_time)?, CityEvent::Gridlock)?;
            return Ok(());
        }
        if traffic.anyone_waits(now) {
            self.count += 1;
            env.acct.gridlock(env.ctx);
            if self.mode == Gridlock::Release {
                traffic.release(env)?;
            }
        }
        env.ctx.schedule_at(time(now + self.stuck_time)?, CityEvent::Gridlock)?;
        Ok(())
    }
}
