//! Shares corrected for the classifier's misclassification, with intervals
//! that carry the uncertainty of the accuracy estimate itself; and the
//! stratified sampler that draws the audit those accuracies come from.
//!
//! Pure: no I/O, no clock, every random draw from a seeded ChaCha8 stream
//! (portable across platforms and `rand` releases), so a report is the same
//! every time it is written from the same data.
//!
//! The model. A run's classifier labels `S` repositories as servers, `x` of
//! them with a figure (say "requires credentials"), so the raw share is
//! `p = x / S`. A labelled set (an audit sample of the run, or an `eval`
//! corpus) gives, for repositories that are servers by both the label and the
//! prediction, how often the classifier finds the figure where it is
//! (sensitivity `Se`) and rejects it where it is not (specificity `Sp`).
//! Rogan and Gladen (1978): the true share is `(p + Sp - 1) / (Se + Sp - 1)`.
//! The server count itself is corrected with the is-server precision and
//! recall: `S * precision / recall` repositories are truly servers.
//!
//! Each labelled item carries a weight (the inverse of its inclusion
//! probability, Horvitz–Thompson), so a sample that over-draws a small
//! stratum still estimates the population's accuracy. The interval is a
//! percentile bootstrap that resamples the labelled items within their
//! strata (the accuracy's uncertainty) and redraws the raw share from its
//! binomial (the census's own sampling noise, which the raw Wilson interval
//! also counts).

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bootstrap replicates behind every corrected interval: enough that the
/// 2.5% and 97.5% percentiles move by well under a tenth of a percent
/// between seeds.
pub const BOOTSTRAP_REPLICATES: usize = 2000;

/// The seed of every report's bootstrap: fixed, so a report is reproducible.
pub const BOOTSTRAP_SEED: u64 = 20_251_127;

/// The smallest number of repositories an audit draws from a stratum (or
/// the whole stratum when smaller): a stratum with one labelled item says
/// nothing about how often the classifier errs in it.
pub const MIN_PER_STRATUM: usize = 10;

/// The four binary headline figures among servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    RequiresCredentials,
    StaticKeyOrPat,
    Oauth,
    ReadsEnv,
}

impl Figure {
    pub const ALL: [Figure; 4] = [
        Figure::RequiresCredentials,
        Figure::StaticKeyOrPat,
        Figure::Oauth,
        Figure::ReadsEnv,
    ];

    /// The key headline.csv and summary.json use.
    pub fn key(self) -> &'static str {
        match self {
            Figure::RequiresCredentials => "requires_credentials",
            Figure::StaticKeyOrPat => "static_key_or_pat",
            Figure::Oauth => "oauth",
            Figure::ReadsEnv => "reads_env",
        }
    }

    pub fn of(self, o: &Outcome) -> bool {
        match self {
            Figure::RequiresCredentials => o.requires_credentials,
            Figure::StaticKeyOrPat => o.static_key_or_pat,
            Figure::Oauth => o.oauth,
            Figure::ReadsEnv => o.reads_env,
        }
    }
}

/// What one labelling (a person's or the classifier's) says about one
/// repository, reduced to the headline figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub server: bool,
    pub requires_credentials: bool,
    pub static_key_or_pat: bool,
    pub oauth: bool,
    pub reads_env: bool,
}

/// One labelled repository: the truth, the prediction, and how many
/// repositories of the population it stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledItem {
    pub stratum: String,
    /// Inverse inclusion probability (1 for an unweighted eval corpus).
    pub weight: f64,
    pub truth: Outcome,
    pub predicted: Outcome,
}

/// Weighted sensitivity and specificity of one figure among items that are
/// servers by both truth and prediction. None where a side has no weight
/// (no true positives or no true negatives labelled: nothing to measure).
pub fn sensitivity_specificity(items: &[LabelledItem], figure: Figure) -> Option<(f64, f64)> {
    let (mut tp, mut pos, mut tn, mut neg) = (0.0, 0.0, 0.0, 0.0);
    for it in items
        .iter()
        .filter(|i| i.truth.server && i.predicted.server)
    {
        let (t, p) = (figure.of(&it.truth), figure.of(&it.predicted));
        if t {
            pos += it.weight;
            if p {
                tp += it.weight;
            }
        } else {
            neg += it.weight;
            if !p {
                tn += it.weight;
            }
        }
    }
    (pos > 0.0 && neg > 0.0).then(|| (tp / pos, tn / neg))
}

