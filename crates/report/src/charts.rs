//! Charts written as plain SVG, and rasterised to PNG from that same SVG
//! (resvg), so both print alike. Drawn by hand rather than with a plotting
//! library because print needs control a plotting library's defaults do
//! not give: labels wrapped instead of cut, the `n` behind every bar and
//! point, legends in their own band above the data, integers on count axes,
//! and sparse months merged or greyed.
//!
//! Sized for a Markdown column or a journal column (880 px wide, fonts of
//! 12 px and up); PNGs are rendered at twice that for print.

use crate::stats::wilson_interval;
use std::fmt::Write as _;
use std::sync::Arc;

const WIDTH: f64 = 880.0;
const MARGIN: f64 = 16.0;
const FONT: &str = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";
const TITLE_SIZE: f64 = 18.0;
const LABEL_SIZE: f64 = 13.0;
const SMALL_SIZE: f64 = 11.5;
/// Average advance of a character of a sans-serif font, per px of size:
/// DejaVu Sans (the widest common one) is about 0.6, so text never
/// overflows the width it was wrapped to.
const CHAR_WIDTH: f64 = 0.6;

/// The colours a bar or a line can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ink {
    Ours,
    Published,
    Corrected,
    Second,
    Third,
    Sparse,
}

impl Ink {
    fn rgb(self) -> &'static str {
        match self {
            Ink::Ours => "#1f77b4",
            Ink::Published => "#9a9a9a",
            Ink::Corrected => "#e6730f",
            Ink::Second => "#d62728",
            Ink::Third => "#2ca02c",
            Ink::Sparse => "#c4c4c4",
        }
    }
}

/// One horizontal bar; `whisker` is a 95% interval drawn across it, `note`
/// is written after it (the value and the `n` behind it).
#[derive(Debug, Clone)]
pub struct Bar {
    pub value: f64,
    pub whisker: Option<(f64, f64)>,
    pub ink: Ink,
    pub note: String,
}

/// A labelled group of bars (one bar for a plain category chart).
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub bars: Vec<Bar>,
}

/// How the x axis of a bar chart is numbered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// 0–100, ticks as `40%`.
    Percent,
    /// 0 to the largest value, ticks as whole numbers.
    Count,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Splits `text` into lines of at most `width` px at `size`, breaking at
/// spaces, slashes and hyphens; a word longer than a line is broken inside.
pub fn wrap(text: &str, width: f64, size: f64) -> Vec<String> {
    let max = ((width / (size * CHAR_WIDTH)).floor() as usize).max(4);
    let mut lines = Vec::new();
    let mut line = String::new();
    // Keep the break character with the part before it.
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        word.push(c);
        if matches!(c, ' ' | '/' | '-' | '_') {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    for w in words {
        if line.chars().count() + w.trim_end().chars().count() > max && !line.is_empty() {
            lines.push(line.trim_end().to_string());
            line.clear();
        }
        let mut w = w.as_str();
        while w.trim_end().chars().count() > max {
            let cut: String = w.chars().take(max).collect();
            lines.push(cut.clone());
            w = &w[cut.len()..];
        }
        line.push_str(w);
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

struct Svg {
    body: String,
}

impl Svg {
    fn new() -> Self {
        Svg {
            body: String::new(),
        }
    }

    fn text(&mut self, x: f64, y: f64, size: f64, anchor: &str, fill: &str, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
            esc(text)
        );
    }

    fn lines(&mut self, x: f64, y: f64, size: f64, anchor: &str, lines: &[String]) {
        for (i, l) in lines.iter().enumerate() {
            self.text(x, y + i as f64 * size * 1.2, size, anchor, "#222", l);
        }
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{fill}"/>"#,
            w.max(0.0)
        );
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{width}"/>"#
        );
    }

    fn finish(self, height: f64, title: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height:.0}\" \
             viewBox=\"0 0 {WIDTH} {height:.0}\" font-family=\"{FONT}\">\n<title>{}</title>\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{}</svg>\n",
            esc(title),
            self.body
        )
    }
}

