//! `async-hooks`: questions answered from a trace recorded by `async-hooks-trace`
//! (`ASYNC_HOOKS_TRACE=run.trace ./program`, or `Recorder::start` in `main`).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use async_hooks_cli::{graph, leaks, pass, report, slow, stats, timeline, tree, units};
use async_hooks_trace::{TraceError, TraceReader};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

/// Files larger than this show a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 50 * 1024 * 1024;

#[derive(Parser, Debug)]
#[command(
    name = "async-hooks",
    version,
    about = "Answers questions about a program from its async-hooks trace",
    long_about = "Answers questions about a program from its async-hooks trace: what leaked, \
                  what was slow, what caused what, where the time went.\n\n\
                  Record a trace with ASYNC_HOOKS_TRACE=run.trace (programs using the Tokio \
                  integration) or async_hooks_trace::Recorder::start in main. Every command \
                  reads the file once, in memory proportional to the live resources and its \
                  answer.\n\n\
                  Exit status: 0 on success, 2 when the trace file is unreadable, bad, \
                  truncated or of a newer format, 1 for other errors."
)]
struct Cli {
    /// No progress bar (one is shown for files over 50 MB when stderr is a terminal).
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The resources as a causality tree (by trigger, or by execution scope with --scope).
    ///
    /// Keeps at most --max-nodes resources in memory (the answer is the resource set):
    /// narrow with --root or --type on big traces.
    Tree {
        #[command(flatten)]
        select: Select,
        /// Also print, for every leaf, its chain up to the root, the way Node's documentation
        /// draws it: `TTYWRAP(6) -> Timeout(4) -> TIMERWRAP(5) -> TickObject(3) -> root(1)`.
        #[arg(long)]
        chains: bool,
    },
    /// Resources created and never destroyed, grouped by type and creation site.
    Leaks {
        /// The trace file.
        file: PathBuf,
        /// Only resources at least this old at the end of the trace (e.g. 500ms, 2s).
        #[arg(long, value_parser = units::parse_duration, default_value = "0ns")]
        min_age: u64,
        /// Only resources of this type (repeatable).
        #[arg(long = "type", value_name = "TYPE")]
        types: Vec<String>,
    },
    /// Scopes (a callback, a poll) that ran longer than a threshold, with the resource, its
    /// creation site and its chain of triggers.
    Slow {
        /// The trace file.
        file: PathBuf,
        /// The threshold (e.g. 20ms, 500us, 1s; a bare number is ms).
        #[arg(long, short, value_parser = units::parse_duration, default_value = "10ms")]
        threshold: u64,
        /// The most scopes listed (the longest); all are counted.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Counts per type, lifetimes, and percentiles of the time spent in scopes.
    Stats {
        /// The trace file.
        file: PathBuf,
    },
    /// Chrome trace-event JSON (open in ui.perfetto.dev or chrome://tracing): a track per
    /// thread, a slice per scope, flow arrows from creator to resource.
    Timeline {
        /// The trace file.
        file: PathBuf,
        /// Where to write the JSON (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The causality graph as Graphviz DOT, or drawn as SVG.
    ///
    /// Keeps at most --max-nodes resources (default 500): narrow with --root or --type.
    Graph {
        #[command(flatten)]
        select: Select,
        /// The output format (default: svg when --output ends in .svg, else dot).
        #[arg(long, value_enum)]
        format: Option<GraphFormat>,
        /// Shorthand for --format svg.
        #[arg(long, conflicts_with = "format")]
        svg: bool,
        /// Where to write it (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// One self-contained HTML page: summary, leaks, slow scopes, timeline, causality tree,
    /// statistics per type.
    Report {
        /// The trace file.
        file: PathBuf,
        /// Where to write the page (default: the trace's path with .html; `-` for standard
        /// output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Scopes at least this long are listed as slow.
        #[arg(long, short, value_parser = units::parse_duration, default_value = "10ms")]
        threshold: u64,
        /// The most resources shown in the causality tree.
        #[arg(long, default_value_t = 2000)]
        max_nodes: usize,
    },
}

#[derive(Args, Debug)]
struct Select {
    /// The trace file.
    file: PathBuf,
    /// Parent = the execution scope a resource was created in, instead of its trigger.
    #[arg(long)]
    scope: bool,
    /// Only this resource (an async id) and its descendants.
    #[arg(long)]
    root: Option<u64>,
    /// Only resources of this type and their descendants (repeatable).
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// The most resources kept and shown (later ones are counted).
    #[arg(long)]
    max_nodes: Option<usize>,
}

impl Select {
    fn options(&self, default_max: usize) -> tree::TreeOptions {
        let mut o = tree::TreeOptions::default();
        o.relation = if self.scope {
            tree::Relation::Scope
        } else {
            tree::Relation::Trigger
        };
        o.root = self.root;
        o.types = self.types.clone();
        o.max_nodes = self.max_nodes.unwrap_or(default_max);
        o
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum GraphFormat {
    Dot,
    Svg,
}

/// An error in the trace file (exit status 2), or anything else (1).
enum Failure {
    Trace(PathBuf, TraceError),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Other(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Other(e.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Trace(path, e)) => {
            eprintln!("error: {}: {e}", path.display());
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            // A closed pipe (`async-hooks tree x | head`) is not an error worth a message.
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// An open trace and its progress bar.
struct Input {
    path: PathBuf,
    reader: TraceReader<File>,
    bar: Option<ProgressBar>,
}

impl Input {
    fn open(path: &Path, quiet: bool) -> Result<Input, Failure> {
        let reader = TraceReader::open(path).map_err(|e| Failure::Trace(path.to_path_buf(), e))?;
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let bar = (!quiet && len > PROGRESS_MIN_BYTES && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(len);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} reading {msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(path.display().to_string());
            bar
        });
        Ok(Input {
            path: path.to_path_buf(),
            reader,
            bar,
        })
    }

    /// Runs `analysis` over the whole file.
    fn run<A: pass::Analysis>(
        &mut self,
        analysis: &mut A,
    ) -> Result<(pass::Meta, pass::Tracker), Failure> {
        let bar = self.bar.clone();
        let mut progress = |bytes: u64| {
            if let Some(bar) = &bar {
                bar.set_position(bytes);
            }
        };
        let result = pass::run(&mut self.reader, analysis, &mut progress);
        self.done();
        result.map_err(|e| Failure::Trace(self.path.clone(), e))
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Standard output, or a file.
fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        None => Box::new(BufWriter::new(io::stdout().lock())),
        Some(p) if p == Path::new("-") => Box::new(BufWriter::new(io::stdout().lock())),
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
    })
}

fn run(cli: Cli) -> Result<(), Failure> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Tree { select, chains } => {
            let mut input = Input::open(&select.file, quiet)?;
            let mut forest = tree::Forest::new(select.options(10_000));
            let (meta, _) = input.run(&mut forest)?;
            let tree = forest.finish();
            let mut out = output(None)?;
            tree.write_text(&mut out, meta.duration_ns())?;
            if chains {
                writeln!(out)?;
                for chain in tree.chains() {
                    writeln!(out, "{chain}")?;
                }
            }
            out.flush()?;
        }
        Command::Leaks {
            file,
            min_age,
            types,
        } => {
            let mut input = Input::open(&file, quiet)?;
            let (meta, tracker) = input.run(&mut ())?;
            let mut options = leaks::LeakOptions::default();
            options.min_age_ns = min_age;
            options.types = types;
            let answer = leaks::Leaks::collect(&meta, &tracker, &options);
            let mut out = output(None)?;
            answer.write_text(&mut out)?;
            out.flush()?;
        }
        Command::Slow {
            file,
            threshold,
            limit,
        } => {
            let mut input = Input::open(&file, quiet)?;
            let mut analysis = slow::Slow::new(threshold, limit);
            let (meta, _) = input.run(&mut analysis)?;
            let mut out = output(None)?;
            analysis.finish(&meta).write_text(&mut out)?;
            out.flush()?;
        }
        Command::Stats { file } => {
            let mut input = Input::open(&file, quiet)?;
            let mut analysis = stats::Stats::default();
            let (meta, tracker) = input.run(&mut analysis)?;
            let mut out = output(None)?;
            analysis.finish(&meta, &tracker).write_text(&mut out)?;
            out.flush()?;
        }
        Command::Timeline { file, output: path } => {
            let mut input = Input::open(&file, quiet)?;
            let out = output(path.as_deref())?;
            let mut analysis = timeline::Timeline::new(out, input.reader.header().pid);
            let (meta, _) = input.run(&mut analysis)?;
            let (_, slices) = analysis
                .finish(&meta)
                .context("cannot write the timeline")?;
            if let Some(p) = path.filter(|p| p != Path::new("-")) {
                if !quiet {
                    eprintln!(
                        "wrote {} ({slices} slices): open it in ui.perfetto.dev or chrome://tracing",
                        p.display()
                    );
                }
            }
        }
        Command::Graph {
            select,
            format,
            svg,
            output: path,
        } => {
            let format = match (format, svg) {
                (Some(f), _) => f,
                (None, true) => GraphFormat::Svg,
                (None, false)
                    if path
                        .as_deref()
                        .and_then(Path::extension)
                        .is_some_and(|e| e.eq_ignore_ascii_case("svg")) =>
                {
                    GraphFormat::Svg
                }
                (None, false) => GraphFormat::Dot,
            };
            let mut input = Input::open(&select.file, quiet)?;
            let mut forest = tree::Forest::new(select.options(500));
            input.run(&mut forest)?;
            let tree = forest.finish();
            let mut out = output(path.as_deref())?;
            match format {
                GraphFormat::Dot => graph::write_dot(&tree, &mut out)?,
                GraphFormat::Svg => out.write_all(graph::svg(&tree).as_bytes())?,
            }
            out.flush()?;
        }
        Command::Report {
            file,
            output: path,
            threshold,
            max_nodes,
        } => {
            let mut input = Input::open(&file, quiet)?;
            let mut options = report::ReportOptions::default();
            options.slow_threshold_ns = threshold;
            options.max_nodes = max_nodes;
            let bar = input.bar.clone();
            let mut progress = |bytes: u64| {
                if let Some(bar) = &bar {
                    bar.set_position(bytes);
                }
            };
            let html = report::render(&mut input.reader, &options, &mut progress);
            input.done();
            let html = html.map_err(|e| Failure::Trace(file.clone(), e))?;
            let path = path.unwrap_or_else(|| file.with_extension("html"));
            let mut out = output(Some(&path))?;
            out.write_all(html.as_bytes())?;
            out.flush()?;
            if path != Path::new("-") && !quiet {
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}
