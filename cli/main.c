/*
** main.c — the gcscope command line: help, list, knobs, replay; the other commands' entry
** points (run, cell, tune) are in their own files.
**
** Every error from the user's input (a flag, a collector name, a trace line) is one line on
** stderr naming what was wrong and where, and a non-zero exit: 2 for a bad command line,
** 1 for a bad input file, 70 for out of memory (a heap that cannot open, or gcs_fatal's).
** Output is built in memory and written at the end, so a failed run prints no half result.
*/
#include "core/internal.h"
#include "cli/cli.h"
#include "collectors/collectors.h"
#include "measure/measure.h"
#include "workloads/trace.h"
#include "workloads/workloads.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
  "gcscope — how CPython's memory management compares with the alternatives, measured\n"
  "\n"
  "usage:\n"
  "  gcscope list [--json]                      collectors and workloads, a line each; --json:\n"
  "                                             also allocators, pause kinds, a cell's figures\n"
  "  gcscope knobs [COLLECTOR] [WORKLOAD] [--json]  the knobs --set accepts, with defaults\n"
  "  gcscope replay --collector NAME [--json] [--set KNOB=VALUE]... [--allocator arena|system] FILE\n"
  "                                             replay a trace (format: docs/trace-format.md)\n"
  "  gcscope run --collector C --workload W [--set KNOB=VALUE]... [--allocator arena|system|jemalloc|mimalloc]\n"
  "              [--seed N] [--trace FILE] [--size small|bench|default] [--sample-ms N] [--out PREFIX] [--json]\n"
  "              [--record FILE]          also write the workload as a trace (FILE.gtrb: binary)\n"
  "                                             run one cell in this process, measured; --out:\n"
  "                                             PREFIX.pauses.tsv, .rss.tsv, .counters.tsv, then\n"
  "                                             PREFIX.json, renamed in last: the set is complete\n"
  "                                             where PREFIX.json is\n"
  "  gcscope cell [--timeout-s N] --out PREFIX RUN-FLAGS...\n"
  "                                             gcscope run RUN-FLAGS --out PREFIX in a child\n"
  "                                             process (stderr to PREFIX.log), killed after N s\n"
  "                                             (default 600); exits as the child, 124 on timeout\n"
  "  gcscope tune --collector C --workload W --knob NAME=SPEC... [--objective O]... [--jobs N]\n"
  "                                             search knob settings: frontier, plot, advice (tune --help)\n"
  "  gcscope --help                             this text\n"
  "\n"
  "replay --json prints one object: collects (objects each `collect` found unreachable),\n"
  "stats (per generation, as gc.get_stats()), count (as gc.get_count() at the end),\n"
  "live_after_full (live objects, atoms included, after each full collect), objects\n"
  "(allocated, freed, and leaked: still live once every name is dropped and a full\n"
  "collection has run — for rc, exactly the cyclic garbage), and the effective options.\n"
  "\n"
  "Numbers (--seed, --sample-ms, --timeout-s, --set values) are decimal digits only: no sign\n"
  "(unless the knob's range is negative), no blanks, no 0x.\n";

/* Output built in memory, written whole. */
static int print_buffer(char *buf, size_t len) {
  fwrite(buf, 1, len, stdout);
  free(buf);
  return fflush(stdout) == 0 ? 0 : 1;
}

static int list_json(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) gcs_fatal("out of memory");
  gcs_json_t j;
  gcs_json_open(&j, mem, true);
  gcs_json_object(&j, NULL);
  gcs_json_array(&j, "collectors");
  for (int i = 0; gcs_collectors[i]; i++) {
    gcs_json_object(&j, NULL);
    gcs_json_str(&j, "name", gcs_collectors[i]->name);
    gcs_json_str(&j, "summary", gcs_collectors[i]->summary);
    gcs_json_str(&j, "kind", gcs_collectors[i]->kind ? gcs_collectors[i]->kind : "collector");
    gcs_json_end(&j);
  }
  gcs_json_end(&j);
  gcs_json_array(&j, "workloads");
  for (int i = 0; gcs_workloads[i]; i++) {
    gcs_json_object(&j, NULL);
    gcs_json_str(&j, "name", gcs_workloads[i]->name);
    gcs_json_str(&j, "summary", gcs_workloads[i]->summary);
    gcs_json_end(&j);
  }
  gcs_json_end(&j);
  gcs_json_array(&j, "allocators");
  for (int i = 0; gcs_cell_allocators[i]; i++) gcs_json_str(&j, NULL, gcs_cell_allocators[i]);
  gcs_json_end(&j);
  gcs_json_array(&j, "pause_kinds");
  for (int k = 0; k < GCS_PAUSE_NKINDS; k++) gcs_json_str(&j, NULL, gcs_pause_kind_names[k]);
  gcs_json_end(&j);
  gcs_cell_figures_json(&j, "figures");
  gcs_json_end(&j);
  gcs_json_close(&j);
  fclose(mem);
  return print_buffer(buf, len);
}