/// The title (wrapped) and the legend in their own band above the data;
/// returns the y where the data may start.
fn header(svg: &mut Svg, title: &str, legend: &[(Ink, &str)]) -> f64 {
    let mut y = MARGIN + TITLE_SIZE;
    for l in wrap(title, WIDTH - 2.0 * MARGIN, TITLE_SIZE) {
        let _ = writeln!(
            svg.body,
            r##"<text x="{MARGIN}" y="{y:.1}" font-size="{TITLE_SIZE}" font-weight="bold" fill="#111">{}</text>"##,
            esc(&l)
        );
        y += TITLE_SIZE * 1.25;
    }
    if !legend.is_empty() {
        y += 4.0;
        let mut x = MARGIN;
        for (ink, text) in legend {
            let w = 18.0 + text.chars().count() as f64 * SMALL_SIZE * CHAR_WIDTH + 18.0;
            if x + w > WIDTH - MARGIN && x > MARGIN {
                x = MARGIN;
                y += SMALL_SIZE * 1.6;
            }
            svg.rect(x, y - SMALL_SIZE + 1.0, 12.0, 12.0, ink.rgb());
            svg.text(x + 18.0, y, SMALL_SIZE, "start", "#222", text);
            x += w;
        }
        y += SMALL_SIZE * 0.8;
    }
    y + 10.0
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) for about `ticks` ticks.
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let n = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    n * mag
}

/// Horizontal bars in labelled groups, top to bottom. Labels wrap in a
/// left column; each bar's note is written after its end.
pub fn hbars(
    title: &str,
    x_desc: &str,
    groups: &[Group],
    scale: Scale,
    legend: &[(Ink, &str)],
) -> Option<String> {
    if groups.iter().all(|g| g.bars.is_empty()) {
        return None;
    }
    // The label column fits the longest label, up to a third of the width
    // (longer ones wrap).
    let label_w = groups
        .iter()
        .map(|g| g.label.chars().count() as f64 * LABEL_SIZE * CHAR_WIDTH + 4.0)
        .fold(60.0, f64::max)
        .min(250.0);
    let note_w = groups
        .iter()
        .flat_map(|g| &g.bars)
        .map(|b| b.note.chars().count() as f64 * SMALL_SIZE * CHAR_WIDTH)
        .fold(0.0, f64::max)
        .min(240.0);
    let x0 = MARGIN + label_w + 10.0;
    let x1 = WIDTH - MARGIN - note_w - 8.0;
    let largest = groups
        .iter()
        .flat_map(|g| &g.bars)
        .map(|b| b.whisker.map_or(b.value, |w| w.1.max(b.value)))
        .fold(0.0, f64::max);
    let (max, step) = match scale {
        Scale::Percent => (100.0, 20.0),
        Scale::Count => {
            let step = nice_step(largest.max(1.0), 5.0).max(1.0).round();
            (((largest / step).ceil() * step).max(step), step)
        }
    };
    let sx = |v: f64| x0 + (v.clamp(0.0, max) / max) * (x1 - x0);
    let mut svg = Svg::new();
    let mut y = header(&mut svg, title, legend);
    let top = y;
    // Bars go into their own layer, drawn over the grid once its height is known.
    let mut grid = Svg::new();
    let bar_h = 16.0;
    let gap = 6.0;
    for g in groups {
        let lines = wrap(&g.label, label_w, LABEL_SIZE);
        let bars_h = g.bars.len() as f64 * (bar_h + 4.0);
        let label_h = lines.len() as f64 * LABEL_SIZE * 1.2;
        let h = bars_h.max(label_h) + gap;
        let label_y = y + (h - gap - label_h) / 2.0 + LABEL_SIZE;
        svg.lines(x0 - 8.0, label_y, LABEL_SIZE, "end", &lines);
        let mut by = y + (h - gap - bars_h) / 2.0;
        for b in &g.bars {
            svg.rect(x0, by + 2.0, sx(b.value) - x0, bar_h, b.ink.rgb());
            let mut end = sx(b.value);
            if let Some((lo, hi)) = b.whisker {
                let cy = by + 2.0 + bar_h / 2.0;
                svg.line(sx(lo), cy, sx(hi), cy, "#111", 1.6);
                svg.line(sx(lo), cy - 5.0, sx(lo), cy + 5.0, "#111", 1.6);
                svg.line(sx(hi), cy - 5.0, sx(hi), cy + 5.0, "#111", 1.6);
                end = end.max(sx(hi));
            }
            svg.text(
                end + 6.0,
                by + 2.0 + bar_h - 3.5,
                SMALL_SIZE,
                "start",
                "#222",
                &b.note,
            );
            by += bar_h + 4.0;
        }
        y += h;
    }
    // The axis, its ticks and its description.
    svg.line(x0, top - 4.0, x0, y, "#444", 1.0);
    svg.line(x0, y, x1, y, "#444", 1.0);
    let mut v = 0.0;
    while v <= max + 1e-9 {
        let x = sx(v);
        svg.line(x, y, x, y + 5.0, "#444", 1.0);
        if v > 0.0 {
            grid.line(x, top - 4.0, x, y, "#e4e4e4", 0.8);
        }
        let label = match scale {
            Scale::Percent => format!("{v:.0}%"),
            Scale::Count => format!("{}", v.round() as i64),
        };
        svg.text(x, y + 19.0, SMALL_SIZE, "middle", "#333", &label);
        v += step;
    }
    let desc = wrap(x_desc, x1 - x0, LABEL_SIZE);
    svg.lines((x0 + x1) / 2.0, y + 40.0, LABEL_SIZE, "middle", &desc);
    let height = y + 40.0 + desc.len() as f64 * LABEL_SIZE * 1.2 + MARGIN;
    grid.body.push_str(&svg.body);
    Some(grid.finish(height, title))
}