/// Weighted is-server precision and recall. None without a predicted and a
/// true server among the items.
pub fn server_precision_recall(items: &[LabelledItem]) -> Option<(f64, f64)> {
    let (mut both, mut pred, mut truth) = (0.0, 0.0, 0.0);
    for it in items {
        if it.predicted.server {
            pred += it.weight;
        }
        if it.truth.server {
            truth += it.weight;
        }
        if it.predicted.server && it.truth.server {
            both += it.weight;
        }
    }
    (pred > 0.0 && truth > 0.0 && both > 0.0).then(|| (both / pred, both / truth))
}

/// Youden's J below this and the classifier is no better than a coin for
/// the figure: the correction divides by J, so it would explode.
const MIN_YOUDEN: f64 = 0.05;

/// The Rogan–Gladen estimate of the true share from an observed share,
/// clamped to [0, 1] (sampling noise can push it outside). None when the
/// classifier is no better than chance for the figure.
pub fn rogan_gladen(observed: f64, sensitivity: f64, specificity: f64) -> Option<f64> {
    let j = sensitivity + specificity - 1.0;
    (j >= MIN_YOUDEN).then(|| ((observed + specificity - 1.0) / j).clamp(0.0, 1.0))
}

/// A share or count corrected for misclassification, with its 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Corrected {
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Replicates in which the correction was undefined (the resampled
    /// classifier no better than chance) and which were left out.
    pub undefined_replicates: usize,
    /// The accuracy the point estimate used: (sensitivity, specificity) for
    /// a share, (precision, recall) for the server count.
    pub accuracy: (f64, f64),
}

/// Resamples items within their strata: each stratum keeps its size, so
/// the design of a stratified audit is kept in every replicate.
struct Strata<'a> {
    groups: Vec<Vec<&'a LabelledItem>>,
}

impl<'a> Strata<'a> {
    fn new(items: &'a [LabelledItem]) -> Self {
        let mut by: BTreeMap<&str, Vec<&LabelledItem>> = BTreeMap::new();
        for it in items {
            by.entry(it.stratum.as_str()).or_default().push(it);
        }
        Strata {
            groups: by.into_values().collect(),
        }
    }

    fn resample(&self, rng: &mut ChaCha8Rng, out: &mut Vec<LabelledItem>) {
        out.clear();
        for g in &self.groups {
            for _ in 0..g.len() {
                out.push(g[rng.random_range(0..g.len())].clone());
            }
        }
    }
}

/// A binomial draw divided by `n`: the raw share as another census of the
/// same ecosystem might have seen it. Exact for small `n`, the normal
/// approximation above (where it is accurate to far below the rounding).
fn redraw_share(rng: &mut ChaCha8Rng, p: f64, n: u64) -> f64 {
    if n == 0 {
        return p;
    }
    if n <= 2000 {
        let hits = (0..n).filter(|_| rng.random::<f64>() < p).count();
        return hits as f64 / n as f64;
    }
    let sd = (p * (1.0 - p) / n as f64).sqrt();
    (p + sd * standard_normal(rng)).clamp(0.0, 1.0)
}

/// Box–Muller: one standard normal draw from two uniforms.
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The `q` quantile of sorted values (linear interpolation between ranks).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] * (1.0 - frac) + sorted[hi] * frac
}

