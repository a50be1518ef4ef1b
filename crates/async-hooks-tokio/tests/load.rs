//! The task integration under load (SPEC S1, S4, S5, S15, S16, S17): a multi-thread runtime,
//! thousands of tasks spawning tasks, timers, loopback TCP connections, blocking work, aborts,
//! and tasks still alive when the runtime is dropped, watched by a hook that checks every
//! event as it happens. Hooks are process-global: run with `cargo nextest`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use async_hooks::{create_hook, AsyncHook, AsyncId, FnHook};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const PARENTS: usize = 100;
const CHILDREN: usize = 24;

// ---------------------------------------------------------------------------------------------
// The checker: a hook that asserts the event stream's invariants as the events fire.

#[derive(Default)]
struct State {
    created: HashSet<AsyncId>,
    destroyed: HashSet<AsyncId>,
    /// Open scopes of each thread, innermost last (S15, S16).
    stacks: HashMap<ThreadId, Vec<AsyncId>>,
    polls: usize,
    violations: Vec<String>,
}

struct Checker {
    state: Arc<Mutex<State>>,
    hook: AsyncHook,
}

impl Checker {
    fn enable() -> Checker {
        let state = Arc::new(Mutex::new(State::default()));
        let (i, b, a, d) = (state.clone(), state.clone(), state.clone(), state.clone());
        let hook = create_hook(
            FnHook::new()
                .on_init(move |id, ty, trigger, _| {
                    let mut s = i.lock().unwrap();
                    // S1: ids are unique.
                    if !s.created.insert(id) {
                        s.violations
                            .push(format!("S1: id {id} ({ty}) created twice"));
                    }
                    // S4: the trigger is the root or a resource created earlier.
                    if trigger != AsyncId::ROOT && !s.created.contains(&trigger) {
                        s.violations
                            .push(format!("S4: {ty}({id}) has unknown trigger {trigger}"));
                    }
                })
                .on_before(move |id| {
                    let mut s = b.lock().unwrap();
                    if !s.created.contains(&id) {
                        s.violations.push(format!("S14: before({id}) without init"));
                    }
                    if s.destroyed.contains(&id) {
                        s.violations
                            .push(format!("S17: before({id}) after destroy"));
                    }
                    s.polls += 1;
                    let thread = std::thread::current().id();
                    s.stacks.entry(thread).or_default().push(id);
                })
                .on_after(move |id| {
                    let mut s = a.lock().unwrap();
                    let thread = std::thread::current().id();
                    let top = s.stacks.entry(thread).or_default().pop();
                    if top != Some(id) {
                        s.violations.push(format!(
                            "S15: after({id}) on {thread:?} while {top:?} was innermost"
                        ));
                    }
                })
                .on_destroy(move |id| {
                    let mut s = d.lock().unwrap();
                    if !s.created.contains(&id) {
                        s.violations
                            .push(format!("S17: destroy({id}) without init"));
                    }
                    if !s.destroyed.insert(id) {
                        s.violations.push(format!("S17: destroy({id}) twice"));
                    }
                    let thread = std::thread::current().id();
                    if s.stacks.get(&thread).is_some_and(|st| st.contains(&id)) {
                        s.violations
                            .push(format!("S17: destroy({id}) inside its own open scope"));
                    }
                }),
        );
        hook.enable();
        Checker { state, hook }
    }

    fn destroyed(&self) -> usize {
        self.state.lock().unwrap().destroyed.len()
    }

