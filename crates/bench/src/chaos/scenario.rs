//! One scenario's database, simulator and `mcp-survey run` processes, and
//! what is read back from its database: the stage a run is in, and each
//! repository's outcome.

use super::*;

/// A database, a simulator and a reports folder for one scenario.
pub(super) struct Scenario<'a> {
    pub(super) options: &'a ChaosOptions,
    pub(super) db: TestDb,
    pub(super) store: Store,
    pub(super) sim: SimHandle,
    pub(super) out: PathBuf,
    pub(super) logs: PathBuf,
}

impl<'a> Scenario<'a> {
    pub(super) async fn start(
        options: &'a ChaosOptions,
        corpus: &Corpus,
        faults: FaultConfig,
        work: &Path,
        name: &str,
    ) -> Result<Scenario<'a>, BenchError> {
        let out = work.join(name);
        let logs = work.join(format!("{name}-logs"));
        for dir in [&out, &logs] {
            std::fs::create_dir_all(dir).map_err(|source| BenchError::Io {
                what: format!("cannot create {}", dir.display()),
                source,
            })?;
        }
        let config = SimConfig {
            time_scale: options.time_scale,
            faults,
            ..SimConfig::default()
        };
        let addr = "127.0.0.1:0"
            .parse()
            .map_err(|e| BenchError::Failed(format!("bad address: {e}")))?;
        let sim = serve(corpus.clone(), config, addr).await?;
        let db = match TestDb::create().await {
            Ok(db) => db,
            Err(e) => {
                sim.shutdown().await;
                return Err(e.into());
            }
        };
        Ok(Scenario {
            options,
            store: db.store.clone(),
            db,
            sim,
            out,
            logs,
        })
    }

    pub(super) async fn finish(self) {
        self.sim.shutdown().await;
        self.store.close().await;
        if let Err(e) = self.db.drop_db().await {
            tracing::warn!(error = %e, "could not drop the scenario database");
        }
    }

    /// Starts `mcp-survey run --name RUN` as a process of its own; its
    /// stderr goes to a log file named after `tag`.
    pub(super) fn spawn(&self, run: &str, tag: &str) -> Result<Child, BenchError> {
        self.spawn_with(run, tag, &[])
    }

    pub(super) fn spawn_with(
        &self,
        run: &str,
        tag: &str,
        extra: &[&str],
    ) -> Result<Child, BenchError> {
        let log_path = self.logs.join(format!("{tag}.log"));
        let log = std::fs::File::create(&log_path).map_err(|source| BenchError::Io {
            what: format!("cannot create {}", log_path.display()),
            source,
        })?;
        let scaled_wait = format!("{}", (60.0 / self.options.time_scale).max(0.05));
        let child = tokio::process::Command::new(&self.options.exe)
            .arg("--database-url")
            .arg(&self.db.url)
            .arg("--no-progress")
            .args(["run", "--name", run, "--fetch-workers", "4", "--out"])
            .arg(&self.out)
            .arg("--github-url")
            .arg(self.sim.base_url())
            .args(["--archive-interval", "0", "--archive-concurrency", "8"])
            .args(["--backoff", "0.05", "--secondary-wait", &scaled_wait])
            // A trickling archive is given up after a few seconds, not two
            // minutes: the bench measures the stage, not the default.
            .args(["--download-deadline", "5", "--min-download-rate", "4"])
            .args(extra)
            .env("GITHUB_TOKEN", BENCH_TOKEN)
            .env_remove("GITHUB_TOKENS")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| BenchError::Io {
                what: format!("cannot start {}", self.options.exe.display()),
                source,
            })?;
        Ok(Child {
            child,
            log: log_path,
            started: Instant::now(),
        })
    }

    pub(super) async fn wait(&self, mut child: Child) -> Result<(), BenchError> {
        let status = tokio::time::timeout(self.options.timeout, child.child.wait())
            .await
            .map_err(|_| {
                BenchError::Failed(format!(
                    "`mcp-survey run` did not finish within {:?}; its log: {}",
                    self.options.timeout,
                    child.log.display()
                ))
            })?
            .map_err(|source| BenchError::Io {
                what: "cannot wait for `mcp-survey run`".into(),
                source,
            })?;
        if !status.success() {
            let log = std::fs::read_to_string(&child.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            return Err(BenchError::Failed(format!(
                "`mcp-survey run` exited with {status}: {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            )));
        }
        Ok(())
    }

    pub(super) async fn run_to_end(&self, run: &str, tag: &str) -> Result<(), BenchError> {
        let child = self.spawn(run, tag)?;
        self.wait(child).await
    }

    /// Starts the run, waits until the database shows it in `target`, then
    /// SIGKILLs it a random moment later (at once in the short report stage).
    pub(super) async fn kill_in_stage(
        &self,
        run: &str,
        target: &str,
        clean: &CleanRun,
        rng: &mut Rng,
    ) -> Result<CrashPoint, BenchError> {
        // Somewhere inside the stage: harvest and fetch last a good part of
        // the clean run, classify a small one, the report a moment.
        let window = match target {
            "harvest" | "fetch" => (clean.seconds * 0.25).min(2.0),
            "classify" => (clean.seconds * 0.02).min(0.1),
            _ => 0.0,
        };
        let delay = Duration::from_secs_f64(window * rng.f64());
        let tag = format!("{run}-{target}-{}", rng.next_u64() % 10_000);
        let mut child = self.spawn(run, &tag)?;
        loop {
            if let Some(status) = child.child.try_wait().map_err(|source| BenchError::Io {
                what: "cannot poll `mcp-survey run`".into(),
                source,
            })? {
                if !status.success() {
                    return Err(BenchError::Failed(format!(
                        "`mcp-survey run` exited with {status} before it was killed; log {}",
                        child.log.display()
                    )));
                }
                return Ok(CrashPoint {
                    target_stage: target.into(),
                    killed_in: None,
                    after_seconds: child.started.elapsed().as_secs_f64(),
                });
            }
            let stage = current_stage(&self.store, run).await?;
            if stage.as_deref() == Some(target) {
                // A random moment inside the stage: stop waiting early when
                // the stage is about to end, so the kill still lands in it.
                let entered = Instant::now();
                while entered.elapsed() < delay
                    && current_stage(&self.store, run).await?.as_deref() == Some(target)
                {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let killed_in = current_stage(&self.store, run).await?;
                // tokio's kill is SIGKILL: no handler runs, nothing is released.
                child.child.kill().await.map_err(|source| BenchError::Io {
                    what: "cannot kill `mcp-survey run`".into(),
                    source,
                })?;
                return Ok(CrashPoint {
                    target_stage: target.into(),
                    killed_in: killed_in.or_else(|| Some("starting".into())),
                    after_seconds: child.started.elapsed().as_secs_f64(),
                });
            }
            if child.started.elapsed() > self.options.timeout {
                return Err(BenchError::Failed(format!(
                    "the run never reached the {target} stage within {:?}",
                    self.options.timeout
                )));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub(super) async fn finished_and_reported(&self, run: &str) -> Result<bool, BenchError> {
        Ok(
            current_stage(&self.store, run).await?.as_deref() == Some("report")
                && mcp_survey_report::report_is_complete(&self.out, run),
        )
    }

    /// The run compared with the clean one, and the database's own
    /// invariants checked.
    pub(super) async fn integrity(
        &self,
        run: &str,
        clean: &Table,
        table: &Table,
        gone: &BTreeSet<String>,
    ) -> Result<Integrity, BenchError> {
        self.integrity_excusing(run, clean, table, gone, &BTreeSet::new())
            .await
    }

    /// [`Scenario::integrity`], leaving the `excused` repositories (given
    /// hostile archives, checked by the caller) out of every count.
    pub(super) async fn integrity_excusing(
        &self,
        run: &str,
        clean: &Table,
        table: &Table,
        gone: &BTreeSet<String>,
        excused: &BTreeSet<String>,
    ) -> Result<Integrity, BenchError> {
        let mut integrity = Integrity {
            report_complete: mcp_survey_report::report_is_complete(&self.out, run),
            ..Integrity::default()
        };
        for (name, expected) in clean {
            let got = table.get(name);
            if excused.contains(name) {
                continue;
            }
            if gone.contains(name) {
                if got.is_some_and(|g| g.fetch_status != "gone") {
                    integrity
                        .mismatches
                        .push(format!("{name}: gone on GitHub but recorded {got:?}"));
                }
                continue;
            }
            match got {
                None => {
                    integrity.labels_lost += 1;
                    integrity.mismatches.push(format!("{name}: missing"));
                }
                Some(g) if expected.labels.is_some() && g.labels.is_none() => {
                    integrity.labels_lost += 1;
                    integrity
                        .mismatches
                        .push(format!("{name}: unlabelled ({})", g.fetch_status));
                }
                Some(g) if g != expected => integrity
                    .mismatches
                    .push(format!("{name}: {expected:?} became {g:?}")),
                Some(_) => {}
            }
        }
        for name in table.keys().filter(|n| !clean.contains_key(*n)) {
            integrity
                .mismatches
                .push(format!("{name}: not in the clean run"));
        }
        let excused: Vec<String> = excused.iter().cloned().collect();
        let left = self.store.leftovers(run, &excused).await?;
        integrity.duplicate_snapshots = left.duplicate_snapshots;
        integrity.half_written_snapshots = left.half_written_snapshots;
        integrity.unfinished_repositories = left.unfinished_repositories;
        integrity.open_jobs = left.open_jobs;
        Ok(integrity)
    }
}

pub(super) struct Child {
    child: tokio::process::Child,
    log: PathBuf,
    started: Instant,
}

/// The stage a run is in, read from the database the way an operator would:
/// unfinished slices mean harvest; open fetch jobs, fetch; open classify
/// jobs, classify; a finished run is writing (or has written) its report.
async fn current_stage(store: &Store, run: &str) -> Result<Option<String>, BenchError> {
    Ok(store.run_progress(run).await?.map(|p| {
        if p.status == "finished" {
            "report"
        } else if p.harvesting || !p.has_fetch_jobs {
            "harvest"
        } else if p.fetching {
            "fetch"
        } else if p.classifying {
            "classify"
        } else {
            "between stages"
        }
        .to_string()
    }))
}

/// Every repository of a run with its fetch status and labels, by name.
pub(super) async fn run_table(store: &Store, run: &str) -> Result<Table, BenchError> {
    let rows = store.repository_outcomes(run).await?;
    let mut table = Table::new();
    for r in rows {
        let labels = r.kind.map(|kind| {
            let mut v = vec![kind, r.language.unwrap_or_default()];
            for list in [r.sdk, r.transport] {
                v.push(list.unwrap_or_default().join(","));
            }
            v.push(r.credentials.unwrap_or_default());
            for list in [r.auth_methods, r.credential_sources, r.env_vars] {
                v.push(list.unwrap_or_default().join(","));
            }
            v
        });
        // "reused" and "fetched" are the same outcome for the comparison.
        let status = if r.fetch_status == "reused" {
            "fetched".into()
        } else {
            r.fetch_status
        };
        table.insert(
            r.full_name,
            RepoOutcome {
                fetch_status: status,
                labels,
            },
        );
    }
    Ok(table)
}
