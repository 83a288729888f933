//! SVG charts drawn with plotters. Sized for GitHub's Markdown column
//! (about 880 px wide), with fonts large enough to read there unscaled.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

type DrawResult = Result<(), Box<dyn std::error::Error>>;

const WIDTH: u32 = 880;
const FONT: &str = "sans-serif";
const OURS: RGBColor = RGBColor(31, 119, 180);
const PUBLISHED: RGBColor = RGBColor(170, 170, 170);
const SECOND: RGBColor = RGBColor(214, 39, 40);
const THIRD: RGBColor = RGBColor(44, 160, 44);

/// One horizontal bar; `whisker` is an interval drawn across it (a 95% CI).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub whisker: Option<(f64, f64)>,
    pub published: bool,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: f64) -> Bar {
        Bar {
            label: label.into(),
            value,
            whisker: None,
            published: false,
        }
    }
}

/// Horizontal bars, the first on top. `x_max` fixes the scale (100 for
/// percentages); None fits the largest value.
pub fn hbars(title: &str, x_desc: &str, bars: &[Bar], x_max: Option<f64>) -> Option<String> {
    if bars.is_empty() {
        return None;
    }
    let mut svg = String::new();
    let height = 110 + 34 * bars.len() as u32;
    let drawn = draw_hbars(&mut svg, height, title, x_desc, bars, x_max);
    match drawn {
        Ok(()) => Some(svg),
        Err(e) => {
            tracing::warn!(chart = title, error = %e, "chart not drawn");
            None
        }
    }
}

fn draw_hbars(
    svg: &mut String,
    height: u32,
    title: &str,
    x_desc: &str,
    bars: &[Bar],
    x_max: Option<f64>,
) -> DrawResult {
    let n = bars.len();
    let largest = bars
        .iter()
        .map(|b| b.whisker.map_or(b.value, |w| w.1.max(b.value)))
        .fold(0.0_f64, f64::max);
    let x_max = x_max.unwrap_or((largest * 1.1).max(1.0));
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(300)
        .build_cartesian_2d(0f64..x_max, (0..n).into_segmented())?;
    // Row i of `bars` is drawn at y = n-1-i so the list reads top-down.
    let label_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(y) => bars
            .get(n.wrapping_sub(1).wrapping_sub(*y))
            .map(|b| b.label.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&label_of)
        .x_desc(x_desc)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
        let y = n - 1 - i;
        let color = if b.published { PUBLISHED } else { OURS };
        let mut rect = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(y)),
                (b.value.max(0.0), SegmentValue::Exact(y + 1)),
            ],
            color.filled(),
        );
        rect.set_margin(5, 5, 0, 0);
        rect
    }))?;
    chart.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
        let (lo, hi) = b.whisker?;
        let y = n - 1 - i;
        Some(PathElement::new(
            vec![
                (lo, SegmentValue::CenterOf(y)),
                (hi, SegmentValue::CenterOf(y)),
            ],
            BLACK.stroke_width(2),
        ))
    }))?;
    root.present()?;
    Ok(())
}

/// A line per series over labelled x positions (months), y in percent.
/// Points with `None` (no servers that month) are left out.
pub fn lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x_labels: &[String],
    series: &[(&str, Vec<Option<f64>>)],
) -> Option<String> {
    if x_labels.is_empty() || series.is_empty() {
        return None;
    }
    let mut svg = String::new();
    match draw_lines(&mut svg, title, x_desc, y_desc, x_labels, series) {
        Ok(()) => Some(svg),
        Err(e) => {
            tracing::warn!(chart = title, error = %e, "chart not drawn");
            None
        }
    }
}

fn draw_lines(
    svg: &mut String,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x_labels: &[String],
    series: &[(&str, Vec<Option<f64>>)],
) -> DrawResult {
    let m = x_labels.len() as i32;
    let root = SVGBackend::with_string(svg, (WIDTH, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(14)
        .x_label_area_size(70)
        .y_label_area_size(60)
        .build_cartesian_2d(0i32..(m - 1).max(1), 0f64..100f64)?;
    let label_of = |v: &i32| {
        usize::try_from(*v)
            .ok()
            .and_then(|i| x_labels.get(i).cloned())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .x_labels((m as usize).clamp(2, 12))
        .x_label_formatter(&label_of)
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    for (k, (name, values)) in series.iter().enumerate() {
        let color = [OURS, SECOND, THIRD][k % 3];
        let points: Vec<(i32, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i as i32, (*v)?)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(move |p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}