static int cmd_list(int argc, char **argv) {
  bool json = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) json = true;
    else return gcs_cli_usage("list: unexpected argument '%s'", argv[i]);
  }
  if (json) return list_json();
  printf("collectors:\n");
  for (int i = 0; gcs_collectors[i]; i++)
    printf("  %-14s %s\n", gcs_collectors[i]->name, gcs_collectors[i]->summary);
  printf("workloads:\n");
  for (int i = 0; gcs_workloads[i]; i++)
    printf("  %-14s %s\n", gcs_workloads[i]->name, gcs_workloads[i]->summary);
  return 0;
}

static void knobs_json(FILE *f, const gcs_collector_ops *c, const gcs_workload_t *w) {
  const gcs_knob_t *tables[] = {gcs_core_knobs, c ? c->knobs : NULL, w ? w->knobs : NULL};
  static const char *const owners[] = {"core", "collector", "workload"};
  gcs_json_t j;
  gcs_json_open(&j, f, true);
  gcs_json_object(&j, NULL);
  gcs_json_array(&j, "knobs");
  for (int t = 0; t < 3; t++) {
    for (int k = 0; tables[t] && tables[t][k].name; k++) {
      const gcs_knob_t *kn = &tables[t][k];
      gcs_json_object(&j, NULL);
      gcs_json_str(&j, "name", kn->name);
      gcs_json_str(&j, "owner", owners[t]);
      if (kn->choices) gcs_json_str(&j, "default", kn->choices[kn->def]);
      else gcs_json_int(&j, "default", kn->def);
      gcs_json_int(&j, "min", kn->min);
      gcs_json_int(&j, "max", kn->max);
      if (kn->choices) {
        gcs_json_array(&j, "choices");
        for (int i = 0; kn->choices[i]; i++) gcs_json_str(&j, NULL, kn->choices[i]);
        gcs_json_end(&j);
      } else {
        gcs_json_double(&j, "choices", 0.0 / 0.0); /* null */
      }
      gcs_json_str(&j, "help", kn->help);
      gcs_json_end(&j);
    }
  }
  gcs_json_end(&j);
  gcs_json_end(&j);
  gcs_json_close(&j);
}

static int cmd_knobs(int argc, char **argv) {
  const gcs_collector_ops *c = NULL;
  const gcs_workload_t *w = NULL;
  bool json = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      json = true;
      continue;
    }
    const gcs_collector_ops *ci = gcs_collector_find(argv[i]);
    const gcs_workload_t *wi = gcs_workload_find(argv[i]);
    if (ci && !c) c = ci;
    else if (wi && !w) w = wi;
    else return gcs_cli_usage("knobs: '%s' is not a collector or workload (or is given twice); see gcscope list", argv[i]);
  }
  if (json) {
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) gcs_fatal("out of memory");
    knobs_json(mem, c, w);
    fclose(mem);
    return print_buffer(buf, len);
  }
  printf("knobs of the core%s%s%s%s:\n", c ? ", collector " : "", c ? c->name : "",
         w ? ", workload " : "", w ? w->name : "");
  gcs_options_describe(stdout, c, w ? w->knobs : NULL);
  return 0;
}

static void write_replay_json(FILE *f, const gcs_collector_ops *c, const gcs_trace_t *t,
                              const gcs_trace_result_t *res, const gcs_teardown_t *td,
                              const gcs_stats_t *st) {
  gcs_json_t j;
  gcs_json_open(&j, f, true);
  gcs_json_object(&j, NULL);
  gcs_json_str(&j, "collector", c->name);
  gcs_json_str(&j, "trace", t->path);
  gcs_json_uint(&j, "ops", t->nops);
  gcs_json_object(&j, "options");
  gcs_heap_write_options(&j);
  gcs_json_end(&j);
  gcs_json_array(&j, "collects");
  for (size_t i = 0; i < res->ncollects; i++) gcs_json_uint(&j, NULL, res->collects[i]);
  gcs_json_end(&j);
  gcs_json_array(&j, "stats");
  for (uint32_t g = 0; g < res->report.ngenerations; g++) {
    gcs_json_object(&j, NULL);
    gcs_json_uint(&j, "collections", res->report.gen[g].collections);
    gcs_json_uint(&j, "collected", res->report.gen[g].collected);
    gcs_json_uint(&j, "uncollectable", res->report.gen[g].uncollectable);
    gcs_json_end(&j);
  }
  gcs_json_end(&j);
  gcs_json_array(&j, "count");
  for (uint32_t g = 0; g < res->report.ngenerations; g++) gcs_json_int(&j, NULL, res->report.count[g]);
  gcs_json_end(&j);
  gcs_json_array(&j, "live_after_full");
  for (size_t i = 0; i < res->nfull; i++) gcs_json_uint(&j, NULL, res->live_after_full[i]);
  gcs_json_end(&j);
  gcs_json_uint(&j, "live_at_end", res->live_at_end);
  gcs_json_object(&j, "objects");
  gcs_json_uint(&j, "allocated", st->objects_allocated);
  gcs_json_uint(&j, "freed", st->objects_freed);
  gcs_json_uint(&j, "leaked", td->leaked_objects);
  gcs_json_uint(&j, "leaked_bytes", td->leaked_bytes);
  gcs_json_uint(&j, "bytes_allocated", st->bytes_allocated);
  gcs_json_end(&j);
  gcs_json_end(&j);
  gcs_json_close(&j);
}

