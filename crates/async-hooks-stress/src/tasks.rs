//! The Tokio workload: a multi-thread runtime whose tasks, spawned with
//! `async_hooks_tokio::spawn`, spawn tasks, sleep on `Timeout` resources, carry async-local
//! storage, get aborted, and talk over loopback TCP.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_hooks::{execution_async_id, trigger_async_id, AsyncResource};
use async_hooks_tokio::net::{TcpListener, TcpStream};
use async_hooks_tokio::time::sleep;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::check::{self, Checker};
use crate::rng::Rng;
use crate::threads::STORE;

/// Tasks spawned per round of the driver.
const BATCH: u64 = 16;
const MAX_DEPTH: u32 = 3;
/// Connections open at once, at most.
const MAX_CONNECTIONS: usize = 8;
/// The pause between two new connections (keeps sockets in `TIME_WAIT` few).
const CONNECT_EVERY: Duration = Duration::from_millis(3);
/// Echo round trips per connection.
const ROUND_TRIPS: u8 = 16;

/// What the Tokio workload did, counted as it goes.
#[derive(Debug, Default)]
struct TaskStats {
    tasks: AtomicU64,
    aborted: AtomicU64,
    connections: AtomicU64,
    io_errors: AtomicU64,
}

/// What the Tokio workload did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TaskTotals {
    pub(crate) tasks: u64,
    pub(crate) aborted: u64,
    pub(crate) connections: u64,
    pub(crate) io_errors: u64,
}

/// Runs the workload on a runtime with `workers` worker threads until `deadline`, then drops
/// the runtime (which destroys every task still alive, S17).
pub(crate) fn run(
    checker: &Arc<Checker>,
    workers: usize,
    seed: u64,
    deadline: Instant,
) -> io::Result<TaskTotals> {
    let on_stop = Arc::clone(checker);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .on_thread_stop(move || on_stop.thread_finished())
        .build()?;
    let stats = Arc::new(TaskStats::default());
    let driven = runtime.block_on(drive(
        Arc::clone(checker),
        Arc::clone(&stats),
        seed,
        deadline,
    ));
    drop(runtime);
    driven?;
    Ok(TaskTotals {
        tasks: stats.tasks.load(Ordering::Relaxed),
        aborted: stats.aborted.load(Ordering::Relaxed),
        connections: stats.connections.load(Ordering::Relaxed),
        io_errors: stats.io_errors.load(Ordering::Relaxed),
    })
}

async fn drive(
    checker: Arc<Checker>,
    stats: Arc<TaskStats>,
    seed: u64,
    deadline: Instant,
) -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = async_hooks_tokio::spawn(serve(listener, Arc::clone(&stats)));
    let clients = async_hooks_tokio::spawn(clients(addr, Arc::clone(&stats), deadline));
    let mut rng = Rng::new(seed);
    while Instant::now() < deadline {
        check::start_operation();
        let batch: Vec<_> = (0..BATCH)
            .map(|_| {
                let tree = task_tree(Arc::clone(&checker), Arc::clone(&stats), rng.next(), 0);
                async_hooks_tokio::spawn(tree)
            })
            .collect();
        // A task cancelled before or while it sleeps: still exactly one destroy (S17).
        let doomed = async_hooks_tokio::spawn(async { sleep(Duration::from_millis(20)).await });
        if rng.one_in(2) {
            tokio::task::yield_now().await;
        }
        doomed.abort();
        stats.aborted.fetch_add(1, Ordering::Relaxed);
        for task in batch {
            if let Err(e) = task.await {
                checker.violation(|| format!("a task failed: {e}"));
            }
        }
    }
    if let Err(e) = clients.await {
        checker.violation(|| format!("the client task failed: {e}"));
    }
    server.abort();
    let _ = server.await;
    Ok(())
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A task's body: wait in one of several ways, check its ids, spawn and await children.
fn task_tree(checker: Arc<Checker>, stats: Arc<TaskStats>, seed: u64, depth: u32) -> BoxFuture<()> {
    Box::pin(async move {
        check::start_operation();
        stats.tasks.fetch_add(1, Ordering::Relaxed);
        let mut rng = Rng::new(seed);
        let me = execution_async_id();
        match rng.below(4) {
            0 => sleep(Duration::from_micros(rng.below(500))).await,
            1 => tokio::task::yield_now().await,
            2 => {
                // S31: the spawner's store travels with the task.
                let value = rng.next();
                let child = STORE.run(value, || async_hooks_tokio::spawn(async { STORE.get() }));
                match child.await {
                    Ok(Some(seen)) if seen == value => {}
                    other => checker.violation(|| {
                        format!("S31: a task spawned under store {value} saw {other:?}")
                    }),
                }
            }
            _ => {
                let step = AsyncResource::new("async-hooks-stress.Step");
                let seen = step.run_in_async_scope(trigger_async_id);
                if seen != me {
                    checker.violation(|| {
                        format!("S4: a resource made in task {me} has trigger {seen}")
                    });
                }
            }
        }
        // S5: the ids travel with the task, whichever worker polls it now.
        check::start_operation();
        let now = execution_async_id();
        if now != me {
            checker.violation(|| format!("S5: task {me} resumed with execution id {now}"));
        }
        if depth < MAX_DEPTH {
            let children: Vec<_> = (0..rng.below(3))
                .map(|_| {
                    let tree = task_tree(
                        Arc::clone(&checker),
                        Arc::clone(&stats),
                        rng.next(),
                        depth + 1,
                    );
                    async_hooks_tokio::spawn(async move {
                        let trigger = trigger_async_id();
                        tree.await;
                        trigger
                    })
                })
                .collect();
            for child in children {
                match child.await {
                    Ok(trigger) if trigger == me => {}
                    other => checker.violation(|| {
                        format!("S4: a task spawned by task {me} has trigger {other:?}")
                    }),
                }
            }
        }
    })
}

/// Accepts connections and echoes on each, in the connection's scope.
async fn serve(listener: TcpListener, stats: Arc<TaskStats>) {
    loop {
        match listener.accept().await {
            Ok((conn, _peer)) => {
                async_hooks_tokio::spawn(conn.serve(|mut conn| async move {
                    let mut buf = [0u8; 64];
                    loop {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if conn.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                }));
            }
            Err(_) => {
                stats.io_errors.fetch_add(1, Ordering::Relaxed);
                sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// Opens connections at a bounded rate, at most [`MAX_CONNECTIONS`] at once.
async fn clients(addr: SocketAddr, stats: Arc<TaskStats>, deadline: Instant) {
    let active = Arc::new(AtomicUsize::new(0));
    while Instant::now() < deadline {
        if active.load(Ordering::Acquire) < MAX_CONNECTIONS {
            active.fetch_add(1, Ordering::AcqRel);
            let (active, stats) = (Arc::clone(&active), Arc::clone(&stats));
            async_hooks_tokio::spawn(async move {
                check::start_operation();
                match client(addr).await {
                    Ok(()) => stats.connections.fetch_add(1, Ordering::Relaxed),
                    Err(_) => stats.io_errors.fetch_add(1, Ordering::Relaxed),
                };
                active.fetch_sub(1, Ordering::AcqRel);
            });
        }
        sleep(CONNECT_EVERY).await;
    }
}

async fn client(addr: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut buf = [0u8; 32];
    for i in 0..ROUND_TRIPS {
        stream.write_all(&[i; 32]).await?;
        stream.read_exact(&mut buf).await?;
        if buf != [i; 32] {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "echo mismatch"));
        }
    }
    Ok(())
}
