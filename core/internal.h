/*
** internal.h — what the layers above core/ (collectors, measure, driver, cli, tests) use of
** the core beyond gcs.h: the allocator, the JSON writer, the debug registry, the /proc
** readers. It only gathers headers; each declaration sits in the header of the file that
** defines it, and no file of core/ includes this one (so core/ keeps one direction: a file
** includes only the layers below it).
*/
#ifndef GCS_INTERNAL_H
#define GCS_INTERNAL_H

#include "core/gcs.h"
#include "core/arena.h"
#include "core/backlog.h"
#include "core/baseline.h"
#include "core/json.h"
#include "core/liveset.h"
#include "core/rss.h"

#include <stdio.h>

#endif /* GCS_INTERNAL_H */
