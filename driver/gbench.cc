// gbench.cc — the C-callable wrapper around Google Benchmark (see gbench.h).
#include "driver/gbench.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

struct gcs_bm_state {
  benchmark::State *state;  // the running benchmark
};

extern "C" void gcs_bm_register(const char *name, gcs_bm_fn fn, void *arg) {
  benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &state) {
    gcs_bm_state st{&state};
    for (auto _ : state) {
      double seconds = 0;
      char err[512] = "";
      if (fn(&st, arg, &seconds, err, sizeof err) != 0) {
        state.SkipWithError(err);
        break;
      }
      state.SetIterationTime(seconds);
    }
  })->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
}

extern "C" void gcs_bm_counter(gcs_bm_state *st, const char *name, double value) {
  st->state->counters[name] = benchmark::Counter(value);
}

extern "C" void gcs_bm_label(gcs_bm_state *st, const char *label) {
  st->state->SetLabel(label);
}

extern "C" void gcs_bm_context(const char *key, const char *value) {
  benchmark::AddCustomContext(key, value);
}

extern "C" int gcs_bm_main(int *argc, char **argv) {
  benchmark::Initialize(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(*argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
