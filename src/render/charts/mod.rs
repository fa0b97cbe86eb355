//! Charts for the monthly report, in the visual family of the reliability
//! diagram in [`super::png`] (same font, palette, grid, ticks and marks):
//!
//! * [`SharpnessChart`]: how often each probability level was used;
//! * [`SmallMultiples`]: one small reliability panel per forecaster;
//! * [`BrierOverTime`]: monthly Brier score lines with gaps;
//! * [`Leaderboard`]: Brier scores with 95% intervals, one row per forecaster.
//!
//! The overall reliability diagram with the CORP curve is
//! [`super::png::render_reliability_corp_png`].
//!
//! Every chart takes plain data, sizes its own canvas (some grow with the
//! number of items), and renders either to an [`RgbImage`] or to a PNG file.
//! Untrusted names are cleaned (control and bidi characters dropped) and
//! shortened with an ellipsis to fit; non-finite numbers are skipped; no input
//! makes a chart panic.

mod brier_time;
mod leaderboard;
mod sharpness;
mod small_multiples;

pub use super::draw::RgbImage;
pub use brier_time::{
    BRIER_OVER_TIME_SIZE, BrierOverTime, Series, render_brier_over_time_png,
    render_brier_over_time_rgb,
};
pub use leaderboard::{
    LEADERBOARD_WIDTH, LeaderRow, Leaderboard, MAX_ROWS, leaderboard_size, render_leaderboard_png,
    render_leaderboard_rgb,
};
pub use sharpness::{SHARPNESS_SIZE, SharpnessChart, render_sharpness_png, render_sharpness_rgb};
pub use small_multiples::{
    COLUMNS, MAX_PANELS, Panel, SHEET_WIDTH, SmallMultiples, render_small_multiples_png,
    render_small_multiples_rgb, small_multiples_size,
};

/// Test helpers shared by the chart modules.
#[cfg(test)]
pub(crate) mod testutil {
    use std::fs::File;
    use std::path::{Path, PathBuf};

    pub fn tmp_path(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hindsight-charts-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// Decode an RGB PNG: (width, height, pixels).
    pub fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
        let dec = ::png::Decoder::new(File::open(path).unwrap());
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, ::png::ColorType::Rgb);
        assert_eq!(info.bit_depth, ::png::BitDepth::Eight);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    pub fn non_white(rgb: &[u8]) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| p != &[255, 255, 255])
            .count()
    }

    /// Pixels close to `c` (each channel within `tol`).
    pub fn near(rgb: &[u8], c: (u8, u8, u8), tol: u8) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| {
                p[0].abs_diff(c.0) <= tol && p[1].abs_diff(c.1) <= tol && p[2].abs_diff(c.2) <= tol
            })
            .count()
    }

    /// Write through the PNG path, decode, and check size and ink.
    pub fn check_png(
        write: impl FnOnce(&Path) -> anyhow::Result<()>,
        name: &str,
        expect: (u32, u32),
    ) -> Vec<u8> {
        let path = tmp_path(name);
        write(&path).unwrap();
        let (w, h, rgb) = decode(&path);
        assert_eq!((w, h), expect, "{name}: size");
        let ink = non_white(&rgb);
        let total = (w * h) as usize;
        assert!(ink > total / 100, "{name}: too blank ({ink} of {total})");
        assert!(ink < total * 2 / 3, "{name}: too dark ({ink} of {total})");
        std::fs::remove_file(&path).unwrap();
        rgb
    }

    /// Hostile names: long, non-ASCII, right-to-left, control characters.
    pub fn hostile_names() -> Vec<String> {
        vec![
            String::new(),
            "   ".into(),
            "Dr. Maximilian Alexander Konstantin von Hohenzollern-Sigmaringen ".repeat(8),
            "Ирина Ковалёва-Преображенская".into(),
            "李伟 (北京大学国际关系学院)".into(),
            "مريم الحسيني".into(),
            "evil\u{202E}txt.exe\u{1b}[31m\nnew line\ttab\u{0}".into(),
            "🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊".into(),
            "x".repeat(100_000),
        ]
    }
}
