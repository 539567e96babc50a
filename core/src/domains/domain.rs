//! The [`Domain`] abstraction: what a domain owns, and the one-step [`Setup`] it is built in.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::fmt::Debug;

use bevy_ecs::world::World;
use serde::Serialize;
use toml::Spanned;
use toml::de::DeValue;

use crate::engine::{Ctx, ModelError};
use crate::plugin::{ComponentKind, Registry};
use crate::record::{Catalogue, KindId, KindInfo, add_kind};
use crate::rng::{StreamKey, StreamRng};
use crate::time::{SimTime, TimeUnit};
use crate::validate::{PluginRef, ScenarioError, ValidationCtx};

/// A domain of the simulator: one folder under `core/src/domains/` and one registration line in
/// `domains/mod.rs`.
///
/// It owns its root table in the scenario ([`Domain::NAME`]), its raw → validated config with
/// located errors, its plugin references, its record kinds, its events and handlers, its stepped
/// systems and its random-stream identities. The rest of the core knows it only through this
/// trait. The implementing type is the built model of one replication.
pub trait Domain: Sized + 'static {
    /// The domain's name: its root table (`[factory]`) and its name in `[scenario] domain(s)`.
    const NAME: &'static str;

    /// Whether the domain's stream identities and record kinds go without its name as a prefix.
    /// Only the factory does: its identities and metric names predate regions, and published
    /// numbers must not move. Every other domain's are scoped (`city/source:orders`,
    /// `city.delay_mean`), so two domains never share a random stream or a metric name.
    const UNSCOPED: bool = false;

    /// The validated configuration.
    type Config: Clone + Debug + PartialEq + Serialize + Send + Sync + 'static;

    /// The payload of the domain's calendar entries: small and `Copy` (ids, not objects).
    type Event: Copy + Debug + Send + 'static;

    /// Validates the domain's root table. Errors name file, line, column and key.
    ///
    /// # Errors
    /// Whatever in the table is invalid, located.
    fn parse(table: &Spanned<DeValue<'_>>, ctx: &ValidationCtx<'_>) -> Result<Self::Config, ScenarioError>;

    /// Every plugin reference of the config, with the kind of component each needs.
    fn plugin_refs(config: &Self::Config) -> Vec<(&PluginRef, ComponentKind)> {
        let _ = config;
        Vec::new()
    }

    /// What the domain reads from the exchange (see [`super::exchange`]); the region provides
    /// those feeds before any domain is built.
    fn reads(config: &Self::Config) -> Vec<super::exchange::Topic> {
        let _ = config;
        Vec::new()
    }

    /// The metrics worth a headline (the terminal's and the report's key metrics), in the
    /// domain's own names (`delay_mean`, not `city.delay_mean`). Empty: every metric without a
    /// `.` qualifier is a headline.
    fn key_metrics(config: &Self::Config) -> Vec<&'static str> {
        let _ = config;
        Vec::new()
    }

    /// Declares the record kinds the config will report, from the config alone (collectors
    /// declare their metrics from it before anything runs). `build` must declare the same.
    fn declare(config: &Self::Config, kinds: &mut Kinds<'_>);

    /// The expected work and the cautions of one replication, from the config alone.
    fn preflight(config: &Self::Config, run: RunShape) -> Preflight;

    /// Builds the domain for one replication in one step: populates the World, takes its random
    /// streams and plugin instances, declares its kinds, schedules its first entries and adds
    /// its steppers. `R` is the run's root event type.
    ///
    /// # Errors
    /// A plugin instance that cannot be created, or a first entry that cannot be scheduled.
    fn build<R: From<Self::Event> + 'static>(
        config: &Self::Config,
        setup: &mut Setup<'_, R>,
    ) -> Result<Self, ModelError>;

    /// Reacts to one of its calendar entries at `ctx.now()`.
    ///
    /// # Errors
    /// A model error stops the replication.
    fn handle<R: From<Self::Event>>(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<R>,
        event: Self::Event,
    ) -> Result<(), ModelError>;

    /// Brings the World copies of the domain's hot state up to date (components others read,
    /// messages it publishes on the exchange). Called before another domain's entry or a step
    /// runs, so whoever reads the World sees it current.
    fn publish(&mut self, world: &mut World) {
        let _ = world;
    }

    /// Reacts to what a stepped system (its own or another's) just wrote in the World: the
    /// engine calls it after every step; the domain may schedule entries in response.
    ///
    /// # Errors
    /// A model error stops the replication.
    fn stepped<R: From<Self::Event>>(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<R>,
    ) -> Result<(), ModelError> {
        let _ = (world, ctx);
        Ok(())
    }

    /// One of its events in words, for error messages (cold path).
    fn describe(&self, event: &Self::Event) -> String;
}

