//! The correct pattern of every compile-fail case, run on the simulated machine: it compiles,
//! and the run-time checks find nothing to report either.
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use mightfault_core::context::{self, HardIrq, MaySleep, Sleepable, SoftIrq, TimerCallback};
use mightfault_core::softirq::open_softirq;
use mightfault_core::{raise_softirq, Efault, RawSpinLock, Softirq};
use mightfault_test_kernel::host::{HostPerCpu as K, Machine, MachineConfig};
use mightfault_test_kernel::UserPageKind;
use mightfault_uaccess::typed::{self, Uncopied, UserPtr, UserSlice};

static STATS_LOCK: RawSpinLock = RawSpinLock::new("stats_lock");
static INODE_LOCK: RawSpinLock = RawSpinLock::new("inode_lock");
static RX_PACKETS: AtomicU64 = AtomicU64::new(0);
static SOFTIRQ_RUNS: AtomicU32 = AtomicU32::new(0);
static TIMER_RUNS: AtomicU32 = AtomicU32::new(0);
const USER: usize = 0x4000_0000;

/// spinlock_copy_to_user, inatomic_without_pagefault_disable: under the lock only the
/// no-fault copy, with page faults disabled; the rest after the unlock, where it may sleep.
fn report(cx: &mut Sleepable<K>, buf: UserSlice) -> Result<(), Efault> {
    let mut out = buf.writer();
    let stats = *b"stats";
    let short = {
        let mut locked = context::spin_lock(&STATS_LOCK, cx);
        let nofault = context::pagefault_disable(&mut locked);
        out.write_slice_inatomic(&nofault, &stats)
    };
    if let Err(short) = short {
        out.write_slice(cx, &stats[stats.len() - short.bytes()..])?;
    }
    Ok(())
}

/// copy_in_hardirq: the handler only counts, in kernel memory; a task copies out later.
fn rx_interrupt(cx: &mut HardIrq<K>) {
    let _locked = context::spin_lock(&STATS_LOCK, cx);
    RX_PACKETS.fetch_add(1, Ordering::Relaxed);
}

/// copy_in_softirq: the softirq works on kernel data under its lock.
fn net_rx_action(cx: &mut SoftIrq<K>) {
    let _locked = context::spin_lock(&STATS_LOCK, cx);
    SOFTIRQ_RUNS.fetch_add(1, Ordering::Relaxed);
}

/// copy_in_timer_callback: the timer records the status; the syscall reports it.
fn watchdog_timer_fn(cx: &mut TimerCallback<K>) {
    let _cpu = context::smp_processor_id(cx);
    TIMER_RUNS.fetch_add(1, Ordering::Relaxed);
}

/// sleeping_callee_under_lock: the allocation happens before the lock is taken.
fn kmalloc_gfp_kernel(cx: &mut impl MaySleep) -> usize {
    context::might_sleep(cx);
    64
}

fn alloc_extent(cx: &mut impl MaySleep) -> usize {
    kmalloc_gfp_kernel(cx)
}

fn grow_file(cx: &mut Sleepable<K>) -> usize {
    let extent = alloc_extent(cx);
    let _locked = context::spin_lock(&INODE_LOCK, cx);
    extent
}

/// sleep_in_rcu_reader: read under the reader, block after it ends.
fn lookup_route(cx: &mut Sleepable<K>) -> usize {
    let found = {
        let _reader = context::rcu_read_lock(cx);
        7
    };
    context::might_sleep(cx);
    found
}

/// sleep_under_preempt_disable, nofault_is_not_preempt_disabled: fetch first, then disable
/// preemption for the per-cpu part, which is what keeps the cpu number valid.
fn set_percpu_limit(cx: &mut Sleepable<K>, arg: UserPtr<u64>) -> Result<u64, Efault> {
    let limit = typed::get_user(cx, arg)?;
    let off = context::preempt_disable(cx);
    let _cpu = context::smp_processor_id(&off);
    off.enable();
    Ok(limit)
}

/// sleep_under_irqs_off: snapshot with interrupts off, copy after the restore.
fn read_tsc_page(cx: &mut Sleepable<K>, user: UserPtr<u8>) -> Result<(), Uncopied> {
    let page = {
        let _irqs_off = context::local_irq_save(cx);
        *b"tsc-page"
    };
    typed::copy_to_user(cx, user, &page)
}