fn seeded(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// The true share of `figure` among servers, from `observed` of `servers`
/// predicted servers and the labelled `items`. None when the items cannot
/// measure the figure's accuracy (see [`sensitivity_specificity`]) or the
/// classifier is no better than chance for it.
pub fn correct_share(
    observed: i64,
    servers: i64,
    items: &[LabelledItem],
    figure: Figure,
    replicates: usize,
    seed: u64,
) -> Option<Corrected> {
    let n = servers.max(0) as u64;
    let p = if n > 0 {
        observed as f64 / n as f64
    } else {
        0.0
    };
    let (se, sp) = sensitivity_specificity(items, figure)?;
    let estimate = rogan_gladen(p, se, sp)?;
    // A stream per figure: the four intervals do not share their draws.
    let (values, undefined) = bootstrap(
        items,
        replicates,
        seeded(seed, figure as u64),
        |buf, rng| {
            let p_star = redraw_share(rng, p, n);
            sensitivity_specificity(buf, figure).and_then(|(se, sp)| rogan_gladen(p_star, se, sp))
        },
    );
    Some(interval(estimate, values, undefined, (se, sp)))
}

/// Runs `replicates` bootstrap replicates: each resamples the items within
/// their strata and asks `statistic` for its value (None: undefined on that
/// resample). Returns the values and how many were undefined.
fn bootstrap(
    items: &[LabelledItem],
    replicates: usize,
    mut rng: ChaCha8Rng,
    mut statistic: impl FnMut(&[LabelledItem], &mut ChaCha8Rng) -> Option<f64>,
) -> (Vec<f64>, usize) {
    let strata = Strata::new(items);
    let mut buf = Vec::with_capacity(items.len());
    let mut values = Vec::with_capacity(replicates);
    let mut undefined = 0;
    for _ in 0..replicates {
        strata.resample(&mut rng, &mut buf);
        match statistic(&buf, &mut rng) {
            Some(v) => values.push(v),
            None => undefined += 1,
        }
    }
    (values, undefined)
}

fn interval(
    estimate: f64,
    mut values: Vec<f64>,
    undefined: usize,
    accuracy: (f64, f64),
) -> Corrected {
    values.sort_by(f64::total_cmp);
    let (ci_low, ci_high) = if values.is_empty() {
        (estimate, estimate)
    } else {
        // The interval always holds the point estimate: with few labelled
        // items the bootstrap distribution can sit to one side of it.
        (
            quantile(&values, 0.025).min(estimate),
            quantile(&values, 0.975).max(estimate),
        )
    };
    Corrected {
        estimate,
        ci_low,
        ci_high,
        undefined_replicates: undefined,
        accuracy,
    }
}

/// The true number of servers: `servers` predicted, times precision over
/// recall. None when the items hold no predicted or no true server.
pub fn correct_server_count(
    servers: i64,
    items: &[LabelledItem],
    replicates: usize,
    seed: u64,
) -> Option<Corrected> {
    let s = servers.max(0) as f64;
    let (precision, recall) = server_precision_recall(items)?;
    let estimate = s * precision / recall;
    let (values, undefined) = bootstrap(items, replicates, seeded(seed, 100), |buf, _| {
        server_precision_recall(buf).map(|(p, r)| s * p / r)
    });
    Some(interval(estimate, values, undefined, (precision, recall)))
}

/// One repository of the population an audit is drawn from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: String,
    pub stratum: String,
}

/// One drawn repository and the design facts that weight it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draw {
    /// Index into the population slice.
    pub index: usize,
    pub stratum: String,
    /// Repositories in the stratum (N_h).
    pub stratum_size: usize,
    /// Drawn from the stratum (n_h).
    pub stratum_drawn: usize,
    /// n_h / N_h: the chance this repository had of being drawn.
    pub inclusion_probability: f64,
    /// N_h / n_h: how many repositories it stands for (Horvitz–Thompson).
    pub weight: f64,
}

/// The audit stratum of a repository by its predicted labels: the kind,
/// and for servers the predicted credential need, so the figure the study
/// leads with has its errors measured on both sides.
pub fn stratum_of(kind: &str, credentials: &str) -> String {
    if kind == "server" {
        format!("server/{credentials}")
    } else {
        kind.to_string()
    }
}

/// How many to draw per stratum: every stratum gets at least
/// [`MIN_PER_STRATUM`] (or all it has), the rest proportionally to size,
/// one at a time to the stratum furthest below its proportional share.
pub fn allocate(sizes: &[usize], n: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    if n >= total {
        return sizes.to_vec();
    }
    let mut alloc: Vec<usize> = sizes.iter().map(|&s| s.min(MIN_PER_STRATUM)).collect();
    // When the minimums alone exceed n, the minimums shrink evenly.
    while alloc.iter().sum::<usize>() > n {
        if let Some((i, _)) = alloc
            .iter()
            .enumerate()
            .max_by_key(|(i, a)| (**a, usize::MAX - i))
        {
            alloc[i] -= 1;
        }
    }
    while alloc.iter().sum::<usize>() < n {
        let target = |i: usize| n as f64 * sizes[i] as f64 / total as f64;
        let next = (0..sizes.len())
            .filter(|&i| alloc[i] < sizes[i])
            .max_by(|&a, &b| {
                (target(a) - alloc[a] as f64)
                    .total_cmp(&(target(b) - alloc[b] as f64))
                    .then(b.cmp(&a))
            });
        match next {
            Some(i) => alloc[i] += 1,
            None => break,
        }
    }
    alloc
}

