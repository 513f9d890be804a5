/*
** record.h — the recorder: `gcscope run --record FILE` writes the workload's mutator
** operations as a trace (docs/trace-format.md, "Recording a workload"), text or, for a path
** ending in `.gtrb`, the binary form of the same ops.
**
** While recording, gcs_heap.barrier has GCS_BARRIER_RECORD and the inline mutator API of
** gcs.h calls the slow paths below; allocation, free and explicit collection reach the
** recorder through the heap's observer (gcs_heap.observer), so heap.c never calls it. With the
** bit clear every inline path pays one test.
**
** Invariant: between gcs_record_start and gcs_record_stop the trace written so far, replayed,
** leaves the same objects reachable from the same roots as the run has (every root position
** I is the trace name `rI`; an object known only through a C local gets a temporary name
** `tK`, dropped before the next allocation, safepoint, collection or mark).
**
** Build macros: none.
*/
#ifndef GCS_RECORD_H
#define GCS_RECORD_H

#include "core/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The trace's ops, in this order: the binary form (docs/trace-format.md) writes these codes;
** workloads/trace.c parses and replays them. */
enum { GCS_OP_NEW, GCS_OP_ATOM, GCS_OP_SET, GCS_OP_LOAD, GCS_OP_DROP, GCS_OP_COLLECT, GCS_OP_LET, GCS_OP_MARK };
#define GCS_TRACE_BINARY_MAGIC "GCSTRB1\n"   /* the first 8 bytes of the binary form */

/* Starts recording into path (written to a temporary beside it, renamed by gcs_record_stop).
** The heap is open, no observer is set. 0, or an errno with a message in err. */
int gcs_record_start(const char *path, char *err, size_t errlen);
/* Stops recording: with keep, ends the trace (every temporary dropped) and renames it into
** place; without, removes the temporary. 0, or an errno with a message in err. */
int gcs_record_stop(bool keep, char *err, size_t errlen);
/* In a forked child (the prefork workload's workers): stop recording without touching the
** parent's file -- its buffer, copied by fork, is never flushed from here. */
void gcs_record_detach(void);

/* The slow paths the inline API of gcs.h calls while GCS_BARRIER_RECORD is set, each before
** the operation changes the heap (gcs_record_load_ after the read). */
void gcs_record_store_(gcs_obj *o, uint32_t i, gcs_obj *v);
void gcs_record_load_(const gcs_obj *o, uint32_t i);
void gcs_record_root_(gcs_obj **root, gcs_obj *v);
void gcs_record_pop_(gcs_obj **f);
void gcs_record_safepoint_(void);
void gcs_record_mark_(const char *label);

#endif /* GCS_RECORD_H */