/// kernel_ref_as_user_ptr: the user pointer comes from the syscall argument; kernel data is
/// the source, not the destination.
fn fill_stat(cx: &mut Sleepable<K>, statbuf: usize) -> Result<(), Efault> {
    let kstat: u64 = 42;
    typed::put_user(cx, kstat, UserPtr::from_syscall_arg(statbuf))
}

/// ignored_copy_result: a short copy becomes -EFAULT.
fn sys_uname(cx: &mut Sleepable<K>, name: UserPtr<u8>) -> Result<(), Efault> {
    typed::copy_to_user(cx, name, b"mightfault")?;
    Ok(())
}

/// lock_guard_sent_to_thread: the lock is released by the task that took it; only plain
/// values (a user pointer is one) go to the other thread.
fn hand_off(cx: &mut Sleepable<K>, user: UserPtr<u8>) -> usize {
    let locked = context::spin_lock(&STATS_LOCK, cx);
    locked.unlock();
    std::thread::spawn(move || user.addr()).join().unwrap()
}

/// sleepable_reused_under_bh_disable: the sleeping read comes before bottom halves are
/// disabled; under them only the token of the bh-off region is used.
fn sock_setopt(cx: &mut Sleepable<K>, opt: UserPtr<u32>) -> Result<u32, Efault> {
    let value = typed::get_user(cx, opt)?;
    let mut bh_off = context::local_bh_disable(cx);
    let _locked = context::spin_lock(&STATS_LOCK, &mut bh_off);
    Ok(value)
}

fn softirq_entry() {
    // SAFETY: run by the softirq dispatch with SOFTIRQ_OFFSET held.
    net_rx_action(&mut unsafe { SoftIrq::assume() });
}

fn timer_softirq_entry() {
    // SAFETY: run by the timer softirq.
    watchdog_timer_fn(&mut unsafe { TimerCallback::assume() });
}

fn syscalls() {
    assert!(Machine::current().map_user_pages(USER, &[UserPageKind::NotPresent; 2]));
    // SAFETY: the simulated task's body: process context, preemptible, nothing held.
    let mut cx = unsafe { Sleepable::<K>::assume() };
    report(&mut cx, UserSlice::from_syscall_args(USER, 5)).unwrap();
    let mut back = [0u8; 5];
    typed::copy_from_user(&mut cx, &mut back, UserPtr::from_syscall_arg(USER)).unwrap();
    assert_eq!(&back, b"stats");

    assert!(K::run_in_hardirq(|| {
        // SAFETY: run by the simulated interrupt, between irq_enter() and irq_exit().
        rx_interrupt(&mut unsafe { HardIrq::assume() });
    }));
    assert_eq!(RX_PACKETS.load(Ordering::Relaxed), 1);

    open_softirq::<K>(Softirq::NetRx, softirq_entry);
    open_softirq::<K>(Softirq::Timer, timer_softirq_entry);
    {
        let _bh_off = context::local_bh_disable(&mut cx);
        raise_softirq::<K>(Softirq::NetRx);
        raise_softirq::<K>(Softirq::Timer);
    } // local_bh_enable() runs them
    assert_eq!(SOFTIRQ_RUNS.load(Ordering::Relaxed), 1);
    assert_eq!(TIMER_RUNS.load(Ordering::Relaxed), 1);

    assert_eq!(grow_file(&mut cx), 64);
    assert_eq!(lookup_route(&mut cx), 7);
    fill_stat(&mut cx, USER + 8).unwrap();
    assert_eq!(
        set_percpu_limit(&mut cx, UserPtr::from_syscall_arg(USER + 8)),
        Ok(42)
    );
    read_tsc_page(&mut cx, UserPtr::from_syscall_arg(USER + 16)).unwrap();
    sys_uname(&mut cx, UserPtr::from_syscall_arg(USER + 32)).unwrap();
    assert_eq!(hand_off(&mut cx, UserPtr::from_syscall_arg(USER)), USER);
    assert_eq!(
        sock_setopt(&mut cx, UserPtr::from_syscall_arg(USER + 8)),
        Ok(42)
    );
    // A kernel address is refused, as the untyped accessors refuse it.
    let kernel = &back as *const [u8; 5] as usize;
    let refused = typed::copy_to_user(&mut cx, UserPtr::from_syscall_arg(kernel), b"x");
    assert_eq!(refused.unwrap_err().bytes(), 1);
}

fn main() {
    let machine = Machine::new(MachineConfig::default());
    machine.run("typed", syscalls);
    let log = machine.console_text();
    assert!(!log.contains("BUG"), "{log}");
    assert!(!log.contains("WARNING"), "{log}");
}
