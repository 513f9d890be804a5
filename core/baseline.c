/*
** baseline.c — the baseline heap: N long-lived containers present from the start of a cell,
** as a process's interpreter and module objects are (core knob baseline_objects; 0, the
** default, builds nothing and changes nothing).
**
** Shape: blocks of BLOCK_SLOTS slots, a chain from one root; a block's first slots hold
** members, one-slot containers each pointing back at their block (as a function's
** __globals__ or a method's owner points back at its module or class: cycles everywhere,
** all of them live), its last slot the next block. Exactly N containers, no atoms.
**
** Called by measure/cell.c's gcs_cell_run before the workload (and before the run's RSS and
** clock are read): every `gcscope run`, hence every cell of the matrix and of tune, has it;
** `replay` (checked against CPython's own counts) and the benches do not.
**
** Invariants: the frame gcs_baseline_open pushes (one root) holds the first block until
** gcs_heap_close pops every frame, so every baseline object stays live through the workload
** and the release phase; it is the lowest frame on the shadow stack (pushed before the
** workload runs).
**
** It is built with automatic collections held off (gcs_heap.collecting), then one explicit
** full collection runs -- the start-up's, so a generational collector holds the baseline in
** its oldest generation as it would in a process that has run a while -- and the pause log
** is emptied: the cell's pauses begin with its workload, but the collector's own counts
** (CPython's gc.get_stats()) include that one full collection.
**
** Build macros: none.
*/
#include "core/baseline.h"
#include "core/gcs.h"

#define BLOCK_SLOTS 16u     /* members per block + 1 (the next block) */
#define MEMBER_PAYLOAD 16u  /* payload bytes of a member */

gcs_obj **gcs_baseline_open(void) {
  const int64_t n = gcs_knob("baseline_objects");
  gcs_obj **root = gcs_frame_push(1);
  if (n <= 0) return root;
  const bool was = gcs_heap.collecting;
  gcs_heap.collecting = true;
  gcs_obj *prev = NULL;
  for (int64_t made = 0; made < n;) {
    gcs_obj *block = gcs_new(BLOCK_SLOTS, 0);
    if (prev) gcs_store(prev, BLOCK_SLOTS - 1, block);
    else gcs_root_set(&root[0], block);
    made++;
    for (uint32_t j = 0; j + 1 < BLOCK_SLOTS && made < n; j++, made++) {
      gcs_obj *m = gcs_new(1, MEMBER_PAYLOAD);
      gcs_store(block, j, m);
      gcs_store(m, 0, block);
    }
    prev = block;
  }
  gcs_heap.collecting = was;
  gcs_heap_collect(-1);
  gcs_pause_reset(gcs_knob("pause_log") != 0, gcs_knob("pause_cpu") != 0);
  return root;
}
