//! The static network of a replication: links, movements and phases as flat arrays the handlers
//! index directly (built once from the validated config; never changes during a run).

use std::ops::Range;

use super::config::CityConfig;

/// No storage limit (point-queue mode).
pub(crate) const UNLIMITED: u32 = u32::MAX;

/// A directed link.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    /// Free-flow travel time τ = length / speed [s].
    pub(crate) tau: f64,
    /// Vehicles it holds, moving and queued ([`UNLIMITED`] in point-queue mode).
    pub(crate) storage: u32,
    /// Saturation headway of its stop line h = 3600 / (s · lanes) [s].
    pub(crate) headway: f64,
    /// Whether it ends at a boundary node (its vehicles leave the network at its end).
    pub(crate) exit: bool,
    /// Its movements (indices into [`Network::movements`]); empty for an exit link.
    pub(crate) movements: Range<u32>,
}

/// A movement (in-link → out-link at a signalised node).
#[derive(Clone, Debug)]
pub(crate) struct Movement {
    /// The node.
    pub(crate) node: u32,
    /// In-link.
    pub(crate) from: u32,
    /// Out-link.
    pub(crate) to: u32,
    /// Phases that give it green, one bit per phase.
    pub(crate) phases: u64,
    /// Slots a crossing uses in slotted discharge: 1, or ⌈1 / permitted factor⌉ rounded for a
    /// permitted left.
    pub(crate) slots: u32,
    /// Time a crossing occupies the stop line in continuous discharge: h / permitted factor [s].
    pub(crate) headway: f64,
    /// Saturation flow per lane after the permitted factor [veh/h/lane].
    pub(crate) saturation: f64,
    /// Lanes of its in-link.
    pub(crate) lanes: u32,
}

/// A signalised node.
#[derive(Clone, Debug)]
pub(crate) struct Junction {
    /// Movements of each phase (indices into [`Network::movements`]).
    pub(crate) phases: Vec<Vec<u32>>,
    /// Its movements (contiguous: movements are grouped by node).
    pub(crate) movements: Range<u32>,
    /// Its in-links (the approaches).
    pub(crate) approaches: Vec<u32>,
}

/// The network of a replication.
#[derive(Clone, Debug)]
pub(crate) struct Network {
    pub(crate) links: Vec<Link>,
    pub(crate) movements: Vec<Movement>,
    /// Signalised nodes (they come first among the config's nodes).
    pub(crate) junctions: Vec<Junction>,
}

impl Network {
    /// The network of `config`.
    pub(crate) fn new(config: &CityConfig) -> Self {
        let net = &config.network;
        let mut links: Vec<Link> = net
            .links
            .iter()
            .map(|l| Link {
                tau: l.length / l.speed,
                storage: if config.point_queue { UNLIMITED } else { l.storage },
                headway: 3600.0 / (l.saturation * f64::from(l.lanes)),
                exit: net.nodes[l.to as usize].control.is_none(),
                movements: 0..0,
            })
            .collect();
        let mut movements = Vec::with_capacity(net.movements.len());
        for (i, m) in net.movements.iter().enumerate() {
            let i = i as u32;
            let link = &mut links[m.from as usize];
            if link.movements.start == link.movements.end {
                link.movements = i..i + 1;
            } else {
                link.movements.end = i + 1;
            }
            let cfg = &net.links[m.from as usize];
            movements.push(Movement {
                node: m.node,
                from: m.from,
                to: m.to,
                phases: 0,
                slots: (1.0 / m.permitted_factor).round().max(1.0) as u32,
                headway: link.headway / m.permitted_factor,
                saturation: cfg.saturation * m.permitted_factor,
                lanes: cfg.lanes,
            });
        }
        let signalised = net.nodes.iter().take_while(|n| n.control.is_some()).count();
        // Movements are grouped by node, so each junction's are one range.
        let mut ranges = vec![0..0; signalised];
        for (i, m) in movements.iter().enumerate() {
            let (i, r) = (i as u32, &mut ranges[m.node as usize]);
            if r.start == r.end {
                *r = i..i + 1;
            } else {
                r.end = i + 1;
            }
        }
        let mut junctions = Vec::with_capacity(signalised);
        for (node, range) in net.nodes.iter().zip(ranges) {
            let Some(control) = &node.control else { break };
            for (p, phase) in control.phases.iter().enumerate() {
                for &m in phase {
                    movements[m as usize].phases |= 1 << p;
                }
            }
            let mut approaches: Vec<u32> = range.clone().map(|m| movements[m as usize].from).collect();
            approaches.dedup();
            junctions.push(Junction { phases: control.phases.clone(), movements: range, approaches });
        }
        Network { links, movements, junctions }
    }

    /// The movement from `link` into `next`, if `link` has one.
    #[inline]
    pub(crate) fn movement(&self, link: u32, next: u32) -> Option<u32> {
        let range = self.links[link as usize].movements.clone();
        range.into_iter().find(|&m| self.movements[m as usize].to == next)
    }
}