    /// Disables the hook and asserts what can only be checked at the end.
    fn finish(self, expected_resources: usize) {
        self.hook.disable();
        let s = self.state.lock().unwrap();
        assert!(
            s.violations.is_empty(),
            "{} violations, first ones: {:#?}",
            s.violations.len(),
            &s.violations[..s.violations.len().min(20)]
        );
        for (thread, stack) in &s.stacks {
            assert!(
                stack.is_empty(),
                "S15: {thread:?} left scopes open: {stack:?}"
            );
        }
        // Exactly one resource per spawn: none missed, none doubled.
        assert_eq!(s.created.len(), expected_resources);
        // S17: exactly one destroy per init, also for the tasks alive when the runtime dropped.
        let leaked: Vec<_> = s.created.difference(&s.destroyed).take(20).collect();
        assert!(leaked.is_empty(), "S17: never destroyed: {leaked:?}");
        assert_eq!(s.destroyed.len(), s.created.len());
        assert!(s.polls > expected_resources, "tasks ran: {} polls", s.polls);
        println!(
            "{} resources, {} polls, {} threads",
            s.created.len(),
            s.polls,
            s.stacks.len()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The workload.

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Every task through `async_hooks_tokio::spawn`.
    Wrapped,
    /// Runtime hooks installed; half the tasks through plain `tokio::spawn`, half wrapped.
    #[cfg_attr(not(tokio_unstable), allow(dead_code))]
    Hooks,
}

/// Counts every resource the workload asks for.
static SPAWNED: AtomicUsize = AtomicUsize::new(0);

fn spawn<F>(mode: Mode, n: usize, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    SPAWNED.fetch_add(1, Ordering::Relaxed);
    if mode == Mode::Hooks && n % 2 == 0 {
        tokio::spawn(future)
    } else {
        async_hooks_tokio::spawn(future)
    }
}

fn spawn_blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> JoinHandle<R> {
    SPAWNED.fetch_add(1, Ordering::Relaxed);
    async_hooks_tokio::spawn_blocking(f)
}

/// A cheap deterministic spread of small numbers.
fn spread(n: usize) -> u64 {
    let mut x = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    x ^= x >> 29;
    x % 5
}

async fn echo_server(mode: Mode, listener: TcpListener) {
    let mut n = 0;
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        n += 1;
        spawn(mode, n, async move {
            let mut buf = [0u8; 64];
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => {
                        if socket.write_all(&buf[..k]).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
}

async fn echo_once(addr: SocketAddr, n: usize) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let msg = format!("hello {n:08}");
    stream.write_all(msg.as_bytes()).await.unwrap();
    let mut back = vec![0u8; msg.len()];
    stream.read_exact(&mut back).await.unwrap();
    assert_eq!(back, msg.as_bytes());
}

/// The body of one child task, of kind `j % 8`.
async fn child(mode: Mode, addr: SocketAddr, n: usize, j: usize) {
    match j % 8 {
        // A timer, then a grandchild that yields a few times.
        0 | 4 => {
            tokio::time::sleep(Duration::from_millis(spread(n))).await;
            spawn(mode, n, async {
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
            })
            .await
            .unwrap();
        }
        // A loopback TCP round trip (the server spawns a task per connection).
        1 => echo_once(addr, n).await,
        // Blocking work, awaited.
        2 => {
            let sum = spawn_blocking(move || (0..1000u64).sum::<u64>())
                .await
                .unwrap();
            assert_eq!(sum, 499_500);
        }
        // A grandchild that is aborted, sometimes before it ever runs.
        3 => {
            let victim = spawn(mode, n, async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
            if n % 2 == 0 {
                tokio::task::yield_now().await;
            }
            victim.abort();
            assert!(victim.await.unwrap_err().is_cancelled());
        }
        // Nested spawns three deep, each with a timer.
        5 => {
            spawn(mode, n, async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                spawn(mode, n + 1, async { tokio::task::yield_now().await })
                    .await
                    .unwrap();
            })
            .await
            .unwrap();
        }
        // Yield-heavy.
        6 => {
            for _ in 0..5 {
                tokio::task::yield_now().await;
            }
        }
        // Detached grandchild that outlives everything: destroyed when the runtime drops.
        _ => {
            spawn(mode, n, std::future::pending::<()>());
        }
    }
}

fn run(mode: Mode, builder: &mut tokio::runtime::Builder) {
    let started = Instant::now();
    let checker = Checker::enable();
    let rt = builder.worker_threads(4).enable_all().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The accept loop stays alive until the runtime is dropped.
        spawn(mode, 0, echo_server(mode, listener));

        let parents: Vec<_> = (0..PARENTS)
            .map(|p| {
                spawn(mode, p, async move {
                    let children: Vec<_> = (0..CHILDREN)
                        .map(|j| {
                            let n = p * CHILDREN + j;
                            spawn(mode, n, child(mode, addr, n, j))
                        })
                        .collect();
                    // Some children are aborted by their parent, whatever they were doing.
                    for (j, c) in children.iter().enumerate() {
                        if j % 11 == 10 {
                            c.abort();
                        }
                    }
                    for c in children {
                        match c.await {
                            Ok(()) => {}
                            Err(e) => assert!(e.is_cancelled(), "{e}"),
                        }
                    }
                })
            })
            .collect();
        let all = async {
            for p in parents {
                p.await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(20), all)
            .await
            .expect("the workload finished in time");
        // Spawned just before the runtime is dropped: most are never polled.
        for n in 0..200 {
            spawn(mode, n, async { tokio::task::yield_now().await });
        }
    });
    let before_drop = checker.destroyed();
    drop(rt);
    let at_drop = checker.destroyed() - before_drop;
    assert!(
        at_drop >= PARENTS * CHILDREN / 8,
        "the tasks alive at the drop were destroyed by it: {at_drop}"
    );
    checker.finish(SPAWNED.load(Ordering::Relaxed));
    let elapsed = started.elapsed();
    println!("{elapsed:?}");
    assert!(elapsed < Duration::from_secs(25), "took {elapsed:?}");
}

#[test]
fn wrapped_tasks_under_load() {
    // S1, S4, S5, S15, S16, S17
    run(
        Mode::Wrapped,
        &mut tokio::runtime::Builder::new_multi_thread(),
    );
}

#[cfg(tokio_unstable)]
#[test]
fn hook_mode_under_load() {
    // S1, S4, S5, S15, S16, S17, with runtime hooks: plain `tokio::spawn` tasks and wrapped
    // tasks mixed, one resource each.
    let hooks = async_hooks_tokio::runtime::TaskHooks::new();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    hooks.install(&mut builder);
    run(Mode::Hooks, &mut builder);
    assert_eq!(
        hooks.live_tasks(),
        0,
        "the task table is empty after the drop"
    );
}
