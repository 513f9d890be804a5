/*
** baseline.h — the baseline heap: N long-lived containers a run starts with (core knob
** baseline_objects), as a process's interpreter and module objects (core/baseline.c).
** Build macros: none.
*/
#ifndef GCS_BASELINE_H
#define GCS_BASELINE_H

#include "core/object.h"

/* Pushes a frame of one root and builds the baseline heap under it (nothing when the knob is
** 0); gcs_heap_close pops it. Returns the frame, the run's lowest. */
gcs_obj **gcs_baseline_open(void);

#endif /* GCS_BASELINE_H */