/// One x position of a line chart: a month, or several sparse months
/// merged, with the headline counts among the servers created then.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub label: String,
    pub servers: i64,
    /// Numerators, one per series.
    pub counts: Vec<i64>,
}

/// Buckets with fewer servers than this have shares too noisy to read: they
/// are merged with their neighbours, and one left over is drawn grey.
pub const SPARSE_BELOW: i64 = 20;
/// More x positions than this do not fit their labels at column width.
const MAX_BUCKETS: usize = 16;

/// Merges consecutive buckets, oldest first, until each holds at least
/// [`SPARSE_BELOW`] servers (a short tail joins the bucket before it);
/// when there are still too many to label, by quarter, then by year first.
pub fn merge_sparse(months: &[Bucket]) -> Vec<Bucket> {
    let mut buckets = months.to_vec();
    for period in [Period::Quarter, Period::Year] {
        if buckets.len() <= MAX_BUCKETS {
            break;
        }
        buckets = by_period(&buckets, period);
    }
    let mut out: Vec<Bucket> = Vec::new();
    let mut open: Option<(Bucket, String)> = None;
    for b in buckets {
        open = Some(match open {
            None => (b.clone(), b.label.clone()),
            Some((acc, first)) => (join(&acc, &b, &first), first),
        });
        if let Some((acc, _)) = &open {
            if acc.servers >= SPARSE_BELOW {
                out.push(acc.clone());
                open = None;
            }
        }
    }
    if let Some((tail, _)) = open {
        match out.pop() {
            Some(prev) => {
                let start = prev
                    .label
                    .split(" – ")
                    .next()
                    .unwrap_or(&prev.label)
                    .to_string();
                out.push(join(&prev, &tail, &start));
            }
            // Every bucket together is still sparse: one bucket, greyed.
            None => out.push(tail),
        }
    }
    out
}

/// `a` and `b` as one bucket labelled from `first` to the end of `b`.
fn join(a: &Bucket, b: &Bucket, first: &str) -> Bucket {
    let last = b.label.rsplit(" – ").next().unwrap_or(&b.label);
    Bucket {
        label: if first == last {
            first.to_string()
        } else {
            format!("{first} – {last}")
        },
        servers: a.servers + b.servers,
        counts: a.counts.iter().zip(&b.counts).map(|(x, y)| x + y).collect(),
    }
}

#[derive(Clone, Copy)]
enum Period {
    Quarter,
    Year,
}

fn by_period(buckets: &[Bucket], period: Period) -> Vec<Bucket> {
    let key = |label: &str| -> String {
        let start = label.split(" – ").next().unwrap_or(label);
        let year = start.get(..4).unwrap_or(start);
        match period {
            Period::Year => year.to_string(),
            Period::Quarter => {
                let q = start
                    .get(5..7)
                    .and_then(|m| m.parse::<u32>().ok())
                    .map_or(String::new(), |m| format!(" Q{}", m.div_ceil(3)));
                // A label that is already a quarter keeps it.
                if start.contains('Q') {
                    start.to_string()
                } else {
                    format!("{year}{q}")
                }
            }
        }
    };
    let mut out: Vec<Bucket> = Vec::new();
    for b in buckets {
        let k = key(&b.label);
        match out.last_mut() {
            Some(last) if last.label == k => {
                last.servers += b.servers;
                for (x, y) in last.counts.iter_mut().zip(&b.counts) {
                    *x += y;
                }
            }
            _ => out.push(Bucket {
                label: k,
                servers: b.servers,
                counts: b.counts.clone(),
            }),
        }
    }
    out
}

