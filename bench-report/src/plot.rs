//! The ratio plot: one horizontal bar per benchmark, gosched's speed over tokio's, with a
//! line at 1 (parity). Drawn with plotters' bitmap backend; text goes through `ab_glyph` with
//! a TTF file read at run time, so nothing about fonts is needed at build time. Without a
//! font file the bars are drawn unlabelled, numbered top to bottom as in the markdown table.

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::path::Path;

/// Where a TTF is looked for (Debian's and Fedora's DejaVu, Liberation); `BENCH_FONT` first.
const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
];

const WIDTH: u32 = 1100;
const BAR: i32 = 26;
const GAP: i32 = 10;
const TOP: i32 = 60;
const LABEL_W: i32 = 380;
const RIGHT: i32 = 90;

/// Registers the first font found as "sans-serif"; whether text can be drawn.
fn load_font() -> bool {
    let env = std::env::var("BENCH_FONT").ok();
    let candidates = env
        .iter()
        .map(String::as_str)
        .chain(FONT_CANDIDATES.iter().copied());
    for path in candidates {
        if let Ok(bytes) = std::fs::read(path) {
            // plotters keeps fonts for the life of the process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                return true;
            }
        }
    }
    false
}

/// The plot's range: powers of two around 1 that hold every ratio (and at least ½..2).
fn range(bars: &[(String, f64)]) -> (i32, i32) {
    let finite = bars.iter().map(|b| b.1).filter(|r| r.is_finite() && *r > 0.0);
    let (lo, hi) = finite.fold((0.5_f64, 2.0_f64), |(lo, hi), r| (lo.min(r), hi.max(r)));
    (lo.log2().floor() as i32, hi.log2().ceil() as i32)
}

/// Draws `bars` (label, ratio) to `path` on a log2 axis, each bar from 1 (parity) to its
/// ratio; returns whether the labels could be drawn.
pub fn draw(path: &Path, bars: &[(String, f64)]) -> Result<bool, Box<dyn std::error::Error>> {
    let text = load_font();
    let n = bars.len().max(1) as i32;
    let height = (TOP + n * (BAR + GAP) + 50) as u32;
    let root = BitMapBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let left = if text { LABEL_W } else { 20 };
    let right = WIDTH as i32 - RIGHT;
    let (lo, hi) = range(bars);
    let x = |r: f64| {
        let t = (r.log2().clamp(lo as f64, hi as f64) - lo as f64) / (hi - lo) as f64;
        left + ((right - left) as f64 * t) as i32
    };
    let bottom = TOP + n * (BAR + GAP);
    let font = |size| ("sans-serif", size).into_font();

    // A grid line at each power of two, parity in black.
    for e in lo..=hi {
        let tick = 2f64.powi(e);
        let (color, width) = if e == 0 {
            (BLACK, 2)
        } else {
            (RGBColor(215, 215, 215), 1)
        };
        let line = vec![(x(tick), TOP - 8), (x(tick), bottom)];
        root.draw(&PathElement::new(line, color.stroke_width(width)))?;
        if text {
            let label = if e >= 0 {
                format!("{tick}")
            } else {
                format!("1/{}", 1 << -e)
            };
            root.draw(&Text::new(label, (x(tick) - 8, bottom + 6), font(16)))?;
        }
    }
    for (i, (label, ratio)) in bars.iter().enumerate() {
        let y = TOP + i as i32 * (BAR + GAP);
        let color = if *ratio >= 1.0 {
            RGBColor(46, 139, 87)
        } else {
            RGBColor(214, 96, 77)
        };
        let (a, b) = (x(1.0).min(x(*ratio)), x(1.0).max(x(*ratio)));
        root.draw(&Rectangle::new([(a, y), (b.max(a + 2), y + BAR)], color.filled()))?;
        if text {
            root.draw(&Text::new(format!("{}. {label}", i + 1), (10, y + 5), font(16)))?;
            root.draw(&Text::new(format!("{ratio:.2}"), (b + 6, y + 5), font(16)))?;
        }
    }
    if text {
        let title = "gosched speed / tokio speed, log scale (right of 1: gosched faster), 2 workers";
        root.draw(&Text::new(title, (10, 15), font(22)))?;
    }
    root.present()?;
    Ok(text)
}
