//! Moved to [`crate::util::suggest`]; this path stays until the scenario loader imports it there.
pub(crate) use crate::util::suggest::*;
