/*
** error.h — the bottom of core/: the one error path, the assertion tiers and the compiler
** attributes every file uses. It includes nothing of gcscope, so every other file may include
** it, and nothing it defines calls back up (mimalloc's _mi_error_message: one place prints,
** the caller decides what follows).
**
** The messages, all to stderr, one line each, all through one printer in error.c (which puts
** FILE:LINE after the kind while gcs_error_where has set them):
**   gcs_error        "gcscope: MESSAGE"; returns (the caller reports the failure its own way)
**   gcs_fatal        "gcscope: fatal: MESSAGE"; exit 70 (EX_SOFTWARE)
**   gcs_corrupt      "gcscope: heap corruption: MESSAGE"; abort() (a debugger, ASan show where)
**   gcs_assert_fail  "gcscope: FILE:LINE: assertion failed: EXPR"; abort()
**
** Assertion tiers, one GCS_DEBUG level (all compile away in the release build):
**   GCS_ASSERT           GCS_DEBUG >= 1: cheap checks of a caller's contract
**   GCS_ASSERT_INTERNAL  GCS_DEBUG >= 2: a module's own invariants, on its hot paths too
**   (GCS_VERIFY, whole-heap verification at GCS_DEBUG >= 3, is core/heap.h's.)
**
** Build macros read here: GCS_DEBUG (defaults to 0).
*/
#ifndef GCS_ERROR_H
#define GCS_ERROR_H

#ifndef GCS_DEBUG
#define GCS_DEBUG 0
#endif

#include <stdint.h>

#define GCS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define GCS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GCS_NOINLINE    __attribute__((noinline))
#define GCS_NORETURN    __attribute__((noreturn))
#define GCS_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Where the input being run stands: while set (file not NULL), every message is printed as
** "gcscope: [KIND]FILE:LINE: MESSAGE", *line read when it is printed — a trace's replay points
** it at the line of the op it runs, so an out-of-memory or any fatal error inside names it.
** gcs_error_where(NULL, NULL) clears it. Both pointers must stay valid while set. */
void gcs_error_where(const char *file, const uint32_t *line);
void gcs_error(const char *fmt, ...) GCS_PRINTF(1, 2);
GCS_NORETURN void gcs_fatal(const char *fmt, ...) GCS_PRINTF(1, 2);
GCS_NORETURN void gcs_corrupt(const char *fmt, ...) GCS_PRINTF(1, 2);
GCS_NORETURN void gcs_assert_fail(const char *expr, const char *file, int line);

#if GCS_DEBUG >= 1
#define GCS_ASSERT(x) ((x) ? (void)0 : gcs_assert_fail(#x, __FILE__, __LINE__))
#else
#define GCS_ASSERT(x) ((void)0)
#endif
#if GCS_DEBUG >= 2
#define GCS_ASSERT_INTERNAL(x) ((x) ? (void)0 : gcs_assert_fail(#x, __FILE__, __LINE__))
#else
#define GCS_ASSERT_INTERNAL(x) ((void)0)
#endif

#endif /* GCS_ERROR_H */