/// What a scenario says about the run as a whole, for [`Domain::preflight`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunShape {
    /// End of each replication [time unit].
    pub horizon: SimTime,
    /// The scenario's time unit.
    pub time_unit: TimeUnit,
}

/// What a scenario's rates say before it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Preflight {
    /// Expected calendar entries of one replication (the unit of engine work; `+∞` when it
    /// does not fit in an `f64`). An estimate from mean rates, not a bound.
    pub events_per_replication: f64,
    /// Cautions found from the rates alone, e.g. a resource whose offered load is ≥ 1;
    /// `variant` is `None` (the caller knows which scenario it asked about).
    pub warnings: Vec<crate::diagnostics::Warning>,
}

/// Record kinds being declared by one domain, named in its scope.
///
/// Kind ids are global to the run (one record stream, one catalogue): each domain's start
/// after the previous domain's, in registration order.
pub struct Kinds<'a> {
    catalogue: &'a mut Catalogue,
    prefix: Option<&'static str>,
}

impl<'a> Kinds<'a> {
    /// Kinds of domain `D`, added to `catalogue`.
    pub fn of<D: Domain>(catalogue: &'a mut Catalogue) -> Self {
        Kinds { catalogue, prefix: (!D::UNSCOPED).then_some(D::NAME) }
    }

    /// Adds a kind (its name and metric names prefixed with the domain unless unscoped) and
    /// returns its id.
    pub fn add(&mut self, mut info: KindInfo) -> KindId {
        if let Some(prefix) = self.prefix {
            info.name = format!("{prefix}.{}", info.name);
            info.metric = format!("{prefix}.{}", info.metric);
            if let Some(rate) = &mut info.rate_metric {
                *rate = format!("{prefix}.{rate}");
            }
        }
        add_kind(self.catalogue, info)
    }

    /// A kind already added, to change it (e.g. to give it a rate metric, named in scope).
    pub fn rate(&mut self, kind: KindId, metric: &str, unit: &str, description: &str) {
        let metric = match self.prefix {
            Some(prefix) => format!("{prefix}.{metric}"),
            None => metric.to_owned(),
        };
        let info = &mut self.catalogue.kinds[kind.0 as usize];
        *info = info.clone().rate(metric, unit, description);
    }
}

/// Everything a domain's [`Domain::build`] may use, for one replication.
pub struct Setup<'a, R> {
    /// The World shared by every domain of the region.
    pub world: &'a mut World,
    /// The engine context: schedule first entries, add steppers, record.
    pub ctx: &'a mut Ctx<R>,
    /// The run's plugin components.
    pub registry: &'a Registry,
    /// Whether anything besides the domain's own handlers may read the World during the run
    /// (another domain of a region, a stepped system). When not, a domain may skip keeping its
    /// World copies current: no one would see them.
    pub observed: bool,
    catalogue: &'a mut Catalogue,
    scope: Option<&'static str>,
}

impl<'a, R> Setup<'a, R> {
    /// A setup for domain `D`.
    pub(crate) fn new<D: Domain>(
        world: &'a mut World,
        ctx: &'a mut Ctx<R>,
        registry: &'a Registry,
        catalogue: &'a mut Catalogue,
        observed: bool,
    ) -> Self {
        Setup { world, ctx, registry, observed, catalogue, scope: (!D::UNSCOPED).then_some(D::NAME) }
    }

    /// Where the domain declares its record kinds (the same as in [`Domain::declare`]).
    pub fn kinds(&mut self) -> Kinds<'_> {
        Kinds { catalogue: self.catalogue, prefix: self.scope }
    }

    /// The identity of a stream of this domain: `identity` itself for an unscoped domain,
    /// `<domain>/<identity>` otherwise.
    pub fn identity(&self, identity: &str) -> String {
        match self.scope {
            Some(scope) => format!("{scope}/{identity}"),
            None => identity.to_owned(),
        }
    }

    /// The random stream of `(identity, purpose)` in this domain's scope.
    pub fn stream(&self, identity: &str, purpose: &str) -> StreamRng {
        self.ctx.stream(StreamKey::new(&self.identity(identity), purpose))
    }

    /// The stream number of `(identity, purpose)` in this domain's scope, e.g. to salt the
    /// per-entity streams of [`crate::rng::entity_stream`].
    pub fn salt(&self, identity: &str, purpose: &str) -> u64 {
        StreamKey::new(&self.identity(identity), purpose).stream_id()
    }
}
