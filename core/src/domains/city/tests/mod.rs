//! Unit tests of the city on tiny networks with hand-worked traces.
