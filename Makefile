# berth: a thin wrapper around meson and ninja.
BUILD   ?= build
ASAN    ?= build-asan
PREFIX  ?= /usr/local
MESON   ?= meson
NINJA   ?= ninja

.PHONY: all deps check check-unit check-e2e bench install demo clean format

all: $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

$(BUILD)/build.ninja:
	@command -v $(MESON) >/dev/null || { echo "meson is missing: run 'make deps'"; exit 1; }
	$(MESON) setup $(BUILD) --prefix $(PREFIX)

$(ASAN)/build.ninja:
	$(MESON) setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false

# Installs the Debian packages that are missing (idempotent).
deps:
	@scripts/deps.sh build test

check: 
	@scripts/deps.sh build test engines
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(ASAN)/build.ninja >/dev/null
	@$(NINJA) -C $(ASAN) >/dev/null
	@tests/run.sh $(BUILD) $(ASAN)

check-unit: all
	@tests/run.sh --unit-only $(BUILD)

check-e2e: all
	@tests/run.sh --e2e-only $(BUILD)

bench:
	@scripts/deps.sh build test bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/berth-runtime $(DESTDIR)$(PREFIX)/bin/berth-runtime

demo:
	@scripts/deps.sh build test
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')

clean:
	rm -rf $(BUILD) $(ASAN)
