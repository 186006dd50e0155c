//! Property tests: random page layouts, addresses and lengths, every checked accessor, checked
//! against a byte-level model of what Linux guarantees: bytes-not-copied exact, nothing written
//! past the faulting byte, copy_from_user's tail zeroed, get_user zeroed on failure, kernel
//! memory untouched, not-present pages paged in only when page faults are allowed.
//!
//! Each case also draws a rate and a seed for the simulated interrupts, so accesses are
//! interrupted at random points (before a page, while faulting, in the middle of a scalar's
//! page-in); every interrupt raises a softirq that its exit serves, and both handlers check the
//! context they run in. The properties must hold whatever the interrupts did.

use std::cell::Cell;

use mightfault_core::softirq::{local_softirq_pending, open_softirq, raise_softirq_irqoff};
use mightfault_core::{
    in_hardirq, in_serving_softirq, pagefault_disable, pagefault_enable, preempt_count,
    RawUserAccess, Softirq,
};
use mightfault_test_kernel::host::{
    HostPerCpu, HostPerTask, Machine, MachineConfig, PAGE_SIZE, USER_LIMIT,
};
use mightfault_tests::{PageKind, SeedMachine};
use mightfault_uaccess::{clear_user, copy_from_user, copy_to_user, get_user, put_user, Efault};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const PAGES: usize = 4;
/// Cases per run (the issue asks for at least 10,000).
const CASES: u32 = 10_000;

#[derive(Clone, Copy, Debug)]
enum Op {
    CopyTo,
    CopyFrom,
    Clear,
    Get(usize),
    Put(usize),
}

#[derive(Clone, Debug)]
struct Scenario {
    kinds: [PageKind; PAGES],
    /// Where the access starts: an offset from the area (may be before it), or a special
    /// address.
    start: Start,
    len: usize,
    op: Op,
    pagefault_disabled: bool,
    fill: u8,
    /// The simulated tick for this case (0: no interrupts; from 500,000 on, with two cpus,
    /// every point that may be interrupted is).
    irq_hz: u32,
    irq_seed: u64,
}

#[derive(Clone, Copy, Debug)]
enum Start {
    InArea(isize),
    Kernel,
    NearLimit(usize),
    Wrapping(usize),
}

