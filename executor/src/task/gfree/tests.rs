//! The cache on its own (a `GFree` and a `GlobalFree` of the test's, so parallel tests do not
//! share lists), and on a runtime (tasks of mixed sizes reusing each other's cells).

use super::*;
use std::collections::HashSet;

/// A cell for `layout` as `alloc_cell` gets one, from `gf` and `global`.
fn alloc(gf: &GFree, layout: Layout, global: &GlobalFree) -> NonNull<u8> {
    gf.get(layout, global).unwrap_or_else(|| alloc_fresh(layout))
}

/// A cell back as `free_cell` gives it.
fn free(gf: &GFree, cell: NonNull<u8>, layout: Layout, global: &GlobalFree) {
    // SAFETY: `cell` came from `alloc` with `layout` and the test no longer uses it.
    if let Err(cell) = unsafe { gf.put(cell, layout, global) } {
        // SAFETY: as above.
        unsafe { free_fresh(cell, layout) };
    }
}

/// Fills the whole of `layout` in `cell` with `byte`.
fn fill(cell: NonNull<u8>, layout: Layout, byte: u8) {
    // SAFETY: the cell is ours and at least `layout.size()` bytes.
    unsafe { ptr::write_bytes(cell.as_ptr(), byte, layout.size()) };
}