/// A stratified simple random sample of `n` units without replacement,
/// reproducible from `seed` for the same population in the same order.
/// Within each stratum a partial Fisher–Yates shuffle picks the units.
/// Returned in population order.
pub fn stratified_sample(population: &[Unit], n: usize, seed: u64) -> Vec<Draw> {
    let mut by: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, u) in population.iter().enumerate() {
        by.entry(u.stratum.as_str()).or_default().push(i);
    }
    let sizes: Vec<usize> = by.values().map(Vec::len).collect();
    let alloc = allocate(&sizes, n);
    let mut rng = seeded(seed, 0);
    let mut out = Vec::with_capacity(n.min(population.len()));
    for ((stratum, mut members), take) in by.into_iter().zip(alloc) {
        let size = members.len();
        for k in 0..take {
            let j = k + (rng.next_u64() % (size - k) as u64) as usize;
            members.swap(k, j);
        }
        for &index in &members[..take] {
            out.push(Draw {
                index,
                stratum: stratum.to_string(),
                stratum_size: size,
                stratum_drawn: take,
                inclusion_probability: take as f64 / size as f64,
                weight: size as f64 / take as f64,
            });
        }
    }
    out.sort_by_key(|d| d.index);
    out
}

/// The check of the estimator by simulation (BENCHMARKS.md): a population
/// of servers with a known prevalence of one figure, predictions drawn
/// through a known confusion, an audit drawn by [`stratified_sample`] on
/// the predicted labels, then the raw and the corrected share.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationSpec {
    pub trials: usize,
    pub population: usize,
    pub prevalence: f64,
    pub sensitivity: f64,
    pub specificity: f64,
    pub audit: usize,
    pub replicates: usize,
    pub seed: u64,
}