fn page_kind() -> impl Strategy<Value = PageKind> {
    prop_oneof![
        Just(PageKind::PresentRw),
        Just(PageKind::PresentRo),
        Just(PageKind::NotPresent),
        Just(PageKind::Unmapped),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let area = (PAGES * PAGE_SIZE) as isize;
    let start = prop_oneof![
        8 => (-(PAGE_SIZE as isize)..area + 64).prop_map(Start::InArea),
        1 => Just(Start::Kernel),
        1 => (0usize..64).prop_map(Start::NearLimit),
        1 => (0usize..64).prop_map(Start::Wrapping),
    ];
    let op = prop_oneof![
        Just(Op::CopyTo),
        Just(Op::CopyFrom),
        Just(Op::Clear),
        prop_oneof![Just(1usize), Just(2), Just(4), Just(8)].prop_map(Op::Get),
        prop_oneof![Just(1usize), Just(2), Just(4), Just(8)].prop_map(Op::Put),
    ];
    (
        proptest::array::uniform4(page_kind()),
        start,
        prop_oneof![0usize..64, 0usize..(3 * PAGE_SIZE)],
        op,
        any::<bool>(),
        any::<u8>(),
        prop_oneof![Just(0u32), Just(5_000), Just(50_000), Just(500_000)],
        any::<u64>(),
    )
        .prop_map(
            |(kinds, start, len, op, pagefault_disabled, fill, irq_hz, irq_seed)| Scenario {
                kinds,
                start,
                len,
                op,
                pagefault_disabled,
                fill,
                irq_hz,
                irq_seed,
            },
        )
}

thread_local! {
    // Each machine's cases run on one simulated task, whose thread these belong to.
    static HARDIRQS: Cell<u64> = const { Cell::new(0) };
    static SOFTIRQS: Cell<u64> = const { Cell::new(0) };
    static WRONG_CONTEXT: Cell<u64> = const { Cell::new(0) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) {
    counter.with(|c| c.set(c.get() + 1));
}

/// The interrupt handler: checks it runs in hard interrupt context and raises NET_RX.
fn irq_handler<M: SeedMachine>() {
    bump(&HARDIRQS);
    if !in_hardirq::<M>() || !M::irqs_disabled() {
        bump(&WRONG_CONTEXT);
    }
    raise_softirq_irqoff::<M>(Softirq::NetRx);
}

/// NET_RX, served at the interrupt's exit: checks it runs as a softirq with interrupts on.
fn net_rx<M: SeedMachine>() {
    bump(&SOFTIRQS);
    if !in_serving_softirq::<M>() || in_hardirq::<M>() || M::irqs_disabled() {
        bump(&WRONG_CONTEXT);
    }
}

/// The model: each page's bytes (None = not present) and its kind.
struct Model {
    base: usize,
    kinds: [PageKind; PAGES],
    pages: [Option<Vec<u8>>; PAGES],
}

impl Model {
    fn page_of(&self, addr: usize) -> Option<usize> {
        let offset = addr.checked_sub(self.base)?;
        let page = offset / PAGE_SIZE;
        (page < PAGES).then_some(page)
    }

    /// Whether the byte at `addr` can be accessed, paging it in (in the model) when allowed.
    fn touch(&mut self, addr: usize, write: bool, faults_allowed: bool) -> bool {
        let Some(page) = self.page_of(addr) else {
            return false;
        };
        match self.kinds[page] {
            PageKind::PresentRw => true,
            PageKind::PresentRo => !write,
            PageKind::Unmapped => false,
            PageKind::NotPresent if faults_allowed => {
                self.kinds[page] = PageKind::PresentRw;
                self.pages[page] = Some(vec![0; PAGE_SIZE]);
                true
            }
            PageKind::NotPresent => false,
        }
    }

    fn byte(&mut self, addr: usize) -> &mut u8 {
        let page = self.page_of(addr).expect("touched before");
        let offset = (addr - self.base) % PAGE_SIZE;
        &mut self.pages[page].as_mut().expect("present after touch")[offset]
    }

    /// How many bytes from `start` can be accessed before the first that cannot.
    fn accessible_prefix(
        &mut self,
        start: usize,
        len: usize,
        write: bool,
        faults_allowed: bool,
    ) -> usize {
        (0..len)
            .find(|&i| !self.touch(start.wrapping_add(i), write, faults_allowed))
            .unwrap_or(len)
    }
}

fn fill_pattern(fill: u8, page: usize) -> Vec<u8> {
    (0..PAGE_SIZE)
        .map(|i| {
            fill.wrapping_add((i as u8).wrapping_mul(31))
                .wrapping_add(page as u8)
        })
        .collect()
}

fn check_scenario<M: SeedMachine>(s: &Scenario) -> Result<(), TestCaseError> {
    let base = M::map_user_pages(&s.kinds);
    let mut model = Model {
        base,
        kinds: s.kinds,
        pages: Default::default(),
    };
    for page in 0..PAGES {
        if matches!(s.kinds[page], PageKind::PresentRw | PageKind::PresentRo) {
            let bytes = fill_pattern(s.fill, page);
            prop_assert!(M::poke_user(base + page * PAGE_SIZE, &bytes));
            model.pages[page] = Some(bytes);
        }
    }
    let kernel = [0x5au8; 16];
    let start = match s.start {
        Start::InArea(offset) => base.wrapping_add_signed(offset),
        Start::Kernel => kernel.as_ptr() as usize,
        Start::NearLimit(back) => USER_LIMIT - back,
        Start::Wrapping(back) => usize::MAX - back,
    };
    let source: Vec<u8> = (0..s.len).map(|i| (i as u8) ^ s.fill ^ 0xa5).collect();
    let checked_len = match s.op {
        Op::Get(size) | Op::Put(size) => size,
        _ => s.len,
    };
    let in_range = start
        .checked_add(checked_len)
        .is_some_and(|end| end <= <M as RawUserAccess>::USER_LIMIT);
    let faults_allowed = !s.pagefault_disabled;

    let machine = Machine::current();
    let delivered_before = machine.interrupts_delivered();
    let softirqs_before = SOFTIRQS.with(Cell::get);
    machine.reseed_interrupts(s.irq_seed);
    machine.set_tick(s.irq_hz, 1);
    if s.pagefault_disabled {
        pagefault_disable::<M>();
    }
    match s.op {
        Op::CopyTo => {
            let left = copy_to_user::<M>(start, &source);
            let done = if in_range {
                model.accessible_prefix(start, s.len, true, faults_allowed)
            } else {
                0
            };
            for (i, byte) in source.iter().enumerate().take(done) {
                *model.byte(start + i) = *byte;
            }
            prop_assert_eq!(left, s.len - done);
        }
        Op::CopyFrom => {
            let mut into = vec![0xeeu8; s.len];
            let left = copy_from_user::<M>(&mut into, start);
            let done = if in_range {
                model.accessible_prefix(start, s.len, false, faults_allowed)
            } else {
                0
            };
            prop_assert_eq!(left, s.len - done);
            for (i, byte) in into.iter().enumerate() {
                let expected = if i < done { *model.byte(start + i) } else { 0 };
                prop_assert_eq!(*byte, expected, "byte {} of the destination", i);
            }
        }
        Op::Clear => {
            let left = clear_user::<M>(start, s.len);
            let done = if in_range {
                model.accessible_prefix(start, s.len, true, faults_allowed)
            } else {
                0
            };
            for i in 0..done {
                *model.byte(start + i) = 0;
            }
            prop_assert_eq!(left, s.len - done);
        }
        Op::Get(size) => {
            let mut value = u64::MAX;
            let got = get_user::<M, u64>(&mut value, start);
            let got_small = match size {
                1 => get_user::<M, u8>(&mut 0xff, start).map(|_| ()),
                2 => get_user::<M, u16>(&mut 0xffff, start).map(|_| ()),
                4 => get_user::<M, u32>(&mut 0xffff_ffff, start).map(|_| ()),
                _ => got,
            };
            let whole8 = in_range
                && start.checked_add(8).is_some_and(|end| end <= USER_LIMIT)
                && model.accessible_prefix(start, 8, false, faults_allowed) == 8;
            prop_assert_eq!(got.is_ok(), whole8);
            if got.is_ok() {
                let expected = u64::from_ne_bytes(std::array::from_fn(|i| *model.byte(start + i)));
                prop_assert_eq!(value, expected);
            } else {
                prop_assert_eq!(value, 0);
                prop_assert_eq!(got, Err(Efault));
            }
            let whole =
                in_range && model.accessible_prefix(start, size, false, faults_allowed) == size;
            prop_assert_eq!(got_small.is_ok(), whole);
        }
        Op::Put(size) => {
            let value = 0x0102_0304_0506_0708u64;
            let put = match size {
                1 => put_user::<M, u8>(value as u8, start),
                2 => put_user::<M, u16>(value as u16, start),
                4 => put_user::<M, u32>(value as u32, start),
                _ => put_user::<M, u64>(value, start),
            };
            let prefix = if in_range {
                model.accessible_prefix(start, size, true, faults_allowed)
            } else {
                0
            };
            prop_assert_eq!(put.is_ok(), prefix == size);
            if prefix == size {
                for (i, byte) in value.to_ne_bytes()[..size].iter().enumerate() {
                    *model.byte(start + i) = *byte;
                }
            }
        }
    }
    if s.pagefault_disabled {
        pagefault_enable::<M>();
    }
    machine.set_tick(0, 1);

    // Every interrupt ran the handler and, at its exit, the softirq it raised, each in its
    // own context; none is left pending, and the task is back at count 0.
    let delivered = machine.interrupts_delivered() - delivered_before;
    let served = SOFTIRQS.with(Cell::get) - softirqs_before;
    if s.irq_hz == 0 {
        prop_assert_eq!(delivered, 0);
    }
    prop_assert_eq!(served, delivered, "softirqs served vs interrupts");
    prop_assert_eq!(
        WRONG_CONTEXT.with(Cell::get),
        0,
        "a handler ran in the wrong context"
    );
    prop_assert_eq!(local_softirq_pending::<M>(), 0);
    prop_assert_eq!(preempt_count::<M>(), 0);

    // The whole user area matches the model: nothing written past the fault, pages paged in
    // exactly when allowed.
    for page in 0..PAGES {
        let addr = base + page * PAGE_SIZE;
        prop_assert_eq!(
            M::user_page_present(addr),
            model.pages[page].is_some(),
            "presence of page {}",
            page
        );
        if let Some(expected) = &model.pages[page] {
            let mut seen = vec![0u8; PAGE_SIZE];
            prop_assert!(M::peek_user(addr, &mut seen));
            prop_assert!(
                seen == *expected,
                "contents of page {} differ from the model",
                page
            );
        }
    }
    prop_assert_eq!(kernel, [0x5au8; 16], "kernel memory changed");
    Ok(())
}

fn run_properties<M: SeedMachine>(seed: u64) {
    let machine = Machine::new(MachineConfig {
        cpus: 2,
        seed,
        echo_console: false,
    });
    let outcome = machine.run("prop", || {
        open_softirq::<M>(Softirq::NetRx, net_rx::<M>);
        Machine::current().set_irq_handler(Some(irq_handler::<M>));
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&scenario(), |s| check_scenario::<M>(&s))
            .map_err(|err| err.to_string())
    });
    if let Err(err) = outcome {
        panic!("{}: {err}", M::NAME);
    }
    assert_eq!(
        HARDIRQS.with(Cell::get),
        0,
        "the counters belong to the simulated task's thread"
    );
    let delivered = machine.interrupts_delivered();
    assert!(
        delivered > u64::from(CASES) / 10,
        "{}: only {delivered} interrupts in {CASES} cases",
        M::NAME
    );
}

#[test]
fn accessors_match_the_model_with_per_cpu_count() {
    run_properties::<HostPerCpu>(7);
}

#[test]
fn accessors_match_the_model_with_per_task_count() {
    run_properties::<HostPerTask>(11);
}
