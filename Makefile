# berth: a thin wrapper around meson and ninja.
BUILD   ?= build
ASAN    ?= build-asan
FUZZ    ?= build-fuzz
PREFIX  ?= /usr/local
MESON   ?= meson
NINJA   ?= ninja

.PHONY: all deps check check-unit check-e2e bench install demo clean format fuzz

all: $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

$(BUILD)/build.ninja:
	@command -v $(MESON) >/dev/null || { echo "meson is missing: run 'make deps'"; exit 1; }
	$(MESON) setup $(BUILD) --prefix $(PREFIX)

$(ASAN)/build.ninja:
	$(MESON) setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false

$(FUZZ)/build.ninja:
	CC=clang $(MESON) setup $(FUZZ) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

# Fuzz the parsers for FUZZ_SECONDS each (default 600).
fuzz: $(FUZZ)/build.ninja
	$(NINJA) -C $(FUZZ)
	tests/fuzz/run.sh $(FUZZ) $${FUZZ_SECONDS:-600}

# Installs the Debian packages that are missing (idempotent).
deps:
	@scripts/deps.sh build test

check: 
	@scripts/deps.sh build test engines
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(ASAN)/build.ninja >/dev/null
	@$(NINJA) -C $(ASAN) >/dev/null
	@$(MAKE) --no-print-directory $(FUZZ)/build.ninja >/dev/null
	@$(NINJA) -C $(FUZZ) >/dev/null
	@FUZZ_BUILD=$(FUZZ) tests/run.sh $(BUILD) $(ASAN)

check-unit: all
	@tests/run.sh --unit-only $(BUILD)

check-e2e: all
	@tests/run.sh --e2e-only $(BUILD)

bench:
	@scripts/deps.sh build test bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(BUILD)
	@bench/registry.sh $(BUILD)
	@bench/network.sh $(BUILD)
	@bench/cp.sh $(BUILD)
	@bench/stats.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/berth-runtime $(BUILD)/src/daemon/berthd \
		$(BUILD)/src/cli/berth $(BUILD)/src/monitor/berth-monitor \
		$(BUILD)/src/init/berth-init $(BUILD)/src/registry/berth-registry \
		$(DESTDIR)$(PREFIX)/bin/

demo:
	@scripts/deps.sh build test
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD) $(PREFIX)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')

clean:
	rm -rf $(BUILD) $(ASAN)
