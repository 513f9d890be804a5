# gcscope — plain Makefile. Modes: release (-O2), debug (ASan+UBSan, GCS_DEBUG=3),
# stress (collect at every safepoint, GCS_DEBUG=2, UBSan).
#   make            build/gcscope (release)
#   make test       every test in debug and stress modes, then the CLI checks; a summary line
#   make bench      the main job
#   make deps       install the Debian packages (tools/deps.sh)
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS each (fuzz/fuzz.mk, docs/fuzzing.md)
CC      ?= cc
CXX     ?= c++
PYTHON  ?= /usr/bin/python3
WARN    := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith \
           -Wcast-qual -Wformat=2 -Wundef -Wwrite-strings -Wold-style-definition -Werror
BASE    := -std=gnu11 -g -fno-strict-aliasing -I. $(WARN)
MODE_release := -O2 -DNDEBUG
MODE_debug   := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -DGCS_DEBUG=3
MODE_stress  := -O1 -fno-omit-frame-pointer -fsanitize=undefined -fno-sanitize-recover=undefined -DGCS_DEBUG=2 -DGCS_STRESS=1
LINK_debug   := -fsanitize=address,undefined
LINK_stress  := -fsanitize=undefined
# The py peer (peers/cpython/py.c) embeds libpython3.11: it is in the registry, so every binary
# that links the collectors links libpython (dynamically; the interpreter starts only when a
# py heap opens). Its headers are included as system headers (our warning list is not theirs).
PY_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags python3-embed 2>/dev/null))
PY_LIBS   := $(shell pkg-config --libs python3-embed 2>/dev/null)
# The lua-inc and lua-gen peers (peers/lua/lua.c) link Lua 5.4 (liblua5.4), the same way.
LUA_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags lua5.4 2>/dev/null))
LUA_LIBS   := $(shell pkg-config --libs lua5.4 2>/dev/null)
LIBS    := $(PY_LIBS) $(LUA_LIBS) -lgc -lm -lpthread -ldl
# The embedded interpreter is never finalized: LeakSanitizer (debug build) would report what
# libpython keeps in its own arenas at exit. Its allocations only are suppressed, for every
# recipe (make test, make fidelity); by hand: LSAN_OPTIONS=suppressions=tools/lsan-libpython.supp
export LSAN_OPTIONS := suppressions=$(CURDIR)/tools/lsan-libpython.supp:print_suppressions=0

# LIBSRC: what every binary links (tests too); cli/ is linked into gcscope only.
DRIVER_MAINS := driver/matrix.c
LIBSRC  := $(wildcard core/*.c collectors/*.c workloads/*.c measure/*.c) \
           $(filter-out $(DRIVER_MAINS),$(wildcard driver/*.c)) peers/cpython/py.c \
           peers/bdwgc/boehm.c peers/lua/lua.c
CLISRC  := $(wildcard cli/*.c)
TESTSRC := $(wildcard tests/test_*.c)
TESTS   := $(notdir $(TESTSRC:.c=))
# Header dependencies: every compile writes its .d (-MMD), with a phony target per header
# (-MP) so that a deleted header does not break the build; included at the end.
DEPFLAGS := -MMD -MP

.PHONY: all deps deps-check test bench bench-replay bench-alloc bench-return bench-marksweep \
        bench-incremental bench-cpython fidelity calibrate cpython-versions prefork plots clean
.DELETE_ON_ERROR:
.SECONDARY:
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

all: build/.deps-ok build/gcscope

build/.deps-ok: tools/deps.sh
	@tools/deps.sh ensure
	@mkdir -p build && touch $@

deps:
	tools/deps.sh install
deps-check:
	tools/deps.sh check

# --- objects and binaries, one tree per mode ------------------------------------------
define mode_rules
build/$(1)/obj/%.o: %.c | build/.deps-ok
	@mkdir -p $$(dir $$@)
	@$(if $(Q),echo "  CC [$(1)] $$<")
	$(Q)$$(CC) $$(BASE) $$(MODE_$(1)) $$(if $$(findstring peers/cpython/py.c,$$<),$$(PY_CFLAGS)) $$(if $$(findstring peers/lua/,$$<),$$(LUA_CFLAGS)) $$(DEPFLAGS) -c $$< -o $$@
LIBOBJ_$(1) := $$(LIBSRC:%.c=build/$(1)/obj/%.o)
CLIOBJ_$(1) := $$(CLISRC:%.c=build/$(1)/obj/%.o)
build/$(1)/gcscope: $$(CLIOBJ_$(1)) $$(LIBOBJ_$(1))
	@$(if $(Q),echo "  LD [$(1)] $$@")
	$(Q)$$(CC) $$(LINK_$(1)) -o $$@ $$^ $$(LIBS)
build/$(1)/tests/%: build/$(1)/obj/tests/%.o build/$(1)/obj/tests/support.o $$(LIBOBJ_$(1))
	@mkdir -p $$(dir $$@)
	@$(if $(Q),echo "  LD [$(1)] $$@")
	$(Q)$$(CC) $$(LINK_$(1)) -o $$@ $$^ -lcriterion $$(LIBS)
endef
$(foreach m,release debug stress,$(eval $(call mode_rules,$(m))))

build/gcscope: build/release/gcscope
	cp $< $@

# The matrix through Google Benchmark (C++; a thin C-callable wrapper in driver/gbench.cc).
build/release/obj/driver/gbench.o: driver/gbench.cc | build/.deps-ok
	@mkdir -p $(dir $@)
	$(Q)$(CXX) -std=c++17 -O2 -g -I. -Wall -Wextra -Werror $(DEPFLAGS) -c $< -o $@
build/gcscope-bench: build/release/obj/driver/matrix.o build/release/obj/driver/gbench.o $(LIBOBJ_release) build/gcscope
	$(Q)$(CXX) -o $@ build/release/obj/driver/matrix.o build/release/obj/driver/gbench.o $(LIBOBJ_release) -lbenchmark $(LIBS)

# The allocator benchmark links CPython's pymalloc (PyObject_Malloc) from libpython3.11.
build/allocbench: peers/pymalloc/allocbench.c $(LIBOBJ_release) | build/.deps-ok
	$(CC) $(BASE) $(MODE_release) $(PY_CFLAGS) -MMD -MP -MF build/allocbench.d -MT $@ -o $@ $^ $(LIBS)
# The same with GCS_ARENA_RETAIN=0 (pymalloc exactly): its own arena.o; `allocbench speed` runs it
# for its retain=0 column. Only allocbench.c calls the allocator in this binary.
build/noretain/arena.o: core/arena.c | build/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(MODE_release) -DGCS_ARENA_RETAIN=0 -MMD -MP -c $< -o $@
build/allocbench-noretain: peers/pymalloc/allocbench.c build/noretain/arena.o $(filter-out build/release/obj/core/arena.o,$(LIBOBJ_release)) | build/.deps-ok
	$(CC) $(BASE) $(MODE_release) -DGCS_ARENA_RETAIN=0 $(PY_CFLAGS) -MMD -MP -MF build/allocbench-noretain.d -MT $@ -o $@ $^ $(LIBS)

# --- tests ------------------------------------------------------------------------------
# Release too: the inline fast paths (the arena's among them) are compiled out of the others.
TEST_BINS := $(foreach m,release debug stress,$(addprefix build/$(m)/tests/,$(TESTS)))
test: build/.deps-ok build/gcscope build/gcscope-bench build/debug/gcscope build/stress/gcscope $(TEST_BINS) fuzz-build
	@tools/run-tests.sh $(TEST_BINS)

# --- benchmarks ---------------------------------------------------------------------------
BENCH_ARGS ?=
RESUME ?=
bench: all build/gcscope-bench
	@driver/bench.sh $(if $(RESUME),--resume $(RESUME)) $(BENCH_ARGS)
bench-replay: all
	@driver/bench-replay.sh
bench-alloc: build/allocbench build/allocbench-noretain
	build/allocbench speed
bench-return: build/allocbench
	build/allocbench return

# --- plots: figures and report.md of a results folder, the newest unless RESULTS=results/X --
RESULTS ?= $(patsubst %/cells.tsv,%,$(lastword $(sort $(wildcard results/*/cells.tsv))))
plots:
	@test -n "$(RESULTS)" || { echo "make plots: no results folder yet: make bench, or RESULTS=results/X" >&2; exit 2; }
	@tools/plots.sh $(RESULTS)

