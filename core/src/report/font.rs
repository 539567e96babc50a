//! The one font the charts measure text with: DejaVu Sans, embedded.
//!
//! plotters' `ab_glyph` text needs a registered font even for SVG output (it measures text to
//! place labels). The font is registered once per process as `sans-serif`; the SVG names that
//! family, and the page's style sheet asks browsers for DejaVu Sans first, so the page looks
//! as measured where DejaVu is installed and falls back to the browser's sans-serif elsewhere.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

/// DejaVu Sans (Bitstream Vera licence: `core/assets/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family name charts use.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the font (once); `false` if it could not be parsed.
pub(crate) fn ensure_registered() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
            && register_font(FAMILY, FontStyle::Bold, DEJAVU_SANS).is_ok()
    })
}
