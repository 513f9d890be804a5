/*
** fault.c — allocation-failure injection: the counter behind gcs_fault_inject (fault.h has
** the sites, the knobs and the invariants; docs/faults.md what each failure does).
**
** Invariant: nothing here allocates, so a site may ask from inside the allocator.
** Build macros: none.
*/
#include "core/fault.h"

#include <stdio.h>

gcs_fault_t gcs_fault = {.first_failed = -1};

const char *const gcs_fault_site_names[GCS_FAULT_NSITES] = {
  "arena", "large object", "malloc", "shadow stack", "live registry",
  "object table", "gray list", "pause log", "trace", "peer object",
};

void gcs_fault_arm(uint64_t at, uint64_t count) {
  gcs_fault = (gcs_fault_t){.armed = at != 0, .at = at, .count = count, .first_failed = -1};
}

void gcs_fault_disarm(void) {
  gcs_fault.armed = false;
}

GCS_NOINLINE bool gcs_fault_inject_(gcs_fault_site site) {
  uint64_t n = ++gcs_fault.seen;
  if (gcs_fault.first_call[site] == 0) gcs_fault.first_call[site] = n;
  if (n < gcs_fault.at || (gcs_fault.count != 0 && n - gcs_fault.at >= gcs_fault.count)) return false;
  if (gcs_fault.injected++ == 0) gcs_fault.first_failed = (int)site;
  return true;
}

const char *gcs_fault_note(void) {
  static char note[64];
  if (gcs_fault.injected == 0) return "";
  snprintf(note, sizeof note, " (injected: fail_alloc_at=%llu)", (unsigned long long)gcs_fault.at);
  return note;
}
