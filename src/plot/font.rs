//! The embedded `DejaVu Sans` font and its one-time registration with plotters.
//!
//! Text is rendered with `DejaVu Sans` embedded in the binary and registered
//! with plotters under the family `"sans-serif"`, so figures render the same
//! on a machine without any system fonts (CI containers, minimal servers).

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

/// `DejaVu Sans` (regular), embedded so that text renders without system fonts.
/// Licence: `assets/fonts/LICENSE-DejaVu.txt`.
pub(super) static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Font family every text style in this module asks for; the embedded font is
/// registered under this name.
pub(super) const FONT_FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters exactly once per process.
///
/// The outcome is cached, so a font that fails to parse is reported on every
/// call rather than only the first.
pub(super) fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_owned())
        })
        .clone()
}
