//! The predict kind on the host side: a [`PredictorInstance`] fits and predicts through a
//! predictor plugin and checks shapes and finiteness.

use std::ffi::c_void;

use xinzhi_plugin::abi::{ComponentKind, MatrixRef, PredictorVTable, SliceRef};

use super::{HostKind, VTable, sized};
use crate::plugin::instance::{RawInstance, Services, create};
use crate::plugin::{CallError, Component};

/// The predict kind in the host's table.
pub(crate) const KIND: HostKind = HostKind { kind: ComponentKind::PREDICTOR, read: read_vtable };

/// # Safety
/// As for [`HostKind::read`].
unsafe fn read_vtable(ptr: *const c_void) -> Result<VTable, String> {
    // SAFETY: forwarded.
    unsafe { sized::<PredictorVTable>(ptr) }.map(VTable::new)
}

/// A predictor instance.
pub struct PredictorInstance {
    raw: RawInstance,
    vt: &'static PredictorVTable,
}

impl std::fmt::Debug for PredictorInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredictorInstance").field("plugin", &self.raw.name()).finish_non_exhaustive()
    }
}

impl PredictorInstance {
    fn matrix(&self, call: &'static str, x: &[f64], cols: usize) -> Result<MatrixRef, CallError> {
        if cols == 0 || !x.len().is_multiple_of(cols) {
            return Err(self.raw.error(call, None, format!("{} values do not fill rows of {cols}", x.len())));
        }
        Ok(MatrixRef { data: x.as_ptr(), rows: x.len() / cols, cols })
    }

    /// Fits to the row-major matrix `x` (`cols` columns) and targets `y` (one per row).
    ///
    /// # Errors
    /// Shape mismatch, or the plugin's error or panic.
    pub fn fit(&mut self, x: &[f64], cols: usize, y: &[f64]) -> Result<(), CallError> {
        let m = self.matrix("fit", x, cols)?;
        if y.len() != m.rows {
            return Err(self.raw.error("fit", None, format!("{} targets for {} rows", y.len(), m.rows)));
        }
        let vt = self.vt;
        // SAFETY: inputs valid for the call.
        self.raw.call("fit", |inst, err| {
            // SAFETY: inputs valid for the call.
            unsafe { (vt.fit)(inst, m, SliceRef::new(y), err) }
        })
    }

    /// Predicts one value per row of `x`; every prediction must be finite.
    ///
    /// # Errors
    /// Shape mismatch, the plugin's error or panic, or a non-finite prediction.
    pub fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<f64>, CallError> {
        let m = self.matrix("predict", x, cols)?;
        let mut out = vec![0.0; m.rows];
        let vt = self.vt;
        let (buf, len) = (out.as_mut_ptr(), out.len());
        // SAFETY: inputs valid for the call; `buf` holds `len` values.
        self.raw.call("predict", |inst, err| {
            // SAFETY: inputs valid for the call; `buf` holds `len` values.
            unsafe { (vt.predict)(inst, m, buf, len, err) }
        })?;
        if let Some((row, v)) = out.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(self.raw.error("predict", None, format!("predicted {v} for row {row}")));
        }
        Ok(out)
    }
}

impl Component {
    /// A new predictor instance.
    ///
    /// # Errors
    /// As for [`Component::scheduler`].
    pub fn predictor(&self, params_json: &str, services: Services) -> Result<PredictorInstance, CallError> {
        let vt: &'static PredictorVTable = self.vtable_as("predictor")?;
        Ok(PredictorInstance { raw: create(self, vt.create, vt.destroy, params_json, services)?, vt })
    }
}