impl Default for SimulationSpec {
    fn default() -> Self {
        SimulationSpec {
            trials: 100,
            population: 2000,
            prevalence: 0.6,
            sensitivity: 0.8,
            specificity: 0.9,
            audit: 200,
            replicates: 1000,
            seed: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SimulationResult {
    pub spec: SimulationSpec,
    /// Trials whose corrected 95% interval held the population's true share.
    pub covered: usize,
    /// Trials in which the correction was defined.
    pub corrected_trials: usize,
    pub mae_raw: f64,
    pub mae_corrected: f64,
    pub mean_ci_width: f64,
    /// The raw Wilson interval's coverage, for contrast.
    pub raw_covered: usize,
    /// Trials whose corrected interval held the prevalence the population
    /// was drawn with (the share of an ecosystem of which this census is
    /// one draw; the interval's binomial term is for this).
    pub covered_prevalence: usize,
}

pub fn simulate(spec: &SimulationSpec) -> SimulationResult {
    let (mut covered, mut raw_covered, mut defined, mut covered_prevalence) = (0, 0, 0, 0);
    let (mut err_raw, mut err_corr, mut width) = (0.0, 0.0, 0.0);
    for trial in 0..spec.trials {
        let mut rng = seeded(spec.seed, 1000 + trial as u64);
        let truth: Vec<bool> = (0..spec.population)
            .map(|_| rng.random::<f64>() < spec.prevalence)
            .collect();
        let predicted: Vec<bool> = truth
            .iter()
            .map(|&t| {
                let u = rng.random::<f64>();
                if t {
                    u < spec.sensitivity
                } else {
                    u >= spec.specificity
                }
            })
            .collect();
        let outcome = |v: bool| Outcome {
            server: true,
            requires_credentials: v,
            ..Outcome::default()
        };
        let units: Vec<Unit> = predicted
            .iter()
            .enumerate()
            .map(|(i, &p)| Unit {
                id: i.to_string(),
                stratum: stratum_of("server", if p { "required" } else { "none" }),
            })
            .collect();
        let items: Vec<LabelledItem> =
            stratified_sample(&units, spec.audit, spec.seed ^ trial as u64)
                .into_iter()
                .map(|d| LabelledItem {
                    stratum: d.stratum,
                    weight: d.weight,
                    truth: outcome(truth[d.index]),
                    predicted: outcome(predicted[d.index]),
                })
                .collect();
        let n = spec.population as i64;
        let true_share = truth.iter().filter(|t| **t).count() as f64 / n as f64;
        let observed = predicted.iter().filter(|p| **p).count() as i64;
        let raw = observed as f64 / n as f64;
        err_raw += (raw - true_share).abs();
        let (lo, hi) = crate::stats::wilson_interval(observed, n);
        raw_covered += usize::from(lo <= true_share && true_share <= hi);
        if let Some(c) = correct_share(
            observed,
            n,
            &items,
            Figure::RequiresCredentials,
            spec.replicates,
            spec.seed.wrapping_add(trial as u64),
        ) {
            defined += 1;
            err_corr += (c.estimate - true_share).abs();
            width += c.ci_high - c.ci_low;
            covered += usize::from(c.ci_low <= true_share && true_share <= c.ci_high);
            covered_prevalence +=
                usize::from(c.ci_low <= spec.prevalence && spec.prevalence <= c.ci_high);
        }
    }
    let per = |x: f64, k: usize| if k == 0 { 0.0 } else { x / k as f64 };
    SimulationResult {
        spec: spec.clone(),
        covered,
        corrected_trials: defined,
        mae_raw: per(err_raw, spec.trials),
        mae_corrected: per(err_corr, defined),
        mean_ci_width: per(width, defined),
        raw_covered,
        covered_prevalence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(stratum: &str, weight: f64, t: bool, p: bool) -> LabelledItem {
        let o = |v| Outcome {
            server: true,
            requires_credentials: v,
            ..Outcome::default()
        };
        LabelledItem {
            stratum: stratum.into(),
            weight,
            truth: o(t),
            predicted: o(p),
        }
    }

    #[test]
    fn rogan_gladen_inverts_a_known_confusion() {
        // prevalence 0.6, Se 0.8, Sp 0.9 is observed as 0.6*0.8 + 0.4*0.1 = 0.52.
        let v = rogan_gladen(0.52, 0.8, 0.9).expect("defined");
        assert!((v - 0.6).abs() < 1e-12, "{v}");
        // Clamped when noise pushes it below 0 or above 1.
        assert_eq!(rogan_gladen(0.05, 0.8, 0.9), Some(0.0));
        assert_eq!(rogan_gladen(0.95, 0.8, 0.9), Some(1.0));
        // A coin-flip classifier cannot be corrected.
        assert_eq!(rogan_gladen(0.5, 0.5, 0.52), None);
    }

    #[test]
    fn weights_count_as_repositories() {
        // Two strata: predicted positive (4 drawn, weight 10) and predicted
        // negative (4 drawn, weight 40). Unweighted Se would be 3/4; the
        // negative stratum's false negative stands for 40 repositories.
        let mut items = vec![
            item("p", 10.0, true, true),
            item("p", 10.0, true, true),
            item("p", 10.0, true, true),
            item("p", 10.0, false, true),
        ];
        items.extend([
            item("n", 40.0, true, false),
            item("n", 40.0, false, false),
            item("n", 40.0, false, false),
            item("n", 40.0, false, false),
        ]);
        let (se, sp) =
            sensitivity_specificity(&items, Figure::RequiresCredentials).expect("both sides");
        assert!((se - 30.0 / 70.0).abs() < 1e-12, "{se}");
        assert!((sp - 120.0 / 130.0).abs() < 1e-12, "{sp}");
    }

    #[test]
    fn precision_and_recall_correct_the_server_count() {
        let o = |s| Outcome {
            server: s,
            ..Outcome::default()
        };
        let mk = |t, p| LabelledItem {
            stratum: "x".into(),
            weight: 1.0,
            truth: o(t),
            predicted: o(p),
        };
        // precision 3/4, recall 3/5: 100 predicted servers are 125 true ones.
        let items = vec![
            mk(true, true),
            mk(true, true),
            mk(true, true),
            mk(false, true),
            mk(true, false),
            mk(true, false),
            mk(false, false),
        ];
        let c = correct_server_count(100, &items, 200, 7).expect("defined");
        assert!((c.estimate - 125.0).abs() < 1e-9, "{}", c.estimate);
        assert!(c.ci_low <= 125.0 && c.ci_high >= 125.0);
        assert!(c.ci_high > c.ci_low);
    }

    #[test]
    fn no_true_negatives_means_no_correction() {
        let items = vec![item("p", 1.0, true, true), item("p", 1.0, true, false)];
        assert!(correct_share(5, 10, &items, Figure::RequiresCredentials, 50, 1).is_none());
    }

    #[test]
    fn the_bootstrap_is_reproducible_and_brackets_the_estimate() {
        let mut items = Vec::new();
        for i in 0..60 {
            items.push(item("p", 5.0, i % 6 != 0, true));
            items.push(item("n", 5.0, i % 4 == 0, false));
        }
        let a = correct_share(520, 1000, &items, Figure::RequiresCredentials, 500, 3).expect("a");
        let b = correct_share(520, 1000, &items, Figure::RequiresCredentials, 500, 3).expect("b");
        assert_eq!(a, b);
        assert!(a.ci_low < a.estimate && a.estimate < a.ci_high, "{a:?}");
        let c = correct_share(520, 1000, &items, Figure::RequiresCredentials, 500, 4).expect("c");
        assert_ne!(a.ci_low, c.ci_low, "another seed draws other replicates");
    }

    #[test]
    fn allocation_keeps_a_minimum_and_is_otherwise_proportional() {
        let a = allocate(&[900, 90, 10], 100);
        assert_eq!(a.iter().sum::<usize>(), 100);
        assert_eq!(a[2], 10, "the small stratum is taken whole");
        assert!(a[1] >= MIN_PER_STRATUM);
        assert!(a[0] > a[1]);
        assert_eq!(
            allocate(&[3, 4], 100),
            vec![3, 4],
            "n over the population takes everyone"
        );
        assert_eq!(allocate(&[50, 50, 50], 6), vec![2, 2, 2]);
    }

    #[test]
    fn the_sample_is_stratified_weighted_and_seeded() {
        let population: Vec<Unit> = (0..500)
            .map(|i| Unit {
                id: format!("r{i}"),
                stratum: if i % 10 == 0 { "rare" } else { "common" }.to_string(),
            })
            .collect();
        let s = stratified_sample(&population, 40, 9);
        assert_eq!(s.len(), 40);
        assert_eq!(s, stratified_sample(&population, 40, 9));
        assert_ne!(s, stratified_sample(&population, 40, 10));
        let mut seen = std::collections::BTreeSet::new();
        for d in &s {
            assert!(seen.insert(d.index), "drawn without replacement");
            assert_eq!(population[d.index].stratum, d.stratum);
            assert!((d.weight * d.inclusion_probability - 1.0).abs() < 1e-12);
        }
        // The weights add up to the population in every stratum.
        let total: f64 = s.iter().map(|d| d.weight).sum();
        assert!((total - 500.0).abs() < 1e-9, "{total}");
    }

    /// The acceptance check at a smaller scale (the full 100 trials are
    /// `mcp-survey bench estimator`): the corrected interval holds the true
    /// share nearly always, and the corrected share is closer than the raw.
    #[test]
    fn simulation_covers_the_true_share() {
        let spec = SimulationSpec {
            trials: 30,
            population: 1500,
            replicates: 400,
            ..SimulationSpec::default()
        };
        let r = simulate(&spec);
        assert_eq!(r.corrected_trials, 30);
        assert!(r.covered >= 26, "covered {} of 30", r.covered);
        assert!(
            r.mae_corrected < r.mae_raw,
            "{} vs {}",
            r.mae_corrected,
            r.mae_raw
        );
        // The raw share is biased (0.52 for 0.6): its interval misses.
        assert!(r.raw_covered <= 3, "raw covered {}", r.raw_covered);
    }
}
