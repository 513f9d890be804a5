/*
** rss.h — what the process holds, read from /proc: RSS, and the smaps_rollup breakdown.
** Build macros: none.
*/
#ifndef GCS_RSS_H
#define GCS_RSS_H

#include <stdint.h>

typedef struct gcs_smaps {
  uint64_t rss, anonymous, lazyfree;   /* bytes, from /proc/self/smaps_rollup */
  uint64_t shared_clean, shared_dirty; /* ... pages shared with another process (after fork) */
  uint64_t private_clean, private_dirty; /* ... this process's own; a forked child's copies of
                                            pages it wrote are Private_Dirty */
} gcs_smaps_t;
uint64_t gcs_rss_bytes(void);          /* /proc/self/statm resident * page size; 0 if unreadable */
int gcs_smaps_read(gcs_smaps_t *s);    /* 0 or an errno */

#endif /* GCS_RSS_H */