/// Shares over time: one line per series through the buckets, each point
/// with its 95% Wilson interval, the bucket's `n` under its label, and a
/// bucket still below [`SPARSE_BELOW`] drawn grey and left off the lines.
pub fn month_lines(
    title: &str,
    x_desc: &str,
    series: &[(&str, Ink)],
    buckets: &[Bucket],
) -> Option<String> {
    if buckets.is_empty() || series.is_empty() {
        return None;
    }
    let mut legend: Vec<(Ink, &str)> = series.iter().map(|(name, ink)| (*ink, *name)).collect();
    let sparse_note = format!("fewer than {SPARSE_BELOW} servers: grey, off the lines");
    if buckets.iter().any(|b| b.servers < SPARSE_BELOW) {
        legend.push((Ink::Sparse, &sparse_note));
    }
    let mut svg = Svg::new();
    let top = header(&mut svg, title, &legend) + 4.0;
    let plot_h = 260.0;
    let bottom = top + plot_h;
    let x0 = MARGIN + 48.0;
    let x1 = WIDTH - MARGIN;
    let slot = (x1 - x0) / buckets.len() as f64;
    let sy = |v: f64| bottom - v.clamp(0.0, 1.0) * plot_h;
    for t in 0..=5 {
        let v = t as f64 * 0.2;
        let y = sy(v);
        svg.line(
            x0,
            y,
            x1,
            y,
            if t == 0 { "#444" } else { "#e4e4e4" },
            if t == 0 { 1.0 } else { 0.8 },
        );
        svg.text(
            x0 - 6.0,
            y + 4.0,
            SMALL_SIZE,
            "end",
            "#333",
            &format!("{:.0}%", v * 100.0),
        );
    }
    svg.line(x0, top, x0, bottom, "#444", 1.0);
    // Series sit side by side within a slot so their intervals do not overlap.
    let dodge = (slot * 0.5 / series.len() as f64).min(8.0);
    for (k, (_, ink)) in series.iter().enumerate() {
        let offset = (k as f64 - (series.len() as f64 - 1.0) / 2.0) * dodge;
        let mut path: Vec<(f64, f64)> = Vec::new();
        let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
        for (i, b) in buckets.iter().enumerate() {
            let x = x0 + slot * (i as f64 + 0.5) + offset;
            let count = b.counts.get(k).copied().unwrap_or(0);
            let share = if b.servers > 0 {
                count as f64 / b.servers as f64
            } else {
                0.0
            };
            if b.servers < SPARSE_BELOW {
                let _ = writeln!(
                    svg.body,
                    r#"<circle cx="{x:.1}" cy="{:.1}" r="3.5" fill="white" stroke="{}" stroke-width="1.5"/>"#,
                    sy(share),
                    Ink::Sparse.rgb()
                );
                if !path.is_empty() {
                    segments.push(std::mem::take(&mut path));
                }
                continue;
            }
            let (lo, hi) = wilson_interval(count, b.servers);
            svg.line(x, sy(lo), x, sy(hi), ink.rgb(), 1.2);
            let _ = writeln!(
                svg.body,
                r#"<circle cx="{x:.1}" cy="{:.1}" r="3.5" fill="{}"/>"#,
                sy(share),
                ink.rgb()
            );
            path.push((x, sy(share)));
        }
        segments.push(path);
        for seg in segments.iter().filter(|s| s.len() > 1) {
            let points: Vec<String> = seg.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = writeln!(
                svg.body,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                points.join(" "),
                ink.rgb()
            );
        }
    }
    // Bucket labels, wrapped to the slot, and the n under each.
    let mut deepest: f64 = 0.0;
    for (i, b) in buckets.iter().enumerate() {
        let x = x0 + slot * (i as f64 + 0.5);
        let lines = wrap(&b.label, slot - 4.0, SMALL_SIZE);
        svg.lines(x, bottom + 16.0, SMALL_SIZE, "middle", &lines);
        let ny = bottom + 16.0 + lines.len() as f64 * SMALL_SIZE * 1.2;
        let fill = if b.servers < SPARSE_BELOW {
            "#888"
        } else {
            "#333"
        };
        svg.text(
            x,
            ny,
            SMALL_SIZE,
            "middle",
            fill,
            &format!("n={}", b.servers),
        );
        deepest = deepest.max(ny);
    }
    let desc = wrap(x_desc, x1 - x0, LABEL_SIZE);
    svg.lines((x0 + x1) / 2.0, deepest + 24.0, LABEL_SIZE, "middle", &desc);
    let height = deepest + 24.0 + desc.len() as f64 * LABEL_SIZE * 1.2 + MARGIN;
    Some(svg.finish(height, title))
}