clean:
	rm -rf build

# --- the tracing collectors (docs/tracing.md): each case a fresh process -----------------
# bench-marksweep: full collection of a live 1M-node binary tree, in order, mirrored, shuffled,
#   marksweep against the boehm peer (bdwgc). bench-incremental: incremental against marksweep
#   on a live 2^20-node tree while 5M short-lived objects are allocated (pauses, MMU, time).
build/tracebench: build/release/obj/peers/bdwgc/tracebench.o $(LIBOBJ_release)
	$(CC) -o $@ $^ $(LIBS)
bench-marksweep: build/tracebench
	@for shape in inorder mirrored shuffled; do for c in marksweep boehm; do \
	  build/tracebench tree $$c $$shape || exit 1; done; done
bench-incremental: build/tracebench
	@for c in marksweep incremental; do build/tracebench churn $$c $(TRACE_ARGS) || exit 1; done

# --- the cpython collector: fidelity against CPython itself (3.11; 3.12, 3.13 when installed), its benchmark
fidelity: build/.deps-ok build/gcscope build/debug/gcscope
	$(PYTHON) peers/cpython/fidelity.py --full
build/cpython_bench: build/release/obj/peers/cpython/cpython_bench.o $(LIBOBJ_release)
	$(CC) -o $@ $^ $(LIBS)
bench-cpython: build/cpython_bench
	$(PYTHON) peers/cpython/cpython_bench.py
# CPython's collector across versions (3.11, 3.13, 3.14.0, 3.14.1, 3.14.5) on identical work:
# timing and backlog runs, the report section results/cpython-versions-*/versions.md
cpython-versions: build/gcscope
	$(PYTHON) peers/cpython/versions.py $(VERSIONS_ARGS)
# gc.freeze()'s reason: the prefork workload under every collector, freeze off and on
prefork: build/gcscope
	$(PYTHON) peers/cpython/prefork.py $(PREFORK_ARGS)
# the model beside real CPython: every workload under cpython (both walk modes) and py when
# built, and pyperformance's GC bodies on the system python3 (CALIBRATE: extra flags)
calibrate: build/gcscope build/pyshared
	$(PYTHON) peers/cpython/calibrate.py $(CALIBRATE)
# python3 on libpython3.11.so (py's build of CPython), for calibrate.py's pyperformance bodies
build/pyshared: peers/cpython/pyshared.c | build/.deps-ok
	$(CC) $(BASE) $(MODE_release) $(PY_CFLAGS) -o $@ $< $(PY_LIBS)

# --- the libFuzzer targets (clang): make fuzz, make fuzz-check -----------------------------
include fuzz/fuzz.mk

-include $(wildcard build/*.d build/noretain/*.d build/*/obj/*/*.d build/*/obj/*/*/*.d)
