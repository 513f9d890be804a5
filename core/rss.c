/*
** rss.c — what the process holds: RSS from /proc/self/statm, and the smaps_rollup breakdown
** (LazyFree apart: pages a MADV_FREE allocator has given back but the kernel has not yet
** taken still count in RSS). gcs_rss_bytes, which the sampler thread calls, is plain reads
** (open, read, close) into a stack buffer: no allocation, so it does not disturb the
** allocator it measures. gcs_smaps_read goes through stdio: fopen and the first read malloc
** a FILE and its buffer, fclose frees both — at the cell's marks only, and outside the heap
** under allocator=arena.
*/
#include "core/rss.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

uint64_t gcs_rss_bytes(void) {
  char buf[128];
  int fd = open("/proc/self/statm", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long size, resident;
  if (sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

int gcs_smaps_read(gcs_smaps_t *s) {
  memset(s, 0, sizeof *s);
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  if (!f) return errno;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    unsigned long long kb;
    if (sscanf(line, "Rss: %llu kB", &kb) == 1) s->rss = kb * 1024;
    else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1) s->anonymous = kb * 1024;
    else if (sscanf(line, "LazyFree: %llu kB", &kb) == 1) s->lazyfree = kb * 1024;
    else if (sscanf(line, "Shared_Clean: %llu kB", &kb) == 1) s->shared_clean = kb * 1024;
    else if (sscanf(line, "Shared_Dirty: %llu kB", &kb) == 1) s->shared_dirty = kb * 1024;
    else if (sscanf(line, "Private_Clean: %llu kB", &kb) == 1) s->private_clean = kb * 1024;
    else if (sscanf(line, "Private_Dirty: %llu kB", &kb) == 1) s->private_dirty = kb * 1024;
  }
  fclose(f);
  return 0;
}
