//! The `ess-local` binary: a thin CLI over the library crates.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use esl_server::{build, Config};

#[derive(Parser)]
#[command(
    name = "ess-local",
    version,
    about = "A local, offline Alibaba Cloud for Auto Scaling and the ApsaraDB databases its instances use"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (embedded SQLite store: in memory, or on disk with --data-dir; or
    /// PostgreSQL with --database-url, which several nodes may share).
    Serve(ServeArgs),
    /// Ask a running server whether an ECS instance can reach a database, and why:
    /// `access <instance-id> <database-id> [--port N]`, or `access --group <scaling-group-id>`
    /// for the matrix of a group's instances against its associated databases.
    Access(AccessArgs),
    /// Save or load a store's whole state as one versioned JSON file (docs/state-format.md):
    /// `state export FILE`, `state import FILE [--replace]`, with --data-dir or --database-url.
    State(StateArgs),
}

#[derive(clap::Args)]
struct StateArgs {
    #[command(subcommand)]
    command: StateCommand,
}

#[derive(Subcommand)]
enum StateCommand {
    /// Write every resource, IP allocation, pending job and the virtual clock to FILE (`-`:
    /// standard output), read in one transaction: consistent even while a server runs on the store.
    Export {
        /// The snapshot file to write.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Load FILE (`-`: standard input) into an empty store, in one transaction. Stop the servers
    /// using the store first, and start them again after.
    Import {
        /// The snapshot file to read.
        file: PathBuf,
        /// Remove everything the store holds first (as POST /_ess-local/reset does), then import.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(clap::Args)]
struct StoreArgs {
    /// The SQLite store in this directory (as `serve --data-dir`).
    #[arg(long, conflicts_with = "database_url")]
    data_dir: Option<PathBuf>,
    /// The PostgreSQL store at this URL (as `serve --database-url`).
    #[arg(long, env = "ESS_LOCAL_DATABASE_URL")]
    database_url: Option<String>,
}

impl StoreArgs {
    fn options(self) -> esl_server::state::StoreOptions {
        esl_server::state::StoreOptions {
            data_dir: self.data_dir,
            database_url: self.database_url,
        }
    }
}

#[derive(clap::Args)]
struct AccessArgs {
    /// The ECS instance id.
    #[arg(required_unless_present = "group", conflicts_with = "group")]
    instance: Option<String>,
    /// The database id (rm-, pc-, dds-, am-, gp-, r-).
    #[arg(required_unless_present = "group")]
    database: Option<String>,
    /// The port to reach (default: the database's own).
    #[arg(long)]
    port: Option<u16>,
    /// A scaling group: every instance of it against each associated database.
    #[arg(long)]
    group: Option<String>,
    /// With --group: these databases (comma list) instead of the associated ones.
    #[arg(long, requires = "group")]
    to: Option<String>,
    /// The server to ask.
    #[arg(
        long,
        env = "ESS_LOCAL_ENDPOINT",
        default_value = "http://127.0.0.1:9876"
    )]
    endpoint: String,
    /// Print the server's JSON instead of the readable report.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ClockArg {
    Real,
    Virtual,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// 0 picks a free port (the endpoint line says which).
    #[arg(long, default_value_t = 9876)]
    port: u16,
    /// Keep state in this directory (SQLite, WAL) so it survives a restart.
    #[arg(long, conflicts_with = "database_url")]
    data_dir: Option<PathBuf>,
    /// Keep state in PostgreSQL instead: postgres://user[:password]@host[:port]/database, with
    /// `?schema=NAME` to use (and create) a schema of its own. No TLS.
    #[arg(long, env = "ESS_LOCAL_DATABASE_URL")]
    database_url: Option<String>,
    /// real: work takes its configured time; virtual: time moves only by POST /_ess-local/clock/advance.
    #[arg(long, value_enum, default_value = "real")]
    clock: ClockArg,
    /// How long emulated work takes, in seconds: e.g. `instance-launch=30,db-create=120`
    /// (steps: instance-launch, instance-release, instance-stop, instance-start, db-create,
    /// db-delete, health-check, oos-start).
    #[arg(long)]
    timing: Option<String>,
    /// This node's name in its log lines and GET /_ess-local/node (default: <hostname>-<pid>).
    #[arg(long, env = "ESS_LOCAL_NODE_ID")]
    node_id: Option<String>,
    /// Seed the id generator for reproducible ids.
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, env = "ESS_LOCAL_ACCOUNT_ID", default_value = esl_server::DEFAULT_ACCOUNT_ID)]
    account_id: String,
    #[arg(long, env = "ESS_LOCAL_ACCESS_KEY_ID", default_value = esl_server::DEFAULT_ACCESS_KEY_ID)]
    access_key_id: String,
    #[arg(long, env = "ESS_LOCAL_ACCESS_KEY_SECRET", default_value = esl_server::DEFAULT_ACCESS_KEY_SECRET, hide_default_value = false)]
    access_key_secret: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ESS_LOCAL_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(a) => {
            let config = Config {
                data_dir: a.data_dir.clone(),
                database_url: a.database_url.clone(),
                virtual_clock: matches!(a.clock, ClockArg::Virtual),
                seed: a.seed,
                account_id: a.account_id,
                access_key_id: a.access_key_id,
                access_key_secret: a.access_key_secret,
                timing: a.timing,
                node_id: a.node_id,
            };
            let _lock = match &config.data_dir {
                Some(dir) => Some(esl_server::lock_data_dir(dir)?),
                None => None,
            };
            // Opening the store blocks (PostgreSQL's client must not run inside async code).
            let app = {
                let config = config.clone();
                tokio::task::spawn_blocking(move || build(&config)).await??
            };
            let addr: SocketAddr = format!("{}:{}", a.host, a.port).parse()?;
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let local = listener.local_addr()?;
            println!("ess-local {} ready", env!("CARGO_PKG_VERSION"));
            println!("endpoint: {local}");
            println!("account id: {}", config.account_id);
            println!("access key id: {}", config.access_key_id);
            println!("access key secret: {}", config.access_key_secret);
            println!(
                "clock: {}",
                if config.virtual_clock {
                    "virtual"
                } else {
                    "real"
                }
            );
            println!("store: {}", config.store_description());
            println!("node: {}", app.engine().node_id());
            use std::io::Write;
            std::io::stdout().flush()?;
            app.serve(listener, shutdown_signal()).await?;
        }
        Command::Access(a) => {
            let mut query = Vec::new();
            match (&a.group, &a.instance, &a.database) {
                (Some(g), _, _) => {
                    query.push(("group", g.clone()));
                    if let Some(t) = &a.to {
                        query.push(("to", t.clone()));
                    }
                }
                (None, Some(i), Some(d)) => {
                    query.push(("from", i.clone()));
                    query.push(("to", d.clone()));
                }
                _ => {
                    anyhow::bail!("give <instance-id> <database-id>, or --group <scaling-group-id>")
                }
            }
            if let Some(p) = a.port {
                query.push(("port", p.to_string()));
            }
            let (status, body) =
                esl_server::admin_get(&a.endpoint, "/_ess-local/access", &query).await?;
            let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
                anyhow::anyhow!("the server answered {status} with no JSON ({e}): {body}")
            })?;
            if status != 200 {
                anyhow::bail!(
                    "{}: {}",
                    v["Code"].as_str().unwrap_or("Error"),
                    v["Message"].as_str().unwrap_or(&body)
                );
            }
            if a.json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if a.group.is_some() {
                print!("{}", esl_server::report::matrix(&v));
            } else {
                print!("{}", esl_server::report::verdict(&v));
            }
            // For scripts: 0 when every path asked about is open, 2 when one is blocked (1 is an
            // error).
            let blocked = if a.group.is_some() {
                v["Rows"].as_array().into_iter().flatten().any(|r| {
                    r["Cells"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|c| c["Allowed"] != serde_json::Value::Bool(true))
                })
            } else {
                v["Allowed"] != serde_json::Value::Bool(true)
            };
            if blocked {
                use std::io::Write;
                std::io::stdout().flush()?;
                std::process::exit(2);
            }
        }
        Command::State(a) => {
            // The store calls block (PostgreSQL's client must not run inside async code).
            tokio::task::spawn_blocking(move || run_state(a.command)).await??;
        }
    }
    Ok(())
}

fn run_state(command: StateCommand) -> anyhow::Result<()> {
    use esl_server::state;
    match command {
        StateCommand::Export { file, store } => {
            let counts = state::export_to(&store.options(), &file)?;
            eprintln!(
                "exported {} (state format {}) to {}",
                state::describe(&counts),
                esl_store::snapshot::VERSION,
                file.display()
            );
        }
        StateCommand::Import {
            file,
            replace,
            store,
        } => {
            let counts = state::import_from(&store.options(), &file, replace)?;
            eprintln!(
                "imported {} from {}",
                state::describe(&counts),
                file.display()
            );
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
