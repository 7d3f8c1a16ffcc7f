# cutover: every target a user or CI runs. `make help` lists them.
# One cargo profile (dev, with optimized dependencies) for test, demo and
# bench, so polars is compiled once. CARGO_TARGET_DIR may point outside the
# clone to keep builds warm.

CARGO ?= cargo
CUTOVER = $(CARGO) run -q --bin cutover --
DEMO_STUDENTS ?= 3000
DEMO_SEED ?= 2017
DEMO_DIR ?= demo
BENCH_STUDENTS ?= 400000
PYTHON ?= python3

.PHONY: help ingest crosswalk identity publish results ids manifest report all demo test test-rust test-python test-browser test-ci bench bench-scale fmt lint build clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ## Build the cutover binary
	$(CARGO) build --bin cutover

# Which bundle the stage targets run on: CONFIG=run.toml, or BUNDLE (+ OUT).
BUNDLE ?= $(DEMO_DIR)/bundle
OUT ?= snapshots/demo
# The follow-up commands (results, ids) read the same run: the
# configuration's output folder, or OUT; manifest its tables' folders.
ifdef CONFIG
RUN = $(CUTOVER) run --config $(CONFIG) $(RUN_FLAGS)
THE_RUN = --config $(CONFIG)
TABLES = --config $(CONFIG)
else
RUN = $(CUTOVER) run $(BUNDLE) --out $(OUT) $(RUN_FLAGS)
THE_RUN = --out $(OUT)
endif

ingest: build ## Read + ingest (skipped when inputs are unchanged; RUN_FLAGS=--force reruns)
	$(RUN) --to ingest

crosswalk: build ## Up to the crosswalk stage (reruns only what changed)
	$(RUN) --to crosswalk

identity: build ## Up to identity resolution (review/queue.csv; review/decisions.csv is applied first)
	$(RUN) --to identity

publish: build ## Up to the Synergy uploads (uploads/, preflight/, publish/upload_manifest.csv)
	$(RUN) --to publish

results: build ## Tie Synergy result logs back to source rows: make results LOGS="logs/*/*.csv" (a folder per school year)
	$(if $(LOGS),,$(error name the result logs Synergy returned: make results LOGS="logs/*/*.csv"))
	$(CUTOVER) results $(LOGS) $(THE_RUN)

ids: build ## Record the New State IDs the helpdesk returned: make ids ISSUED=issued.csv (the next run applies them)
	$(if $(ISSUED),,$(error name the file the helpdesk returned: make ids ISSUED=issued.csv))
	$(CUTOVER) ids assign $(ISSUED) $(THE_RUN)

manifest: build ## After editing a crosswalk table or a layout: record the new checksums in their manifests (with CONFIG, its folders)
	$(CUTOVER) crosswalk manifest $(TABLES)
	$(CUTOVER) layouts manifest $(TABLES)

report: build ## Every stage and the reconciliation report (report.json, report.html)
	$(RUN)

all: report ## Same as report: every stage that is out of date

demo: build ## Generate the default synthetic bundle and run the pipeline on it
	$(CUTOVER) generate --students $(DEMO_STUDENTS) --seed $(DEMO_SEED) --out $(DEMO_DIR)/bundle --truth $(DEMO_DIR)/truth
	$(CUTOVER) run $(DEMO_DIR)/bundle --out snapshots/demo

test: test-rust test-python test-browser test-ci ## Run every test: Rust, the snapshots in pyarrow, DuckDB, pandas and polars, the report in chromium, CI's own messages

test-rust: ## Run the Rust unit and end-to-end tests (cargo test --workspace, the test binaries side by side)
	CARGO="$(CARGO)" bash tests/rust.sh

test-python: build ## Read the snapshots with pyarrow, DuckDB, pandas and polars, README's queries as written (installs them with pip)
	bash tests/python/run.sh

test-browser: build ## Render the reconciliation report in headless chromium (installs it when root)
	bash tests/browser/run.sh

test-ci: ## The messages .ci/run and tests/rust.sh print on a failure, word for word (stand-ins, seconds)
	bash tests/ci/check.sh

bench: build ## The polars floor, the run and each stage side by side at 400,000 students (BENCH_STUDENTS), with the issue's ratios
	bash tests/bench.sh $(BENCH_STUDENTS)

bench-scale: build ## Generation and a run at 50k/200k/800k/2M students (SCALE_STUDENTS; SCALE_RUN_MAX): how time, CPU and memory grow
	bash tests/bench/scale.sh

fmt: ## Format the code
	$(CARGO) fmt --all

lint: ## What CI checks besides the tests
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets -- -D warnings

clean: ## Remove demo outputs (not the build)
	rm -rf $(DEMO_DIR) snapshots/demo
