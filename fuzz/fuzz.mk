# fuzz.mk — the libFuzzer targets (docs/fuzzing.md), included by the Makefile.
#   make fuzz                    every target for FUZZ_SECONDS (default 600) each, from the seed
#                                corpus; a finding stops the run and is saved under build/fuzz/
#   make fuzz FUZZ_TARGETS=replay FUZZ_SECONDS=60   one target, a minute
#   make fuzz-check              what make test runs: each target FUZZ_CHECK_SECONDS (default
#                                10), then every file of tests/fuzz-regress/TARGET/ once
# Built with clang (libFuzzer is clang's): the library again, under build/fuzz/obj/, with the
# debug mode's sanitizers and GCS_DEBUG=3 (the heap verified at every phase) plus coverage
# instrumentation; the fuzz binary links cli/ too (main.c's main renamed, see FUZZ_CLI_MAIN).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_CHECK_SECONDS ?= 10
FUZZ_TARGETS ?= trace replay options cli
# clang's -Wformat=2 also flags the v*printf wrappers that take a format from their caller
FUZZ_CFLAGS  := -std=gnu11 -g -fno-strict-aliasing -I. $(WARN) -Wno-format-nonliteral \
                -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined -DGCS_DEBUG=3
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
# cli/main.c's main becomes a function the cli target calls (the fuzz binary's main is
# libFuzzer's); nothing else of cli/ changes.
FUZZ_CLI_MAIN := -Dmain=gcs_cli_main -Wno-missing-prototypes

FUZZ_LIBOBJ := $(LIBSRC:%.c=build/fuzz/obj/%.o) build/fuzz/obj/fuzz/support.o
FUZZ_CLIOBJ := $(CLISRC:%.c=build/fuzz/obj/%.o)
FUZZ_BINS   := $(addprefix build/fuzz/,$(FUZZ_TARGETS))

build/fuzz/obj/%.o: %.c | build/.deps-ok
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [fuzz] $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(if $(findstring peers/cpython/py.c,$<),$(PY_CFLAGS)) \
	  $(if $(findstring peers/lua/,$<),$(LUA_CFLAGS)) \
	  $(if $(findstring cli/main.c,$<),$(FUZZ_CLI_MAIN)) $(DEPFLAGS) -c $< -o $@
build/fuzz/cli: build/fuzz/obj/fuzz/fuzz_cli.o $(FUZZ_CLIOBJ) $(FUZZ_LIBOBJ)
	@$(if $(Q),echo "  LD [fuzz] $@")
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LIBS)
$(filter-out build/fuzz/cli,$(FUZZ_BINS)): build/fuzz/%: build/fuzz/obj/fuzz/fuzz_%.o $(FUZZ_LIBOBJ)
	@$(if $(Q),echo "  LD [fuzz] $@")
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LIBS)

.PHONY: fuzz fuzz-check fuzz-build
fuzz-build: build/.deps-ok $(FUZZ_BINS)
fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh long $(FUZZ_TARGETS)
fuzz-check: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) fuzz/run.sh check $(FUZZ_TARGETS)
