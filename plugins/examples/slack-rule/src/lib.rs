//! `slack-rule`: a Xinzhi scheduler plugin — least slack first.
//!
//! Slack = due date − now − remaining work (this operation, plus the rest of the route when
//! `include_route` is true). Jobs without a due date go last, in arrival order.
//!
//! Use it in a scenario:
//!
//! ```toml
//! [plugins]
//! load = ["/path/to/slack-rule/target/release/libslack_rule.so"]  # absolute, or relative to this scenario file
//!
//! [[factory.station]]
//! name = "mill"
//! machines = 1
//! dispatch = { plugin = "slack-rule", include_route = true }
//! ```

use serde::Deserialize;
use xinzhi_plugin::{Component, Config, Host, JobRecord, Order, PluginError, Scheduler, Snapshot};

/// Parameters, checked strictly: a misspelt key is an error naming it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "yes")]
    include_route: bool,
}

fn yes() -> bool {
    true
}

/// Least slack first.
pub struct SlackRule {
    include_route: bool,
}

impl SlackRule {
    fn slack(&self, s: &Snapshot<'_>, job: &JobRecord) -> f64 {
        let mut work = job.processing_time;
        if self.include_route {
            work += s.remaining(job).iter().map(|op| op.processing_time).sum::<f64>();
        }
        job.due_date - s.now - work
    }
}

impl Component for SlackRule {
    const NAME: &'static str = "slack-rule";
    const DESCRIPTION: &'static str = "least slack first: due date - now - remaining work";
    const PARAMETERS: &'static str =
        "include_route: count the rest of the route as remaining work (bool, true)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p: Params = config.parse()?;
        Ok(SlackRule { include_route: p.include_route })
    }
}

impl Scheduler for SlackRule {
    fn schedule(&mut self, s: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
        order.fill_arrival_order();
        // A stable sort keeps arrival order among equal slacks (and among jobs without due date).
        order.as_mut_slice().sort_by(|&a, &b| {
            let (a, b) = (&s.jobs[a as usize], &s.jobs[b as usize]);
            self.slack(s, a).total_cmp(&self.slack(s, b))
        });
        Ok(())
    }
}

xinzhi_plugin::export_plugins! {
    schedulers: [SlackRule],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, due: f64, p: f64) -> JobRecord {
        JobRecord {
            id,
            product: 0,
            step: 0,
            release_time: 0.0,
            due_date: due,
            weight: 1.0,
            queued_at: 0.0,
            processing_time: p,
            ops_start: 0,
            ops_len: 0,
        }
    }

    #[test]
    fn least_slack_first() {
        let jobs = [job(0, f64::INFINITY, 1.0), job(1, 10.0, 8.0), job(2, 5.0, 1.0)];
        let s = Snapshot { station: 0, now: 0.0, jobs: &jobs, ops: &[], machines: &[] };
        let mut rule = SlackRule::new(&Config::new("{}"), &Host::detached(1)).unwrap();
        let mut buf = [0; 3];
        let mut order = Order::new(&mut buf);
        rule.schedule(&s, &mut order).unwrap();
        // slacks: +inf, 2, 4
        assert_eq!(order.as_slice(), [1, 2, 0]);
    }

    #[test]
    fn misspelt_parameter_is_named() {
        let e = SlackRule::new(&Config::new(r#"{"include_rout": true}"#), &Host::detached(1)).err().unwrap();
        assert!(e.message.contains("include_rout"), "{}", e.message);
    }
}