/// The fonts PNGs are drawn with: the system's. Without any, text is left
/// out of the PNG (the SVG still has it), and a warning says so once.
pub fn fonts() -> Arc<resvg::usvg::fontdb::Database> {
    let mut db = resvg::usvg::fontdb::Database::new();
    db.load_system_fonts();
    if db.is_empty() {
        tracing::warn!(
            "no system fonts found: the PNG charts will have no text (the SVG charts have it)"
        );
    }
    Arc::new(db)
}

/// The SVG rasterised at twice its size, as PNG bytes.
pub fn png(svg: &str, fonts: &Arc<resvg::usvg::fontdb::Database>) -> Result<Vec<u8>, String> {
    let options = resvg::usvg::Options {
        fontdb: fonts.clone(),
        ..resvg::usvg::Options::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options)
        .map_err(|e| format!("the SVG does not parse: {e}"))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(2.0)
        .ok_or("the chart has no size")?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or("the chart is too large to draw")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(2.0, 2.0),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| format!("PNG encoding failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_the_width() {
        let text = "static API keys or personal access tokens (this run, corrected)";
        let lines = wrap(text, 150.0, 13.0);
        assert!(lines.len() > 1);
        let max = (150.0 / (13.0 * CHAR_WIDTH)) as usize;
        assert!(lines.iter().all(|l| l.chars().count() <= max), "{lines:?}");
        assert_eq!(lines.join(" ").replace(' ', ""), text.replace(' ', ""));
        let long = wrap("averyveryveryverylongidentifierwithoutbreaks", 60.0, 13.0);
        assert!(long.len() > 1 && long.iter().all(|l| l.chars().count() <= 7));
    }

    fn b(label: &str, servers: i64) -> Bucket {
        Bucket {
            label: label.into(),
            servers,
            counts: vec![servers / 2],
        }
    }

    #[test]
    fn sparse_months_are_merged_and_nothing_is_lost() {
        let months = vec![
            b("2024-01", 2),
            b("2024-02", 5),
            b("2024-03", 30),
            b("2024-04", 25),
            b("2024-05", 3),
        ];
        let merged = merge_sparse(&months);
        assert_eq!(
            merged.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
            vec!["2024-01 – 2024-03", "2024-04 – 2024-05"]
        );
        assert_eq!(merged.iter().map(|b| b.servers).sum::<i64>(), 65);
        assert_eq!(
            merged.iter().map(|b| b.counts[0]).sum::<i64>(),
            months.iter().map(|b| b.counts[0]).sum::<i64>()
        );
        let many: Vec<Bucket> = (1..=24)
            .map(|m| {
                b(
                    &format!("{}-{:02}", 2024 + (m - 1) / 12, (m - 1) % 12 + 1),
                    40,
                )
            })
            .collect();
        let q = merge_sparse(&many);
        assert_eq!(q.len(), 8, "two years by quarter");
        assert_eq!(q[0].label, "2024 Q1");
        assert_eq!(
            merge_sparse(&[b("2024-01", 3)])[0].label,
            "2024-01",
            "a lone sparse month stays, greyed"
        );
    }

    #[test]
    fn count_axes_tick_in_whole_numbers() {
        let groups = vec![Group {
            label: "TypeScript".into(),
            bars: vec![Bar {
                value: 3.0,
                whisker: None,
                ink: Ink::Ours,
                note: "3".into(),
            }],
        }];
        let svg = hbars("t", "servers", &groups, Scale::Count, &[]).expect("drawn");
        assert!(!svg.contains(">0.5<") && !svg.contains(">1.5<"), "{svg}");
        assert!(svg.contains(">3<"));
    }
}