static void write_replay_text(FILE *f, const gcs_collector_ops *c, const gcs_trace_t *t,
                              const gcs_trace_result_t *res, const gcs_teardown_t *td,
                              const gcs_stats_t *st) {
  fprintf(f, "%s under %s: %zu ops, %llu objects allocated, %llu freed\n", t->path, c->name,
          t->nops, (unsigned long long)st->objects_allocated, (unsigned long long)st->objects_freed);
  for (uint32_t g = 0; g < res->report.ngenerations; g++)
    fprintf(f, "  generation %u: count %lld, %llu collections, %llu collected\n", g,
            (long long)res->report.count[g], (unsigned long long)res->report.gen[g].collections,
            (unsigned long long)res->report.gen[g].collected);
  fprintf(f, "  explicit collects: %zu", res->ncollects);
  for (size_t i = 0; i < res->ncollects; i++) fprintf(f, "%s%llu", i ? ", " : " found ", (unsigned long long)res->collects[i]);
  fprintf(f, "\n  leaked at teardown: %llu objects, %llu bytes\n",
          (unsigned long long)td->leaked_objects, (unsigned long long)td->leaked_bytes);
}

static int cmd_replay(int argc, char **argv) {
  gcs_cli_flags_t f;
  char err[1024];
  int bad = gcs_cli_flags_parse(GCS_CLI_REPLAY, argc, argv, &f);
  if (bad) return bad;
  const char *collector = f.collector, *path = f.file;
  if (!path) return gcs_cli_usage("replay: expected a trace FILE");
  const gcs_collector_ops *c = gcs_collector_find(collector);
  if (!c) return gcs_cli_unknown_collector("", collector);
  if ((bad = gcs_cli_flags_allocator(GCS_CLI_REPLAY, &f)) != 0) return bad;

  gcs_trace_t t;
  if (gcs_trace_load(path, &t, err, sizeof err) != 0) {
    fprintf(stderr, "gcscope: %s\n", err);
    return 1;
  }
  if ((bad = gcs_heap_open(c, &f.opts, err, sizeof err)) != 0) {
    gcs_trace_free(&t);
    return gcs_cli_open_failed("", bad, err);
  }
  gcs_trace_result_t res;
  int rc = gcs_trace_run(&t, NULL, &res, err, sizeof err);
  gcs_teardown_t td;
  gcs_heap_close(&td);
  gcs_stats_t st = gcs_heap.stats; /* close keeps the counters */
  if (rc != 0) {
    fprintf(stderr, "gcscope: %s\n", err);
    gcs_trace_free(&t);
    return 1;
  }
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) gcs_fatal("out of memory");
  if (f.json) write_replay_json(mem, c, &t, &res, &td, &st);
  else write_replay_text(mem, c, &t, &res, &td, &st);
  fclose(mem);
  fwrite(buf, 1, len, stdout);
  free(buf);
  gcs_trace_result_free(&res);
  gcs_trace_free(&t);
  return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return gcs_cli_usage("expected a command");
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(help_text, stdout);
    return 0;
  }
  if (strcmp(cmd, "list") == 0) return cmd_list(argc - 2, argv + 2);
  if (strcmp(cmd, "knobs") == 0) return cmd_knobs(argc - 2, argv + 2);
  if (strcmp(cmd, "replay") == 0) return cmd_replay(argc - 2, argv + 2);
  if (strcmp(cmd, "run") == 0) return gcs_cmd_run(argc - 2, argv + 2, argv);
  if (strcmp(cmd, "cell") == 0) return gcs_cmd_cell(argc - 2, argv + 2);
  if (strcmp(cmd, "tune") == 0) return gcs_cmd_tune(argc - 2, argv + 2, argv);
  return gcs_cli_usage("unknown command '%s'", cmd);
}
