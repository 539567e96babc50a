#!/usr/bin/env python3
"""M/M/1 written idiomatically in SimPy: the slow reference of tests/bench/mm1.sh.

Same model and KPIs as tests/bench/mm1-rho09.toml and bare_mm1.rs: a source process creating
customers with exponential gaps, one `simpy.Resource` of capacity 1 serving them FIFO with
exponential service times, measured over [0, horizon]. Python's `random` cannot reproduce the
framework's ChaCha8 streams, so results agree only statistically (Wq = 9 at rho = 0.9).

Usage: mm1_simpy.py [--horizon H] [--seed S] [--interarrival-mean A] [--service-mean B]
Prints `name value` lines like bare-mm1; `events` counts arrivals + departures (the framework's
calendar entries), not SimPy's internal events, so events/s are comparable per model event.
"""

import argparse
import random

import simpy


class TimeAverage:
    """Time average of a piecewise-constant level, updated at every change."""

    def __init__(self, env):
        self.env = env
        self.level = 0
        self.since = 0.0
        self.area = 0.0

    def set(self, level):
        now = self.env.now
        self.area += self.level * (now - self.since)
        self.since = now
        self.level = level

    def mean(self, end):
        return (self.area + self.level * (end - self.since)) / end


class Stats:
    def __init__(self, env):
        self.wip = TimeAverage(env)
        self.queue = TimeAverage(env)
        self.busy = TimeAverage(env)
        self.arrivals = 0
        self.completed = 0
        self.cycle_sum = 0.0
        self.wait_sum = 0.0


def customer(env, server, service_rng, service_mean, stats):
    arrived = env.now
    stats.arrivals += 1
    stats.wip.set(stats.wip.level + 1)
    with server.request() as req:
        stats.queue.set(len(server.queue))
        yield req
        stats.queue.set(len(server.queue))
        stats.busy.set(server.count)
        waited = env.now - arrived
        yield env.timeout(service_rng.expovariate(1.0 / service_mean))
    stats.busy.set(server.count)
    stats.wip.set(stats.wip.level - 1)
    stats.completed += 1
    stats.cycle_sum += env.now - arrived
    stats.wait_sum += waited


def source(env, server, arrival_rng, service_rng, args, stats):
    while True:
        yield env.timeout(arrival_rng.expovariate(1.0 / args.interarrival_mean))
        env.process(customer(env, server, service_rng, args.service_mean, stats))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--horizon", type=float, default=1111111.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--interarrival-mean", type=float, default=1.1111111111111112)
    p.add_argument("--service-mean", type=float, default=1.0)
    args = p.parse_args()

    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    stats = Stats(env)
    arrival_rng = random.Random(args.seed)
    service_rng = random.Random(args.seed + 1)
    env.process(source(env, server, arrival_rng, service_rng, args, stats))
    env.run(until=args.horizon)

    h = args.horizon
    print(f"cycle_time_mean {stats.cycle_sum / stats.completed!r}")
    print(f"queue_mean.server {stats.queue.mean(h)!r}")
    print(f"throughput {stats.completed / h!r}")
    print(f"utilization.server {stats.busy.mean(h)!r}")
    print(f"wait_time_mean {stats.wait_sum / stats.completed!r}")
    print(f"wip_mean {stats.wip.mean(h)!r}")
    print(f"events {stats.arrivals + stats.completed}")
    print(f"arrivals {stats.arrivals}")
    print(f"completions {stats.completed}")


if __name__ == "__main__":
    main()
