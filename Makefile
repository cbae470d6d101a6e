# tokendesk. `make run` and `make test` are all a newcomer needs.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/tokendesk

.PHONY: run test test-slowest build generate check-generated vendor-js screenshots bench bench-api bench-proxy demo

## run: start the console on http://127.0.0.1:8080 with the embedded SQLite default (./data)
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/tokendesk serve

## test: the whole test suite (race detector on); browser tests need Chromium and npm ci;
## the PostgreSQL tests run on a throwaway cluster when PostgreSQL is installed
PG_TEST := $(shell test -n "$$TOKENDESK_TEST_POSTGRES_URL" || scripts/postgres-test --available >/dev/null 2>&1 && echo scripts/postgres-test)
# The race detector watches every package but a few libraries that only
# compute, on memory no other goroutine touches: the SQLite engine
# (modernc's machine translation of SQLite's C: sqlite/lib, its libc and
# allocator, which a cgo driver's C would not be instrumented in either;
# instrumented, every SQL statement was ten times slower and the suite twice
# as long), bcrypt's cipher and the HTML parser the tests read pages with.
# The driver (modernc.org/sqlite) and all of tokendesk stay instrumented.
NORACE     := modernc.org/sqlite/lib modernc.org/libc/... modernc.org/memory golang.org/x/crypto/blowfish golang.org/x/net/html
TEST_FLAGS := -race $(foreach p,$(NORACE),-gcflags=$(p)=-race=false) -count=1 -timeout 45m -p 3
# The slowest packages first: go test starts packages in the order given,
# three at a time (-p 3: its default on two cores is two, and web waited for
# cmd/tokendesk's browsers), and the small ones fill in around their waits.
TEST_PKGS  := ./web/ ./cmd/tokendesk/ ./internal/store/ ./...
# A race-instrumented binary sleeps a second at exit in case a goroutine is
# still reporting; the tests report their races as they end (a test fails
# on one), so the 30 test binaries skip that second (GORACE's later options win).
RACE_ENV   := GORACE="atexit_sleep_ms=0 $$GORACE"
test:
	@command -v chromium >/dev/null 2>&1 || echo "NOTE: Chromium not found: the browser tests will be SKIPPED (apt-get install chromium)"
	@test -f node_modules/axe-core/axe.min.js || echo "NOTE: axe-core not installed: the browser tests run without their accessibility checks (npm ci)"
	@test -n "$(PG_TEST)" || echo "NOTE: PostgreSQL not installed: the PostgreSQL tests skip (apt-get install postgresql)"
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal web views static scripts)" || { echo "gofmt needed:"; gofmt -l cmd internal web views static scripts; exit 1; }
	$(RACE_ENV) $(PG_TEST) $(GO) test $(TEST_FLAGS) $(TEST_PKGS)

## test-slowest: the same tests as make test, then each package's time and the 25 slowest tests
## (SLOWEST=50 for more; the run's go test -json output stays in test-times.json)
SLOWEST ?= 25
test-slowest:
	$(RACE_ENV) $(PG_TEST) $(GO) test $(TEST_FLAGS) -json $(TEST_PKGS) > test-times.json; status=$$?; \
	 $(GO) run ./scripts/slowest-tests -n $(SLOWEST) test-times.json && exit $$status

## build: one self-contained static binary with views and assets embedded
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tokendesk

## generate: regenerate templ views
generate:
	$(GO) tool templ generate

## check-generated: fail when committed generated code is stale
check-generated: generate
	git diff --exit-code -- views/
	@test -z "$$(git status --porcelain -- views/ | grep '^??')" || { echo "untracked generated files:"; git status --porcelain -- views/; exit 1; }
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory vendor-js >/dev/null && git diff --exit-code -- static/js/; \
	 else echo "npm not found: vendored JavaScript not re-checked"; fi

## vendor-js: refresh front-end packages vendored into static/ from the npm lockfile
vendor-js:
	npm ci --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js static/js/htmx.min.js

## demo: the console against every provider's emulator (tokendesk emulate), with an administrator ready
DEMO_ADDR ?= 127.0.0.1:8080
EMU_ADDR  ?= 127.0.0.1:9090
demo: build
	@scripts/port-free $(DEMO_ADDR) DEMO_ADDR "the demo console" && scripts/port-free $(EMU_ADDR) EMU_ADDR "the demo's emulators"
	@echo "== tokendesk demo: sign in at http://$(DEMO_ADDR) as demo@tokendesk.test / demo password 123"
	@./$(BIN) emulate --addr $(EMU_ADDR) --console-url http://$(DEMO_ADDR) & EMU=$$!; trap 'kill $$EMU 2>/dev/null' EXIT INT TERM; sleep 0.5; \
	TOKENDESK_DATA_DIR=./data-demo TOKENDESK_ADDR=$(DEMO_ADDR) \
	TOKENDESK_ADMIN_EMAIL=demo@tokendesk.test TOKENDESK_ADMIN_PASSWORD='demo password 123' \
	TOKENDESK_EMULATOR_URL=http://$(EMU_ADDR) \
	TOKENDESK_ALLOW_PRIVATE_TARGETS=true \
	./$(BIN) serve

## screenshots: PNGs of the main screens from the browser tests (docs/screenshots)
screenshots:
	TOKENDESK_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestInTheBrowser ./cmd/tokendesk/

## bench: benchmarks (timing goals are checked here, never in unit tests)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

BENCH_DB ?= sqlite
## bench-proxy: the proxy as its own process against a bare httputil.ReverseProxy process, under wrk; then 200 MB each way (RSS)
bench-proxy:
	@command -v wrk >/dev/null 2>&1 || { echo "bench-proxy needs wrk: apt-get install wrk"; exit 1; }
	$(GO) test -run '^$$' -bench BenchmarkProxyAgainstBare -benchtime 1x ./cmd/tokendesk/

## bench-api: the runtime API as its own process against a bare net/http handler, under wrk (BENCH_DB=postgres: on PostgreSQL)
bench-api:
	@command -v wrk >/dev/null 2>&1 || { echo "bench-api needs wrk: apt-get install wrk"; exit 1; }
	$(if $(filter postgres,$(BENCH_DB)),scripts/postgres-test) env TOKENDESK_BENCH_DB=$(BENCH_DB) $(GO) test -run '^$$' -bench BenchmarkAPIAgainstBare -benchtime 1x ./cmd/tokendesk/