/// Whether every byte of `layout` in `cell` is `byte`.
fn holds(cell: NonNull<u8>, layout: Layout, byte: u8) -> bool {
    // SAFETY: the cell is ours, at least `layout.size()` bytes, and was filled.
    unsafe { std::slice::from_raw_parts(cell.as_ptr(), layout.size()) }
        .iter()
        .all(|&b| b == byte)
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

#[test]
fn layouts_round_to_size_classes() {
    assert_eq!(class_of(layout(8, 8)), Some(0));
    assert_eq!(class_of(layout(64, 8)), Some(0));
    assert_eq!(class_of(layout(65, 8)), Some(1));
    assert_eq!(class_of(layout(200, 16)), Some(3));
    assert_eq!(class_of(layout(MAX_CACHED, 8)), Some(CLASSES - 1));
    assert_eq!(class_of(layout(MAX_CACHED + 1, 8)), None, "too large");
    assert_eq!(class_of(layout(128, 32)), None, "aligned above malloc's");
    assert_eq!(real_layout(layout(100, 8)), layout(128, ALIGN));
    assert_eq!(real_layout(layout(2000, 8)), layout(2000, 8));
}

/// Cells of mixed layouts go back to their class and come out again for any layout of that
/// class, never for another; uncached layouts pass through; no two live cells overlap.
#[test]
fn reuses_cells_of_mixed_layouts() {
    let (gf, global, count) = (GFree::new(), GlobalFree::new(), AtomicU32::new(0));
    // SAFETY: `count` outlives `gf`'s use (it is detached below before both drop).
    unsafe { gf.attach(&count) };
    let layouts = [
        layout(100, 8),
        layout(120, 8),
        layout(136, 16),
        layout(200, 8),
        layout(1000, 8),
        layout(2000, 8),
        layout(96, 32),
    ];
    let cached = layouts.iter().filter(|l| class_of(**l).is_some()).count() as u32;
    for round in 0..3u8 {
        let cells: Vec<_> = layouts.iter().map(|&l| alloc(&gf, l, &global)).collect();
        for (i, (&cell, &l)) in cells.iter().zip(&layouts).enumerate() {
            fill(cell, l, round * 16 + i as u8);
        }
        for (i, (&cell, &l)) in cells.iter().zip(&layouts).enumerate() {
            assert!(
                holds(cell, l, round * 16 + i as u8),
                "cell {i} overlapped another"
            );
        }
        let set: HashSet<_> = cells.iter().collect();
        assert_eq!(set.len(), cells.len(), "a cell handed out twice");
        for (&cell, &l) in cells.iter().zip(&layouts) {
            free(&gf, cell, l, &global);
        }
        assert_eq!(gf.len(), cached, "round {round}: the cached layouts are kept");
        assert_eq!(count.load(Ordering::Relaxed), cached, "gfreecnt follows the list");
    }
    // The class of 100 and 120 bytes (65..=128) holds two cells; a third layout of the class
    // gets one of them, and a layout of another class does not.
    let a = alloc(&gf, layout(100, 8), &global);
    let b = alloc(&gf, layout(128, 16), &global);
    let c = alloc(&gf, layout(70, 8), &global);
    assert_ne!(a, b);
    let before = gf.len();
    let d = alloc(&gf, layout(300, 8), &global);
    assert_eq!(gf.len(), before, "no cell of the 257..=320 class was kept");
    for (cell, l) in [(a, 100), (b, 128), (c, 70), (d, 300)] {
        free(&gf, cell, layout(l, 8), &global);
    }
    gf.detach(&global);
}

/// Go's `gfput` / `gfget`: a full local list moves half to the global one, an empty class
/// refills a batch from it.
#[test]
fn spills_half_and_refills_a_batch() {
    let (gf, global, count) = (GFree::new(), GlobalFree::new(), AtomicU32::new(0));
    // SAFETY: `count` outlives `gf`'s use (detached below).
    unsafe { gf.attach(&count) };
    let l = layout(150, 8);
    let class = class_of(l).unwrap();
    let cells: Vec<_> = (0..=LOCAL_MAX).map(|_| alloc_fresh(l)).collect();
    for &cell in &cells {
        free(&gf, cell, l, &global);
    }
    assert_eq!(
        gf.len(),
        LOCAL_MAX + 1 - BATCH,
        "the 65th free spilled half first"
    );
    assert_eq!(global.len(class), BATCH);
    let local = gf.len();
    let mut taken: Vec<_> = (0..local).map(|_| alloc(&gf, l, &global)).collect();
    assert_eq!(gf.len(), 0);
    assert_eq!(global.len(class), BATCH, "the local list served these");
    taken.push(alloc(&gf, l, &global));
    assert_eq!(
        global.len(class),
        0,
        "an empty class refilled from the global list"
    );
    assert_eq!(gf.len(), BATCH - 1);
    let all: HashSet<_> = cells.iter().collect();
    assert!(
        taken.iter().all(|c| all.contains(c)),
        "only freed cells came back"
    );
    for cell in taken {
        free(&gf, cell, l, &global);
    }
    gf.detach(&global);
    assert_eq!(gf.len(), 0, "detach moves everything to the global list");
    assert_eq!(global.len(class), LOCAL_MAX + 1);
    assert_eq!(count.load(Ordering::Relaxed), 0);
}

/// Without a P the cache is bypassed; the global list stops at `GLOBAL_MAX` per class.
#[test]
fn detached_or_full_goes_to_the_allocator() {
    let (gf, global, count) = (GFree::new(), GlobalFree::new(), AtomicU32::new(0));
    let l = layout(300, 8);
    let cell = alloc(&gf, l, &global);
    // SAFETY: the cell is ours and no longer used.
    let back = unsafe { gf.put(cell, l, &global) };
    assert_eq!(back, Err(cell), "not attached: the caller frees it");
    free(&gf, cell, l, &global);
    // SAFETY: `count` outlives `gf`'s use (detached below).
    unsafe { gf.attach(&count) };
    let n = GLOBAL_MAX + LOCAL_MAX + 10;
    for _ in 0..n {
        free(&gf, alloc_fresh(l), l, &global);
    }
    gf.detach(&global);
    assert_eq!(global.len(class_of(l).unwrap()), GLOBAL_MAX);
    assert!(gf.get(l, &global).is_none(), "detached: no cell from the cache");
}

/// On a runtime: tasks of mixed sizes complete, and their handles are read on the M, whose
/// list then holds their cells; the next round reuses them and every task sees its own data.
#[test]
fn tasks_of_mixed_sizes_reuse_cells() {
    let rt = crate::runtime::Builder::new()
        .maxprocs(1)
        .sysmon(false)
        .build()
        .unwrap();
    let kept = rt
        .block_on(rt.spawn(async {
            let mut kept = Vec::new();
            for round in 0..20u64 {
                let small: Vec<_> = (0..8u64)
                    .map(|i| crate::spawn(async move { round * 100 + i }))
                    .collect();
                let large: Vec<_> = (0..8u64)
                    .map(|i| {
                        let data = [round * 100 + i; 40];
                        crate::spawn(async move { data.iter().sum::<u64>() })
                    })
                    .collect();
                for (i, h) in small.into_iter().enumerate() {
                    assert_eq!(h.await.unwrap(), round * 100 + i as u64);
                }
                for (i, h) in large.into_iter().enumerate() {
                    assert_eq!(h.await.unwrap(), 40 * (round * 100 + i as u64));
                }
                kept.push(crate::sched::context::with_worker(|cx| {
                    cx.map(|cx| cx.gfree.len())
                }));
            }
            kept
        }))
        .unwrap();
    assert!(
        kept.iter().all(|k| k.is_some_and(|n| n > 0 && n <= LOCAL_MAX)),
        "the M kept freed cells, within its bound: {kept:?}"
    );
}
